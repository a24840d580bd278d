// matmul<native_arch> against the scalar reference twin for every weight dtype, over edge shapes:
// rows not a multiple of any tile, K not a multiple of 256 where the format allows, token counts
// 1, 2, 3, 7, 17 and thread counts 1, 2, 3.
//
// Tolerance: both sides see bit-identical quantized activations (checked in test_quantize.cpp)
// and exact integer block sums; they differ only in the order of float accumulation (per block vs
// per lane) and FMA contraction. Each output is compared within 1e-5 of sum_k |w_k * a_k|, the
// magnitude the rounding errors scale with (~K/32 additions of 6e-8 relative error each).
#include "cpu_test_support.hpp"
#include <hearth/quant/dot.hpp>
#include <hearth/quant/dot_kquants.hpp>
#include <hearth/quant/iq4_nl.hpp>
#include <hearth/quant/kquants.hpp>
#include <hearth/quant/legacy.hpp>
#include <cstring>
#include <type_traits>

namespace hc = hearth::cpu;
using hearth::dtype;
using cpu_test::arch;
using cpu_test::ref;

namespace {

const dtype all_types[] = {dtype::f32,  dtype::f16,  dtype::bf16, dtype::q4_0, dtype::q4_1,
                           dtype::q5_0, dtype::q5_1, dtype::q8_0, dtype::q2_k, dtype::q3_k,
                           dtype::q4_k, dtype::q5_k, dtype::q6_k, dtype::iq4_nl};

bool is_k_quant(dtype t) { return hearth::traits(t).block_elems == 256; }

struct reference_result {
    std::vector<float> y;    // [t][r]
    std::vector<double> mag;  // [t][r]: sum |w * a| of the dequantized operands
};

reference_result reference(const hc::matrix_view& W, const std::vector<float>& x, std::size_t n_tokens) {
    const dtype act = hc::activation_type_of(W.type);
    const std::size_t k = W.cols, ab = hearth::row_bytes(act, k);
    reference_result out{std::vector<float>(n_tokens * W.rows), std::vector<double>(n_tokens * W.rows)};
    std::vector<std::byte> a(ab);
    std::vector<float> wd(k), ad(k);
    for (std::size_t t = 0; t < n_tokens; ++t) {
        hc::scalar_detail::ref_quantize_activation(act, x.data() + t * k, a.data(), k, hc::activation_rounding<arch>);
        if (act == dtype::q8_1)
            hearth::quant::dequantize(reinterpret_cast<const hearth::quant::block_q8_1*>(a.data()), ad.data(), k / 32);
        else if (act == dtype::q8_k)
            hearth::quant::dequantize(reinterpret_cast<const hearth::quant::block_q8_k*>(a.data()), ad.data(), k / 256);
        else
            hc::dequantize_row(act, a.data(), ad.data(), k);
        for (std::size_t r = 0; r < W.rows; ++r) {
            hc::dequantize_row(W.type, W.row(r), wd.data(), k);
            double m = 0;
            for (std::size_t i = 0; i < k; ++i) m += std::fabs(double(wd[i]) * ad[i]);
            out.mag[t * W.rows + r] = m;
            out.y[t * W.rows + r] = hc::kernels<ref>::dot(W.type, W.row(r), a.data(), k);
        }
    }
    return out;
}

// Quantizes rows of floats (rows x cols, row-major) with the reference quantizers.
std::vector<std::byte> quantize_matrix(dtype t, std::size_t rows, std::size_t cols, const std::vector<float>& x) {
    const std::size_t rb = hearth::row_bytes(t, cols);
    std::vector<std::byte> m(rows * rb);
    for (std::size_t r = 0; r < rows; ++r) {
        std::byte* row = m.data() + r * rb;
        const float* xr = x.data() + r * cols;
        hc::visit_weight_type(t, [&](auto tc) {
            constexpr dtype T = decltype(tc)::value;
            if constexpr (T == dtype::f32 || T == dtype::f16 || T == dtype::bf16) {
                hc::scalar_detail::ref_quantize_activation(T, xr, row, cols);
            } else {
                hearth::quant::quantize(xr, reinterpret_cast<hearth::quant::block_t<T>*>(row),
                                        cols / hearth::quant::traits_block_elems(T));
            }
        });
    }
    return m;
}

// matmul<arch> of W and x (n_tokens rows of W.cols) against the scalar twin's dot per output.
void check_against_reference(const hc::matrix_view& W, const std::vector<float>& x, std::size_t n_tokens,
                             unsigned threads) {
    const std::size_t rows = W.rows, k = W.cols;
    const dtype t = W.type;
    const auto want = reference(W, x, n_tokens);

    hc::thread_pool pool(threads);
    hc::matmul_context ctx(pool);
    // Strided output rows with a guard value after each row: nothing outside y may be written.
    const std::size_t y_stride = rows + 5;
    std::vector<float> y(n_tokens * y_stride, -12345.0f);
    hc::matmul<arch>(ctx, W, x.data(), k, n_tokens, y.data(), y_stride);
    for (std::size_t tk = 0; tk < n_tokens; ++tk) {
        for (std::size_t r = 0; r < rows; ++r) {
            const float got = y[tk * y_stride + r], exp = want.y[tk * rows + r];
            INFO(hearth::name(t) << " rows " << rows << " k " << k << " tokens " << n_tokens << " threads " << threads
                                 << " at token " << tk << " row " << r << ": got " << got << " want " << exp);
            REQUIRE(cpu_test::close(got, exp, want.mag[tk * rows + r], 1e-5, 1e-6));
        }
        for (std::size_t r = rows; r < y_stride; ++r) REQUIRE(y[tk * y_stride + r] == -12345.0f);
    }
}

// A rows x cols matrix of type t quantized from random floats with the reference quantizers.
std::vector<std::byte> make_matrix(dtype t, std::size_t rows, std::size_t cols, std::uint32_t seed) {
    std::vector<float> x(rows * cols);
    for (std::size_t r = 0; r < rows; ++r) {
        const auto xr = cpu_test::random_floats(cols, seed + std::uint32_t(r));
        std::copy(xr.begin(), xr.end(), x.begin() + r * cols);
    }
    return quantize_matrix(t, rows, cols, x);
}

void check_matmul(dtype t, std::size_t rows, std::size_t k, std::size_t n_tokens, unsigned threads) {
    const auto wbytes = make_matrix(t, rows, k, 1000 + std::uint32_t(k));
    const hc::matrix_view W{t, rows, k, wbytes.data(), hearth::row_bytes(t, k)};
    check_against_reference(W, cpu_test::random_floats(n_tokens * k, 77 + std::uint32_t(n_tokens), -2.0f, 2.0f),
                            n_tokens, threads);
}

}  // namespace

