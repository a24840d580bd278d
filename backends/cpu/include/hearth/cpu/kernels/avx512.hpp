#pragma once
// The AVX-512 (F/BW/VL/DQ + VNNI) kernel set: the AVX2 kernels re-instantiated over VNNI's fused
// integer multiply-adds. vpdpbusd replaces vpmaddubsw + vpmaddwd (+ vpaddd) for byte dot products;
// vpdpwssd replaces vpmaddwd + vpaddd where K-quant sub-block scales are applied.
//
// Why mostly 256-bit (AVX-512VL) registers rather than zmm: the decode GEMV is memory-bound,
// where halving the instruction count already leaves the core waiting on DRAM, and ymm code keeps
// one kernel body for both instruction sets and avoids the zmm frequency penalty on older Xeons.
// The exceptions are the q4_0 and q4_K/q5_K GEMMs (avx512_q4_0x16.hpp, avx512_k4x16.hpp), whose
// 8-row VNNI tiles were bound by the activation broadcasts (about one load per vpdpbusd): with 16
// rows per zmm each broadcast serves twice the rows. One thread, 512 x 4096 x 4096 on Zen 4
// (bench_kernels --only gemm): q4_0 251 -> 298-308 GFLOP/s, q4_K 284-288 -> 303-314. A 16-row
// zmm q4_0 GEMV (4 rows per register from the GGUF blocks, lanes folded by unpacks) ran slower
// than the pair tile (in L2, one thread: 11 vs 17 GB/s) and was not kept. The 32 vector registers
// allow more tokens per GEMM tile than AVX2's 16 (8 for q4_0 and q4_K, 6 for q8_0; q6_K's per-row
// tile 2 rows x 6 tokens: measured best on Zen 4).
//
// The interleaved GEMMs (q4_0x8, k4x8, q8_0x16) branch on vnni_ops::fused_byte_dot where VNNI
// changes the best instruction sequence, not just the instruction. The q4_K/q5_K GEMV is
// k4_rows_gemv with the scales spread by vpshufb (TableScales false): its table form, tuned for
// Zen 3's ports, decoded Q4_K_M 25% slower on Zen 4 built for AVX-512. q4_0 keeps its pair GEMV
// (the 8-row one was no faster there).
#include <hearth/cpu/kernels/avx2.hpp>
#include <hearth/cpu/kernels/avx2_q8_0x8_packed.hpp>
#include <hearth/cpu/kernels/avx512_k4x16.hpp>
#include <hearth/cpu/kernels/avx512_q4_0x16.hpp>

HEARTH_NAMESPACE_BEGIN
namespace cpu {
namespace avx512_detail {

struct vnni_ops {
    static constexpr bool fused_byte_dot = true;
    // 32 unsigned x 32 signed bytes -> 8 int32 sums of 4 products, without vpmaddubsw's int16
    // saturation (the kernels never reach it, so results equal the AVX2 ones bit for bit).
    static __m256i madd_u8_i8(__m256i u, __m256i s) noexcept {
        return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
    }
    static __m256i madd_u8_i8_acc(__m256i acc, __m256i u, __m256i s) noexcept {
        return _mm256_dpbusd_epi32(acc, u, s);
    }
    static __m256i madd_u8_i8_pair(__m256i u1, __m256i s1, __m256i u2, __m256i s2) noexcept {
        return _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), u1, s1), u2, s2);
    }
    static __m256i dot_i8(__m256i x, __m256i y) noexcept {
        return madd_u8_i8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    }
    static __m256i madd_i16_acc(__m256i acc, __m256i a, __m256i b) noexcept { return _mm256_dpwssd_epi32(acc, a, b); }
};

template <template <class> class K> using vnni = K<vnni_ops>;

}  // namespace avx512_detail

