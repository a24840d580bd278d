#pragma once
// The AVX2 (+FMA, F16C) kernel set: every weight format has a SIMD kernel here.
// Tile shapes: GEMV walks 4 rows at once (one activation load feeds 4 weight streams; 2 for
// q2_K, q3_K and q6_K, whose super-block dot needs more temporaries); GEMM tiles are 4 rows x 3 tokens (12
// accumulators + unpacked weights fit the 16 ymm registers). The K-quants' GEMM tiles read
// weight blocks prepared once per token chunk (prepared_gemm), so their activation-side work
// decides the shape: 4 x 3 shares each activation block among 4 rows and measured 1.3-1.5x the
// 2 x 4 tile they had (bench_kernels --only gemm --threads 1, 512 tokens: q4_K 50 -> 66-71,
// q6_K 58 -> 62-73 GFLOP/s, against 42 and 40 before blocks were prepared once per chunk).
#include <hearth/cpu/kernels/avx2_expf.hpp>
#include <hearth/cpu/kernels/avx2_k4x8.hpp>
#include <hearth/cpu/kernels/avx2_k4x8_packed.hpp>
#include <hearth/cpu/kernels/avx2_kquants.hpp>
#include <hearth/cpu/kernels/avx2_q4_0x8.hpp>
#include <hearth/cpu/kernels/avx2_q4_0x8_packed.hpp>
#include <hearth/cpu/kernels/avx2_q8_0x16.hpp>
#include <hearth/cpu/kernels/avx2_legacy.hpp>
#include <hearth/cpu/kernels/avx2_gemv.hpp>
#include <hearth/cpu/kernels/avx2_quantize.hpp>
#include <hearth/cpu/kernels/format.hpp>
#include <hearth/cpu/kernels/hwy_float.hpp>
#include <hearth/cpu/kernels/hwy_rows.hpp>
#include <hearth/cpu/kernels/scalar.hpp>
#include <hearth/cpu/kernels/tile.hpp>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

namespace detail {
// Float weights through the Highway kernels; K counted in elements.
template <dtype T, int GemvRM, int GemmRM, int GemmRN>
struct hwy_float_policy {
    static constexpr int gemv_rm = GemvRM, gemm_rm = GemmRM, gemm_rn = GemmRN;
    static constexpr bool counts_elements = true;
    template <int RM, int RN>
    static void tile(const std::byte* w, std::size_t ws, const std::byte* a, std::size_t as, std::size_t k, float* y,
                     std::size_t ys) {
        hwy_float::tile<T, RM, RN>(w, ws, a, as, k, y, ys);
    }
};
}  // namespace detail