TEST_CASE("matmul: every dtype against the scalar twin, GEMV and GEMM edge shapes", "[cpu][matmul]") {
    const bool small = cpu_test::small_sizes();
    for (dtype t : all_types) {
        // K-quants need whole 256-element super-blocks; the others get a K that is not.
        const std::size_t k = is_k_quant(t) ? (small ? 256 : 512) : (small ? 96 : 224);
        const std::size_t rows = small ? 13 : 37;
        for (std::size_t n_tokens : {1, 2, 3, 7, 17}) {
            if (small && n_tokens == 7) continue;
            for (unsigned threads : {1u, 2u, 3u}) {
                if (small && threads == 2) continue;
                check_matmul(t, rows, k, n_tokens, threads);
            }
        }
    }
}

TEST_CASE("matmul: odd float K (not a multiple of the vector width)", "[cpu][matmul]") {
    for (dtype t : {dtype::f32, dtype::f16, dtype::bf16})
        for (std::size_t k : {1, 7, 33, 130}) check_matmul(t, 9, k, 3, 2);
}

// The integer kernels add products in int16 before widening (vpmaddubsw pairs, then a few
// chunks summed in int16): a kernel that sums too many of them wraps only when most codes sit at
// their extremes, which random weights never reach. Here every block is one lone value of one sign
// and the rest of the other, so the quantizers put most codes at an end of their range (15 or 31
// unsigned, the most negative signed), against activations that quantize to +-127 and -128
// (q8_K maps a positive maximum to -128).
TEST_CASE("matmul: extreme codes and activations do not overflow the integer sums", "[cpu][matmul]") {
    // 27 rows: on AVX-512 one interleaved 16-row group, one of 8 and edge rows (q8_0: 16 + edge rows;
    // AVX2: three 8-row groups and edge rows).
    const std::size_t rows = 27, n_tokens = 9;
    for (dtype t : all_types) {
        const std::size_t k = is_k_quant(t) ? 512 : 256;
        std::vector<float> w(rows * k);
        for (std::size_t r = 0; r < rows; ++r) {
            const float s = r % 2 ? 1.0f : -1.0f, scale = 1.0f + float(r % 5) * 0.25f;
            for (std::size_t i = 0; i < k; ++i) w[r * k + i] = scale * (i % 16 == 0 ? s : -s);
        }
        const auto wbytes = quantize_matrix(t, rows, k, w);
        const hc::matrix_view W{t, rows, k, wbytes.data(), hearth::row_bytes(t, k)};
        std::vector<float> x(n_tokens * k);
        for (std::size_t tk = 0; tk < n_tokens; ++tk)
            for (std::size_t i = 0; i < k; ++i) x[tk * k + i] = tk % 3 == 2 ? (i % 7 == 0 ? -3.0f : 3.0f) : (tk % 3 ? 2.0f : -2.0f);
        for (unsigned threads : {1u, 2u}) check_against_reference(W, x, n_tokens, threads);
        check_against_reference(W, x, 5, 1);  // a short prompt (q8_0's byte tiles on AVX2)
        check_against_reference(W, x, 1, 1);
    }
}

