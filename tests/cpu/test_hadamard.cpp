// The Walsh-Hadamard rotation the KV cache applies: native_arch against the scalar twin (bit for
// bit: every lane runs the same butterflies in the same order) and against the explicit matrix,
// built by doubling as llama.cpp builds its rotation, in double precision.
#include "cpu_test_support.hpp"
#include <hearth/cpu/ops/hadamard.hpp>
#include <cmath>

namespace hc = hearth::cpu;
using cpu_test::arch;
using cpu_test::ref;

namespace {
// H_n by Sylvester doubling, scaled to be orthonormal: [[H, H], [H, -H]] / sqrt(2) per step.
std::vector<double> hadamard_matrix(std::size_t n) {
    std::vector<double> h(n * n);
    h[0] = 1.0 / std::sqrt(static_cast<double>(n));
    for (std::size_t s = 1; s < n; s *= 2)
        for (std::size_t i = 0; i < s; ++i)
            for (std::size_t j = 0; j < s; ++j) {
                const double v = h[i * n + j];
                h[(i + s) * n + j] = v;
                h[i * n + j + s] = v;
                h[(i + s) * n + j + s] = -v;
            }
    return h;
}
}  // namespace

TEST_CASE("hadamard: blocks of 64..256 equal the explicit orthonormal matrix", "[cpu][ops]") {
    for (std::size_t block : {64u, 128u, 256u}) {
        const auto h = hadamard_matrix(block);
        const std::size_t n = 4 * block;  // four heads' worth
        const auto x = cpu_test::random_floats(n, 7 + block);
        std::vector<float> got(x), twin(x);
        hc::hadamard<arch>(got.data(), n, block);
        hc::hadamard<ref>(twin.data(), n, block);
        CHECK(got == twin);
        for (std::size_t b = 0; b < n; b += block)
            for (std::size_t i = 0; i < block; ++i) {
                double want = 0, mag = 0;
                for (std::size_t j = 0; j < block; ++j) {
                    want += h[i * block + j] * x[b + j];
                    mag += std::fabs(h[i * block + j] * x[b + j]);
                }
                INFO("block " << block << " row " << b + i);
                // log2(n) float additions and one scaling: a few ulps of the summed magnitude.
                CHECK(std::fabs(got[b + i] - want) <= 1e-6 * mag);
            }
    }
}

TEST_CASE("hadamard: applied twice restores the row, and keeps dot products", "[cpu][ops]") {
    const std::size_t block = 128, n = 2 * block;
    const auto x = cpu_test::random_floats(n, 3), y = cpu_test::random_floats(n, 4);
    std::vector<float> hx(x), hy(y);
    hc::hadamard<arch>(hx.data(), n, block);
    hc::hadamard<arch>(hy.data(), n, block);
    double dot = 0, hdot = 0, mag = 0;
    for (std::size_t i = 0; i < n; ++i) dot += double(x[i]) * y[i], hdot += double(hx[i]) * hy[i], mag += std::fabs(x[i] * y[i]);
    CHECK(std::fabs(dot - hdot) <= 1e-5 * mag);
    hc::hadamard<arch>(hx.data(), n, block);
    for (std::size_t i = 0; i < n; ++i) CHECK(std::fabs(hx[i] - x[i]) <= 1e-5f * (1.0f + std::fabs(x[i])));
}
