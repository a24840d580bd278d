#pragma once
// e^x for float rows on AVX2 + FMA, bit for bit what glibc's expf returns on the same machine.
//
// Why bit for bit: attention's online softmax calls exp once per query and visible cell (92
// million calls in a 512-token TinyLlama prompt), and llama.cpp calls the C library's expf at the
// same points. A faster approximation would move every attention output by an ulp or so and
// break the greedy-token parity with llama.cpp that the model tests hold. glibc (2.28 on) computes
// expf in double precision: x / ln2 split into k/32 + r, 2^(k/32) from a 32-entry table, a cubic in r,
// one rounding to float at the end; its x86-64 FMA build (__expf_fma, what the ifunc picks on an
// AVX2 machine) fuses five of the multiply-adds. The same steps on four doubles per register give
// the same bits. |x| >= 88 (overflow, underflow, inf, nan) takes the library call lane by lane.
//
// Another C library (or another glibc build) may round differently, so exp_matches_libm() checks
// the vector path against std::exp once, over inputs that cover the table and both ends of the
// range, and callers fall back to std::exp when it does not match.
#include <hearth/cpu/kernels/avx2_common.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

struct expf_constants {
    // Bit patterns of 2^(i/32) rounded to double, minus i << 47 (the exponent adjustment the
    // integer part of k adds back).
    static constexpr std::uint64_t table[32] = {
        0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51, 0x3fef72b83c7d517b,
        0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715, 0x3feef1a7373aa9cb,
        0x3feedea64c123422, 0x3feece086061892d, 0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429,
        0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
        0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d, 0x3feee89f995ad3ad,
        0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
        0x3fefa4afa2a490da, 0x3fefd0765b6e4540};
    static constexpr double inv_ln2_32 = 0x1.71547652b82fep+5;  // 32 / ln 2
    static constexpr double shift = 0x1.8p+52;                  // rounds to an integer when added
    static constexpr double c0 = 0x1.c6af84b912394p-20, c1 = 0x1.ebfce50fac4f3p-13, c2 = 0x1.62e42ff0c52d6p-6;
};

// e^x of four floats. Lanes with |x| >= 88 or nan hold garbage; see expf_needs_libm.
inline __m128 expf4_core(__m128 x) noexcept {
    using k = expf_constants;
    const __m256d xd = _mm256_cvtps_pd(x);
    const __m256d shift = _mm256_set1_pd(k::shift), inv_ln2_32 = _mm256_set1_pd(k::inv_ln2_32);
    const __m256d kd_shifted = _mm256_fmadd_pd(inv_ln2_32, xd, shift);  // k + shift: k in the low bits
    const __m256i ki = _mm256_castpd_si256(kd_shifted);
    const __m256d r = _mm256_fmsub_pd(inv_ln2_32, xd, _mm256_sub_pd(kd_shifted, shift));  // x * 32 / ln2 - k
    const __m256i entry = _mm256_i64gather_epi64(reinterpret_cast<const long long*>(k::table),
                                                 _mm256_and_si256(ki, _mm256_set1_epi64x(31)), 8);
    const __m256d s = _mm256_castsi256_pd(_mm256_add_epi64(entry, _mm256_slli_epi64(ki, 47)));  // 2^(k/32)
    const __m256d z = _mm256_fmadd_pd(r, _mm256_set1_pd(k::c0), _mm256_set1_pd(k::c1));
    const __m256d r2 = _mm256_mul_pd(r, r);
    __m256d y = _mm256_fmadd_pd(r, _mm256_set1_pd(k::c2), _mm256_set1_pd(1.0));
    y = _mm256_fmadd_pd(z, r2, y);
    return _mm256_cvtpd_ps(_mm256_mul_pd(y, s));
}

// Bit i set when lane i needs the library: |x| >= 88 (the top 12 bits past the sign above
// 0x42a, glibc's test), which also catches inf and nan.
inline int expf_needs_libm(__m128 x) noexcept {
    const __m128i top = _mm_and_si128(_mm_srli_epi32(_mm_castps_si128(x), 20), _mm_set1_epi32(0x7ff));
    return _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(top, _mm_set1_epi32(0x42a))));
}

// y[i .. i + m) = e^in[0 .. m) (m <= 4), lanes flagged special by the library; in is a copy of
// x, as y may be x.
inline void expf4_store_special(const float (&in)[4], __m128 e, int special, float* y, std::size_t m) noexcept {
    alignas(16) float out[4];
    _mm_store_ps(out, e);
    for (std::size_t l = 0; l < m; ++l) y[l] = special >> l & 1 ? std::exp(in[l]) : out[l];
}

// y[i] = e^x[i] for n floats (y may be x). Whole vectors are loaded from x directly: the
// padded copy that serves the last n % 4 costs a store-forwarding stall, and taken for every
// vector it made the attention a third slower (5% of a Q4_K_M prefill).
inline void expf_row(const float* x, float* y, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m128 v = _mm_loadu_ps(x + i);
        const int special = expf_needs_libm(v);
        if (!special) {
            _mm_storeu_ps(y + i, expf4_core(v));
            continue;
        }
        alignas(16) float in[4];
        _mm_store_ps(in, v);
        expf4_store_special(in, expf4_core(v), special, y + i, 4);
    }
    if (i < n) {
        alignas(16) float in[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        std::memcpy(in, x + i, (n - i) * sizeof(float));
        const __m128 v = _mm_load_ps(in);
        expf4_store_special(in, expf4_core(v), expf_needs_libm(v), y + i, n - i);
    }
}

// Whether expf_row returns std::exp's bits here: every 65537th float from -104 to 89 (both
// signs' exponents, all 32 table entries many times over) and the edges of the fast range.
inline bool expf_row_matches_libm() {
    static const bool same = [] {
        constexpr std::size_t batch = 1024;
        float x[batch], got[batch];
        const auto check = [&](std::size_t n) {
            expf_row(x, got, n);
            for (std::size_t i = 0; i < n; ++i) {
                const float want = std::exp(x[i]);
                if (std::memcmp(&want, &got[i], sizeof(float)) != 0) return false;
            }
            return true;
        };
        std::size_t n = 0;
        for (float e : {-103.9f, -88.0f, -87.99f, -87.33f, -1e-30f, 0.0f, -0.0f, 1e-30f, 87.99f, 88.0f, 88.7f})
            x[n++] = e;
        if (!check(n)) return false;
        std::uint32_t lo, hi;  // walk the bit patterns of [-104, 0) and [0, 89)
        for (const auto& [from, to] : {std::pair{-104.0f, -0.0f}, std::pair{0.0f, 89.0f}}) {
            std::memcpy(&lo, &from, 4);
            std::memcpy(&hi, &to, 4);
            const bool negative = from < 0.0f;
            n = 0;
            for (std::uint32_t b = negative ? hi : lo; b < (negative ? lo : hi); b += 65537) {
                std::memcpy(&x[n++], &b, 4);
                if (n == batch) {
                    if (!check(n)) return false;
                    n = 0;
                }
            }
            if (!check(n)) return false;
        }
        return true;
    }();
    return same;
}

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
