#pragma once
// AVX2 quantizers of activation rows into q8_0, q8_1 and q8_K. q8_0/q8_1 follow ggml's x86
// convention (multiplier 127/amax, halves to even: quant::q8_rounding::x86), as llama.cpp does on
// this instruction set; q8_K follows the reference. Each is bit-identical to its scalar twin in
// hearth/quant, so a SIMD matmul sees exactly the integers the twin sees.
#include <hearth/cpu/kernels/avx2_common.hpp>
#include <hearth/quant/blocks.hpp>
#include <hearth/fp16.hpp>
#include <algorithm>
#include <cstddef>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

inline __m256 abs_ps(__m256 v) noexcept { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

inline float hmax(__m256 v) noexcept {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

inline __m256 round_half_even(__m256 v) noexcept {
    return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

// 32 integer-valued floats (in [-128, 127]) -> 32 int8 in element order.
inline __m256i pack_i8(__m256 a, __m256 b, __m256 c, __m256 d) noexcept {
    const __m256i ab = _mm256_packs_epi32(_mm256_cvtps_epi32(a), _mm256_cvtps_epi32(b));
    const __m256i cd = _mm256_packs_epi32(_mm256_cvtps_epi32(c), _mm256_cvtps_epi32(d));
    const __m256i packed = _mm256_packs_epi16(ab, cd);
    // The packs interleave 128-bit lanes: restore the order of the 8 dwords.
    return _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// q8_0 and q8_1 share everything but q8_1's s = d * sum(q).
template <bool with_sum, class Block>
inline void quantize_q8_legacy(const float* x, Block* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, x += 32) {
        const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
        const __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
        const __m256 m = _mm256_max_ps(_mm256_max_ps(abs_ps(v0), abs_ps(v1)), _mm256_max_ps(abs_ps(v2), abs_ps(v3)));
        const float amax = hmax(m), d = amax / 127;
        y[i].d = fp32_to_fp16(d);
        const __m256 vid = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
        const __m256 q0 = round_half_even(_mm256_mul_ps(v0, vid)), q1 = round_half_even(_mm256_mul_ps(v1, vid));
        const __m256 q2 = round_half_even(_mm256_mul_ps(v2, vid)), q3 = round_half_even(_mm256_mul_ps(v3, vid));
        const __m256i q = pack_i8(q0, q1, q2, q3);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs), q);
        if constexpr (with_sum) {
            const int sum = hsum_i32(_mm256_cvtps_epi32(_mm256_add_ps(_mm256_add_ps(q0, q1), _mm256_add_ps(q2, q3))));
            y[i].s = fp32_to_fp16(static_cast<float>(sum) * d);
        }
    }
}

inline void quantize_q8_0(const float* x, quant::block_q8_0* y, std::size_t nblocks) noexcept {
    quantize_q8_legacy<false>(x, y, nblocks);
}
inline void quantize_q8_1(const float* x, quant::block_q8_1* y, std::size_t nblocks) noexcept {
    quantize_q8_legacy<true>(x, y, nblocks);
}

// q8_K: scale from the value of largest magnitude WITH its sign (the first such value wins a tie),
// q = min(127, round_to_even(x * -127 / max)), d = 1 / iscale, bsums over 16 values.
inline void quantize_q8_k(const float* x, quant::block_q8_k* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, x += qk_k) {
        __m256 m = _mm256_setzero_ps();
        for (std::size_t j = 0; j < qk_k; j += 8) m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(x + j)));
        const float amax = hmax(m);
        if (amax == 0.0f) {
            y[i].d = 0;
            std::memset(y[i].qs, 0, sizeof y[i].qs);
            std::memset(y[i].bsums, 0, sizeof y[i].bsums);
            continue;
        }
        float max = amax;
        const __m256 vamax = _mm256_set1_ps(amax);
        for (std::size_t j = 0; j < qk_k; j += 8) {
            const __m256 v = _mm256_loadu_ps(x + j);
            const int hits = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(v), vamax, _CMP_EQ_OQ));
            if (hits) {
                max = x[j + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(hits)))];
                break;
            }
        }
        const float iscale = -127.f / max;
        const __m256 vs = _mm256_set1_ps(iscale);
        const __m256 cap = _mm256_set1_ps(127.0f);
        for (std::size_t j = 0; j < qk_k; j += 32) {
            __m256 q[4];
            for (int k = 0; k < 4; ++k) {
                const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), vs);
                q[k] = _mm256_min_ps(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), cap);
            }
            const __m256i packed = pack_i8(q[0], q[1], q[2], q[3]);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs + j), packed);
            // Sums of 16: vpmaddubsw against ones needs unsigned first operand, so sign-extend instead.
            const __m256i lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(packed));
            const __m256i hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(packed, 1));
            y[i].bsums[j / 16] = static_cast<std::int16_t>(hsum_i32(_mm256_madd_epi16(lo, _mm256_set1_epi16(1))));
            y[i].bsums[j / 16 + 1] = static_cast<std::int16_t>(hsum_i32(_mm256_madd_epi16(hi, _mm256_set1_epi16(1))));
        }
        y[i].d = 1 / iscale;
    }
}

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