// tiled_rows walks the tokens in chunks of 192 KiB of activations (768 KiB for the GEMMs that
// interleave their weights per chunk): 200 tokens of 4096 elements make at least two chunks for
// every type here (q8_0 activations: 4352 bytes a token, 180 tokens a 768 KiB chunk), and 70
// rows are four 16-row groups and edge rows.
TEST_CASE("matmul: larger shapes cross the GEMM token chunking", "[cpu][matmul]") {
    if (cpu_test::small_sizes()) return;
    for (dtype t : {dtype::q4_0, dtype::q8_0, dtype::q4_k, dtype::q6_k, dtype::f16}) {
        REQUIRE(200 * hearth::row_bytes(hc::activation_type_of(t), 4096) > 768 * 1024);
        check_matmul(t, 70, 4096, 200, 2);
    }
}

// The K-quants with minimums sum each row in one order on every path (superblock_acc on x86: the
// GEMV, the per-row GEMM tiles of edge rows and the 8-row interleaved GEMM), and so do q8_0
// (one float sum per row and one FMA per block in the GEMV, the per-row tiles and the interleaved
// GEMM) and q6_K (eight lanes per row in the GEMV and the prepared GEMM tiles), so a
// token's outputs do not depend on the batch it came in: prompt and decode, or two batch sizes,
// give the same bits.
TEST_CASE("matmul: q4_K, q5_K, q6_K and q8_0 give a token the same bits in any batch", "[cpu][matmul]") {
    if constexpr (!std::is_same_v<arch, hc::avx2> && !std::is_same_v<arch, hc::avx512>) return;
    const bool small = cpu_test::small_sizes();
    for (dtype t : {dtype::q4_k, dtype::q5_k, dtype::q6_k, dtype::q8_0}) {
        const std::size_t k = small ? 512 : 1024, rows = small ? 21 : 45, n_tokens = small ? 7 : 19;
        const auto wbytes = make_matrix(t, rows, k, 31);
        const hc::matrix_view W{t, rows, k, wbytes.data(), hearth::row_bytes(t, k)};
        const auto x = cpu_test::random_floats(n_tokens * k, 5, -2.0f, 2.0f);
        for (unsigned threads : {1u, 2u}) {
            hc::thread_pool pool(threads);
            hc::matmul_context ctx(pool);
            std::vector<float> batch(n_tokens * rows), one(rows);
            hc::matmul<arch>(ctx, W, x.data(), k, n_tokens, batch.data(), rows);
            for (std::size_t tk = 0; tk < n_tokens; ++tk) {
                hc::matmul<arch>(ctx, W, x.data() + tk * k, k, 1, one.data(), rows);
                for (std::size_t r = 0; r < rows; ++r) {
                    INFO(hearth::name(t) << " threads " << threads << " token " << tk << " row " << r);
                    REQUIRE(batch[tk * rows + r] == one[r]);
                }
            }
        }
    }
}