template <> struct format<avx512, dtype::q4_0> {
    using policy = avx512_detail::q4_0x16_policy<
        avx2_detail::q4_0x8_policy<avx512_detail::vnni_ops, avx512_detail::vnni<avx2_detail::q4_0_kernel>, 4, 4, 4, 8, false>, 8>;
    using packed_policy = avx2_detail::q4_0x8_packed_policy<avx512_detail::vnni_ops, avx512_detail::q4_0x16_packed_gemm<avx512_detail::vnni_ops, 8>>;
};
template <> struct format<avx512, dtype::q4_1> {
    using policy = avx2_detail::nibble_policy<avx512_detail::vnni_ops, avx512_detail::vnni<avx2_detail::q4_1_kernel>, 4, 4, 4, false>;
};
template <> struct format<avx512, dtype::q5_0> {
    using policy = detail::block_policy<avx512_detail::vnni<avx2_detail::q5_0_kernel>, 4, 4, 4>;
};
template <> struct format<avx512, dtype::q5_1> {
    using policy = detail::block_policy<avx512_detail::vnni<avx2_detail::q5_1_kernel>, 4, 4, 4>;
};
template <> struct format<avx512, dtype::q8_0> {
    using policy = avx2_detail::q8_0x16_policy<avx512_detail::vnni_ops, 2, 6>;
    using packed_policy = avx2_detail::q8_0x8_packed_policy<avx512_detail::vnni_ops, 6>;
    using key_policy = detail::split_block_policy<avx512_detail::vnni<avx2_detail::q8_0_kernel>,
                                                  avx512_detail::vnni<avx2_detail::q8_0_gemm_kernel>, 4, 4, 2>;
};
template <> struct format<avx512, dtype::iq4_nl> {
    using policy = detail::block_policy<avx512_detail::vnni<avx2_detail::iq4_nl_kernel>, 4, 4, 4>;
};
template <> struct format<avx512, dtype::q2_k> {
    using policy = detail::block_policy<avx512_detail::vnni<avx2_detail::q2_k_kernel>, 2, 2, 4>;
};
template <> struct format<avx512, dtype::q3_k> {
    using policy = detail::block_policy<avx512_detail::vnni<avx2_detail::q3_k_kernel>, 2, 2, 4>;
};
template <> struct format<avx512, dtype::q4_k> {
    using policy = avx512_detail::k4x16_policy<
        avx2_detail::k4x8_policy<false, avx2_detail::k4_gemm_kernel<avx512_detail::vnni_ops, false>, 4, 3, 8,
                                 avx512_detail::vnni_ops, false>,
        false, 8>;
    using packed_policy = avx2_detail::k4x8_packed_policy<avx512_detail::vnni_ops, 8>;
};
template <> struct format<avx512, dtype::q5_k> {
    using policy = avx512_detail::k4x16_policy<
        avx2_detail::k4x8_policy<true, avx2_detail::k4_gemm_kernel<avx512_detail::vnni_ops, true>, 4, 3, 8,
                                 avx512_detail::vnni_ops, false>,
        true, 8>;
};
template <> struct format<avx512, dtype::q6_k> {
    using policy = detail::split_block_policy<avx512_detail::vnni<avx2_detail::q6_k_kernel>,
                                              avx512_detail::vnni<avx2_detail::q6_k_gemm_kernel>, 2, 2, 6>;
};

// Float weights: the Highway kernels, compiled for Highway's AVX-512 target in this build.
template <> struct format<avx512, dtype::f32> { using policy = detail::hwy_float_policy<dtype::f32, 4, 4, 4>; };
template <> struct format<avx512, dtype::f16> { using policy = detail::hwy_float_policy<dtype::f16, 4, 4, 4>; };
template <> struct format<avx512, dtype::bf16> { using policy = detail::hwy_float_policy<dtype::bf16, 4, 4, 4>; };

template <> inline constexpr quant::q8_rounding activation_rounding<avx512> = quant::q8_rounding::x86;
template <> struct activation_quantizer<avx512> : activation_quantizer<avx2> {};
template <> struct row_kernels<avx512> : row_kernels<avx2> {};

}  // namespace cpu
HEARTH_NAMESPACE_END