template <> struct format<avx2, dtype::f32> { using policy = detail::hwy_float_policy<dtype::f32, 4, 4, 3>; };
template <> struct format<avx2, dtype::f16> { using policy = detail::hwy_float_policy<dtype::f16, 4, 4, 3>; };
template <> struct format<avx2, dtype::bf16> { using policy = detail::hwy_float_policy<dtype::bf16, 4, 4, 3>; };
template <> struct format<avx2, dtype::q4_0> {
    using policy = avx2_detail::q4_0x8_policy<avx2_detail::avx2_ops, avx2_detail::q4_0_kernel<>, 4, 4, 4, 4>;
    // Weights the backend repacks at load (weight_layout::q4_0x8) take these kernels.
    using packed_policy =
        avx2_detail::q4_0x8_packed_policy<avx2_detail::avx2_ops, avx2_detail::q4_0x8_packed_gemm<avx2_detail::avx2_ops, 4>>;
};
template <> struct format<avx2, dtype::q4_1> {
    using policy = avx2_detail::nibble_policy<avx2_detail::avx2_ops, avx2_detail::q4_1_kernel<>, 4, 4, 3, false>;
};
template <> struct format<avx2, dtype::q5_0> { using policy = detail::block_policy<avx2_detail::q5_0_kernel<>, 4, 4, 3>; };
template <> struct format<avx2, dtype::q5_1> { using policy = detail::block_policy<avx2_detail::q5_1_kernel<>, 4, 4, 3>; };
// q8_0: groups of 16 rows through the int16 interleaved GEMM (avx2_q8_0x16.hpp), 4 tokens per
// tile; the GEMV and the rows after the last group through 4-row tiles, 2 tokens per GEMM tile.
// One float sum per row, one FMA per block (see avx2_q8_0x16.hpp for why not llama.cpp's 8 lanes).
// Attention's scores against a q8_0 K cache keep llama.cpp's 8 lanes (key_policy_of).
template <> struct format<avx2, dtype::q8_0> {
    using policy = avx2_detail::q8_0x16_policy<avx2_detail::avx2_ops, 2, 4>;
    using key_policy = detail::split_block_policy<avx2_detail::q8_0_kernel<>, avx2_detail::q8_0_gemm_kernel<>, 4, 4, 2>;
};
template <> struct format<avx2, dtype::iq4_nl> { using policy = detail::block_policy<avx2_detail::iq4_nl_kernel<>, 4, 4, 3>; };
template <> struct format<avx2, dtype::q2_k> { using policy = detail::block_policy<avx2_detail::q2_k_kernel<>, 2, 2, 4>; };
template <> struct format<avx2, dtype::q3_k> { using policy = detail::block_policy<avx2_detail::q3_k_kernel<>, 2, 2, 4>; };
template <> struct format<avx2, dtype::q4_k> {
    using policy = avx2_detail::k4x8_policy<false, avx2_detail::k4_gemm_kernel<avx2_detail::avx2_ops, false>, 4, 3, 4>;
    using packed_policy = avx2_detail::k4x8_packed_policy<avx2_detail::avx2_ops, 4>;
};
template <> struct format<avx2, dtype::q5_k> {
    using policy = avx2_detail::k4x8_policy<true, avx2_detail::k4_gemm_kernel<avx2_detail::avx2_ops, true>, 4, 3, 4>;
};
// q6_K: GEMM tiles of 1 row x 7 tokens over prepared blocks (a 7-token prompt in one tile: 81 ->
// 87 GFLOP/s at 2048x5632 against 1 x 6; 2 x 4, 2 x 3, 3 x 2 and 4 x 3 measured 3-18% slower
// than 1 x 6 at 128 tokens). They keep llama.cpp's eight float lanes per row, as the GEMV does:
// an 8-row interleaved GEMM that sums a row per super-block measured 1.4x, but moved Gemma 3's
// logits enough to turn a 64/64-token parity prompt into 3/64.
template <> struct format<avx2, dtype::q6_k> {
    using policy = detail::split_block_policy<avx2_detail::q6_k_kernel<>, avx2_detail::q6_k_gemm_kernel<>, 2, 1, 7>;
};

template <> struct row_kernels<avx2> {
    static bool axpy(dtype t, const std::byte* row, float s, float* y, std::size_t n) {
        return hwy_rows::axpy_row(t, row, s, y, n);
    }
    // glibc's expf, four lanes at a time, where it gives the C library's bits (checked once).
    static bool exp(const float* x, float* y, std::size_t n) {
        if (!avx2_detail::expf_row_matches_libm()) return false;
        avx2_detail::expf_row(x, y, n);
        return true;
    }
};

template <> inline constexpr quant::q8_rounding activation_rounding<avx2> = quant::q8_rounding::x86;
template <> struct activation_quantizer<avx2> {
    static void row(dtype act, const float* x, std::byte* out, std::size_t k) {
        switch (act) {
        case dtype::q8_0: return avx2_detail::quantize_q8_0(x, reinterpret_cast<quant::block_q8_0*>(out), k / 32);
        case dtype::q8_1: return avx2_detail::quantize_q8_1(x, reinterpret_cast<quant::block_q8_1*>(out), k / 32);
        case dtype::q8_k: return avx2_detail::quantize_q8_k(x, reinterpret_cast<quant::block_q8_k*>(out), k / qk_k);
        case dtype::f16: return hwy_float::convert_row<dtype::f16>(x, out, k);
        default: return scalar_detail::ref_quantize_activation(act, x, out, k);
        }
    }
};

}  // namespace cpu
HEARTH_NAMESPACE_END