// kernels::rows is public: a caller that quantizes its own activations and makes no per-matmul
// side data (token_side_buffer) still gets matmul's bits, from the same tiles or the per-row ones.
TEST_CASE("matmul kernels: rows() without the per-matmul side data gives matmul's bits", "[cpu][matmul]") {
    for (dtype t : {dtype::q4_k, dtype::q5_k, dtype::q8_0}) {
        const std::size_t k = 512, rows = 21, n_tokens = 11;
        const auto wbytes = make_matrix(t, rows, k, 37);
        const hc::matrix_view W{t, rows, k, wbytes.data(), hearth::row_bytes(t, k)};
        const auto x = cpu_test::random_floats(n_tokens * k, 9, -2.0f, 2.0f);
        hc::thread_pool pool(1);
        hc::matmul_context ctx(pool);
        std::vector<float> want(n_tokens * rows), got(n_tokens * rows);
        hc::matmul<arch>(ctx, W, x.data(), k, n_tokens, want.data(), rows);
        const dtype act = hc::activation_type_of(t);
        const std::size_t as = hearth::row_bytes(act, k);
        std::vector<std::byte> a(as * n_tokens);
        for (std::size_t tk = 0; tk < n_tokens; ++tk)
            hc::kernels<arch>::quantize_activation(act, x.data() + tk * k, a.data() + tk * as, k);
        hc::kernels<arch>::rows(W, 0, rows, a.data(), as, n_tokens, got.data(), rows);
        for (std::size_t i = 0; i < got.size(); ++i) {
            INFO(hearth::name(t) << " token " << i / rows << " row " << i % rows);
            REQUIRE(got[i] == want[i]);
        }
    }
}

TEST_CASE("matmul: rejects what it cannot compute", "[cpu][matmul]") {
    hc::thread_pool pool(1);
    hc::matmul_context ctx(pool);
    std::vector<std::byte> w(1024);
    std::vector<float> x(64), y(4);
    const hc::matrix_view bad_k{dtype::q4_0, 2, 40, w.data(), 40};
    CHECK_THROWS_AS(hc::matmul<arch>(ctx, bad_k, x.data(), 40, 1, y.data(), 2), hearth::error);
    const hc::matrix_view bad_type{dtype::iq2_xxs, 2, 256, w.data(), 66};
    CHECK_THROWS_AS(hc::matmul<arch>(ctx, bad_type, x.data(), 256, 1, y.data(), 2), hearth::error);
    const hc::matrix_view bad_stride{dtype::q8_0, 2, 64, w.data(), 10};
    CHECK_THROWS_AS(hc::matmul<arch>(ctx, bad_stride, x.data(), 64, 1, y.data(), 2), hearth::error);
}

TEST_CASE("get_rows: dequantizes the selected rows and checks ids", "[cpu][get_rows]") {
    for (dtype t : all_types) {
        const std::size_t k = is_k_quant(t) ? 256 : 64;
        const auto m = make_matrix(t, 5, k, 5);
        const hc::matrix_view table{t, 5, k, m.data(), hearth::row_bytes(t, k)};
        const std::int32_t ids[] = {4, 0, 4};
        std::vector<float> out(3 * (k + 1)), want(k);
        hc::get_rows<arch>(table, ids, 3, out.data(), k + 1);
        for (int i = 0; i < 3; ++i) {
            hc::dequantize_row(t, table.row(std::size_t(ids[i])), want.data(), k);
            for (std::size_t j = 0; j < k; ++j) REQUIRE(out[std::size_t(i) * (k + 1) + j] == want[j]);
        }
        const std::int32_t bad[] = {5};
        CHECK_THROWS_AS(hc::get_rows<arch>(table, bad, 1, out.data(), k), hearth::error);
    }
}
