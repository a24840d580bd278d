// Single-row kernels used by attention over the KV cache, against the scalar reference.
// Tolerance for axpy: the SIMD path forms (d * s) * q where the reference forms s * (d * q); the two
// differ by one float rounding of a product, so 2 ulps of the magnitude of each term suffice.
#include "cpu_test_support.hpp"
#include <hearth/quant/kquants.hpp>
#include <hearth/quant/legacy.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

namespace hc = hearth::cpu;
using hearth::dtype;
using cpu_test::arch;
using cpu_test::ref;

TEST_CASE("row ops: dot_row of cache rows equals the reference dot", "[cpu][rows]") {
    for (dtype k_type : {dtype::f16, dtype::q8_0, dtype::q4_0, dtype::f32})
        for (std::size_t n : {64, 128, 96}) {
            const auto k = cpu_test::random_floats(n, 5), q = cpu_test::random_floats(n, 6);
            const dtype qt = hc::activation_type_of(k_type);
            std::vector<std::byte> krow(hearth::row_bytes(k_type, n)), qrow(hearth::row_bytes(qt, n));
            if (k_type == dtype::q4_0)
                hearth::quant::quantize(k.data(), reinterpret_cast<hearth::quant::block_q4_0*>(krow.data()), n / 32);
            else
                hc::scalar_detail::ref_quantize_activation(k_type, k.data(), krow.data(), n);
            hc::quantize_row<arch>(qt, q.data(), qrow.data(), n);
            const float ours = hc::dot_row<arch>(k_type, krow.data(), qrow.data(), n);
            const float want = hc::dot_row<ref>(k_type, krow.data(), qrow.data(), n);
            double mag = 0;
            for (std::size_t i = 0; i < n; ++i) mag += std::fabs(double(k[i]) * q[i]);
            INFO(hearth::name(k_type) << " n " << n);
            CHECK(std::fabs(ours - want) <= 1e-5 * mag + 1e-6);
        }
}

TEST_CASE("row ops: axpy_row accumulates a weighted value row", "[cpu][rows]") {
    for (dtype v_type : {dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0, dtype::q4_0, dtype::q4_k, dtype::q6_k})
        for (std::size_t n : {256, 512}) {
            const auto v = cpu_test::random_floats(n, 7, -3.0f, 3.0f);
            std::vector<std::byte> row(hearth::row_bytes(v_type, n));
            hc::visit_weight_type(v_type, [&](auto tc) {
                constexpr dtype T = decltype(tc)::value;
                if constexpr (T == dtype::f32 || T == dtype::f16 || T == dtype::bf16)
                    hc::scalar_detail::ref_quantize_activation(T, v.data(), row.data(), n);
                else
                    hearth::quant::quantize(v.data(), reinterpret_cast<hearth::quant::block_t<T>*>(row.data()),
                                            n / hearth::quant::traits_block_elems(T));
            });
            std::vector<float> deq(n);
            hc::dequantize_row(v_type, row.data(), deq.data(), n);
            auto ours = cpu_test::random_floats(n, 8), want = ours;
            hc::axpy_row<arch>(v_type, row.data(), 0.37f, ours.data(), n);
            for (std::size_t i = 0; i < n; ++i) want[i] += 0.37f * deq[i];
            for (std::size_t i = 0; i < n; ++i) {
                INFO(hearth::name(v_type) << " n " << n << " i " << i);
                CHECK(std::fabs(ours[i] - want[i]) <= 2.5e-7 * (std::fabs(want[i]) + std::fabs(0.37f * deq[i])));
            }
        }
}

// Attention's softmax takes its exps from row_kernels::exp where the arch has one: it must give
// std::exp's bits (llama.cpp calls the C library's expf at the same points), for every input
// including the ones its fast path hands back to the library (|x| >= 88, inf, nan, -0).
TEST_CASE("row ops: exp returns the C library's bits", "[cpu][rows]") {
    std::vector<float> x;
    for (float e : {0.0f, -0.0f, 1e-40f, -1e-40f, -87.33f, -88.0f, -103.5f, -104.0f, -200.0f, 88.0f, 88.72f, 89.0f,
                    std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN()})
        x.push_back(e);
    // Every 1009th bit pattern of [-110, 90]: all table entries and exponents, both signs.
    for (const auto& [from, to] : {std::pair{-110.0f, -0.0f}, std::pair{0.0f, 90.0f}}) {
        std::uint32_t lo, hi;
        std::memcpy(&lo, &from, 4);
        std::memcpy(&hi, &to, 4);
        const bool negative = from < 0.0f;
        for (std::uint32_t b = negative ? hi : lo; b < (negative ? lo : hi); b += 1009) {
            float f;
            std::memcpy(&f, &b, 4);
            x.push_back(f);
        }
    }
    x.resize(x.size() + 3, -1.5f);  // a tail that is not a whole vector
    std::vector<float> y(x.size());
    if (!hc::row_kernels<arch>::exp(x.data(), y.data(), x.size())) SUCCEED("no vector exp on this arch");
    else {
        for (std::size_t i = 0; i < x.size(); ++i) {
            const float want = std::exp(x[i]);
            INFO("x = " << x[i] << " got " << y[i] << " want " << want);
            REQUIRE(std::memcmp(&want, &y[i], sizeof(float)) == 0);
        }
        // In place, as attention calls it.
        std::vector<float> z = x;
        REQUIRE(hc::row_kernels<arch>::exp(z.data(), z.data(), z.size()));
        REQUIRE(std::memcmp(z.data(), y.data(), z.size() * sizeof(float)) == 0);
    }
}
