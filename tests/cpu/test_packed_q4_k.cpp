// q4_K weights repacked into groups of 8 interleaved rows (weight_layout::q4_kx8,
// packed_q4_k.hpp): the layout round-trips (6-bit scales included), its scalar twin computes the
// q4_K dot, and where the arch reads the layout (x86) the SIMD GEMV gives the twin's bits, which
// are also the file layout's, in any batch.
#include "cpu_test_support.hpp"
#include <hearth/cpu/backend.hpp>
#include <hearth/quant/kquants.hpp>
#include <cstring>

namespace hc = hearth::cpu;
using hearth::dtype;
using hearth::quant::block_q4_k;
using hearth::quant::block_q8_k;
using cpu_test::arch;
using packing = hc::q4_kx8_packing;

namespace {

std::vector<std::byte> pack(const std::vector<std::byte>& w, std::size_t rows, std::size_t k) {
    std::vector<std::byte> p(rows / 8 * packing::group_bytes(k / 256));
    packing::pack(w.data(), hearth::row_bytes(dtype::q4_k, k), k / 256, 0, rows / 8, p.data());
    return p;
}

hc::matrix_view packed_view(const std::vector<std::byte>& p, std::size_t rows, std::size_t k) {
    return {dtype::q4_k, rows, k, p.data(), hearth::row_bytes(dtype::q4_k, k), hc::weight_layout::q4_kx8};
}

}  // namespace

TEST_CASE("packed q4_K: a row unpacks to the file's super-blocks", "[cpu][packed]") {
    const std::size_t rows = 16, k = 512;
    const auto w = cpu_test::quantized_rows<dtype::q4_k>(rows, k, 3);
    const auto p = pack(w, rows, k);
    REQUIRE(hc::kernels<arch>::packed_bytes(hc::weight_layout::q4_kx8, rows, k) == p.size());
    std::vector<block_q4_k> row(k / 256);
    for (std::size_t r = 0; r < rows; ++r) {
        packing::unpack_row(p.data(), k / 256, r, row.data());
        REQUIRE(std::memcmp(row.data(), w.data() + r * hearth::row_bytes(dtype::q4_k, k), row.size() * sizeof(block_q4_k)) == 0);
    }
    // and get_rows reads it as the file's
    const hc::matrix_view file{dtype::q4_k, rows, k, w.data(), hearth::row_bytes(dtype::q4_k, k)};
    const std::int32_t ids[] = {15, 2, 8};
    std::vector<float> got(3 * k), want(3 * k);
    hc::get_rows<arch>(packed_view(p, rows, k), ids, 3, got.data(), k);
    hc::get_rows<arch>(file, ids, 3, want.data(), k);
    REQUIRE(got == want);
}

TEST_CASE("packed q4_K: the arch's packing writes the scalar packing's bytes", "[cpu][packed]") {
    const std::size_t rows = 32, k = 512;
    const auto w = cpu_test::quantized_rows<dtype::q4_k>(rows, k, 5);
    std::vector<std::byte> got(rows / 8 * packing::group_bytes(k / 256));
    hc::kernels<arch>::pack(hc::weight_layout::q4_kx8, w.data(), hearth::row_bytes(dtype::q4_k, k), k, 0, 1, got.data());
    hc::kernels<arch>::pack(hc::weight_layout::q4_kx8, w.data(), hearth::row_bytes(dtype::q4_k, k), k, 1, 4, got.data());
    REQUIRE(got == pack(w, rows, k));
}

TEST_CASE("packed q4_K: the scalar twin computes the q4_K dot of each row", "[cpu][packed]") {
    const std::size_t rows = 8, k = 768, nb = k / 256;
    const auto w = cpu_test::quantized_rows<dtype::q4_k>(rows, k, 11);
    const auto p = pack(w, rows, k);
    const auto x = cpu_test::random_floats(k, 5, -2.0f, 2.0f);
    std::vector<std::byte> a(hearth::row_bytes(dtype::q8_k, k));
    hc::kernels<arch>::quantize_activation(dtype::q8_k, x.data(), a.data(), k);
    const auto* act = reinterpret_cast<const block_q8_k*>(a.data());
    float y[8];
    packing::ref_gemv(p.data(), nb, act, y);
    for (std::size_t r = 0; r < rows; ++r) {
        const auto* row = w.data() + r * hearth::row_bytes(dtype::q4_k, k);
        const float want = hc::kernels<hc::scalar>::dot(dtype::q4_k, row, a.data(), k);
        std::vector<float> wd(k), ad(k);
        hc::dequantize_row(dtype::q4_k, row, wd.data(), k);
        hearth::quant::dequantize(act, ad.data(), nb);
        double mag = 0;
        for (std::size_t i = 0; i < k; ++i) mag += std::fabs(double(wd[i]) * ad[i]);
        INFO("row " << r << ": got " << y[r] << " want " << want);
        REQUIRE(cpu_test::close(y[r], want, mag, 1e-5, 1e-6));
    }
}

TEST_CASE("packed q4_K: matmul over the packed layout gives the twin's and the file layout's bits", "[cpu][packed]") {
    if (hc::kernels<arch>::packed_layout(dtype::q4_k, 8, 256) != hc::weight_layout::q4_kx8) {
        const auto w = cpu_test::quantized_rows<dtype::q4_k>(8, 256, 1);
        const auto p = pack(w, 8, 256);
        hc::thread_pool pool(1);
        hc::matmul_context ctx(pool);
        std::vector<float> x(256, 0.5f), y(8);
        CHECK_THROWS_AS(hc::matmul<arch>(ctx, packed_view(p, 8, 256), x.data(), 256, 1, y.data(), 8), hearth::error);
        return;
    }
    const bool small = cpu_test::small_sizes();
    for (std::size_t rows : {8u, 24u, 48u}) {
        for (std::size_t k : {256u, small ? 512u : 2048u}) {
            const std::size_t nb = k / 256;
            const auto w = cpu_test::quantized_rows<dtype::q4_k>(rows, k, 100 + std::uint32_t(k));
            const auto p = pack(w, rows, k);
            const hc::matrix_view file{dtype::q4_k, rows, k, w.data(), hearth::row_bytes(dtype::q4_k, k)};
            const auto W = packed_view(p, rows, k);
            for (std::size_t n_tokens : {1u, 2u, 9u, 17u}) {
                const auto x = cpu_test::random_floats(n_tokens * k, 7 + std::uint32_t(n_tokens), -2.0f, 2.0f);
                for (unsigned threads : {1u, 2u, 3u}) {
                    hc::thread_pool pool(threads);
                    hc::matmul_context ctx(pool);
                    const std::size_t ys = rows + 3;
                    std::vector<float> y(n_tokens * ys, -12345.0f), y_file(n_tokens * rows), one(rows);
                    hc::matmul<arch>(ctx, W, x.data(), k, n_tokens, y.data(), ys);
                    hc::matmul<arch>(ctx, file, x.data(), k, n_tokens, y_file.data(), rows);
                    for (std::size_t t = 0; t < n_tokens; ++t) {
                        std::vector<std::byte> a(hearth::row_bytes(dtype::q8_k, k));
                        hc::kernels<arch>::quantize_activation(dtype::q8_k, x.data() + t * k, a.data(), k);
                        std::vector<float> want(rows);
                        for (std::size_t g = 0; g < rows / 8; ++g)
                            packing::ref_gemv(packing::group(p.data(), nb, g), nb,
                                              reinterpret_cast<const block_q8_k*>(a.data()), want.data() + 8 * g);
                        hc::matmul<arch>(ctx, W, x.data() + t * k, k, 1, one.data(), rows);
                        for (std::size_t r = 0; r < rows; ++r) {
                            INFO("rows " << rows << " k " << k << " tokens " << n_tokens << " threads " << threads
                                         << " token " << t << " row " << r);
                            REQUIRE(one[r] == want[r]);                    // GEMV: the twin's bits
                            REQUIRE(y[t * ys + r] == one[r]);              // any batch: the same bits
                            REQUIRE(y_file[t * rows + r] == one[r]);       // the file layout's bits
                        }
                        for (std::size_t r = rows; r < ys; ++r) REQUIRE(y[t * ys + r] == -12345.0f);
                    }
                }
            }
        }
    }
}
