#pragma once
// The SHA-256 compression function (FIPS 180-4, section 6.2.2): the scalar reference, and the
// x86 SHA extensions kernel (SHA-NI: sha256rnds2 / sha256msg1 / sha256msg2), chosen at compile
// time like every other instruction set in hearth: a build whose flags enable SHA and SSE4.1
// (-march=native on a CPU that has them, -msha -msse4.1) hashes with the instructions, about 8x
// faster than the scalar code; any other build uses the scalar code. Both are always compiled
// where possible so a test can check that they agree.
#include <hearth/config.hpp>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

// The one instruction-set edge of SHA-256.
#if defined(__SHA__) && defined(__SSE4_1__)
#include <immintrin.h>
#define HEARTH_SHA256_SHANI 1
#else
#define HEARTH_SHA256_SHANI 0
#endif

HEARTH_NAMESPACE_BEGIN
namespace detail {

// Section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
// 64 primes (a test recomputes them from the primes).
alignas(16) inline constexpr std::array<std::uint32_t, 64> sha256_k = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
// Section 5.3.3: the first 32 bits of the fractional parts of the square roots of the first
// 8 primes.
inline constexpr std::array<std::uint32_t, 8> sha256_h0 = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

inline std::uint32_t load_be32(const std::byte* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
           static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}

// Section 6.2.2 over `n` consecutive 64-byte blocks. The message schedule is kept as a rolling
// window of 16 words (W[t] needs only W[t-2], W[t-7], W[t-15], W[t-16]), which keeps it in
// registers and L1 instead of a 64-word array per block.
inline void sha256_compress_scalar(std::array<std::uint32_t, 8>& state, const std::byte* block, std::size_t n) noexcept {
    using std::rotr;
    std::uint32_t h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3];
    std::uint32_t h4 = state[4], h5 = state[5], h6 = state[6], h7 = state[7];
    for (; n > 0; --n, block += 64) {
        std::uint32_t w[16];
        for (int t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
        std::uint32_t a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
        for (int t = 0; t < 64; ++t) {
            std::uint32_t wt;
            if (t < 16) {
                wt = w[t];
            } else {
                const std::uint32_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
                const std::uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);  // sigma0 (4.6)
                const std::uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);   // sigma1 (4.7)
                wt = w[t & 15] = w[t & 15] + s0 + w[(t - 7) & 15] + s1;
            }
            const std::uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);  // Sigma1 (4.5)
            const std::uint32_t ch = (e & f) ^ (~e & g);                       // Ch (4.2)
            const std::uint32_t t1 = h + S1 + ch + sha256_k[static_cast<std::size_t>(t)] + wt;
            const std::uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);   // Sigma0 (4.4)
            const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);              // Maj (4.3)
            const std::uint32_t t2 = S0 + maj;
            h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        h0 += a, h1 += b, h2 += c, h3 += d, h4 += e, h5 += f, h6 += g, h7 += h;
    }
    state = {h0, h1, h2, h3, h4, h5, h6, h7};
}

#if HEARTH_SHA256_SHANI

// SHA-NI. sha256rnds2 does two rounds on a state split across two registers, {A, B, E, F} and
// {C, D, G, H} (A, C in the top lanes), taking W[t] + K[t] for the two rounds from the low
// 64 bits of its third operand. sha256msg1 / sha256msg2 compute the sigma0 and sigma1 halves of
// the schedule, four words at a time. 64 rounds = 16 groups of 4; the four message registers
// rotate, so the group index picks registers at compile time (everything stays in registers).
template <int G>
inline void sha256_shani_group(__m128i& abef, __m128i& cdgh, __m128i (&w)[4], const std::byte* block,
                               __m128i byte_swap) noexcept {
    __m128i& cur = w[G % 4];
    if constexpr (G < 4)  // the block's own 16 words, big-endian
        cur = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * G)), byte_swap);
    __m128i wk = _mm_add_epi32(cur, _mm_load_si128(reinterpret_cast<const __m128i*>(sha256_k.data() + 4 * G)));
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
    if constexpr (G >= 3 && G <= 14) {  // finish W[4(G+1) .. 4(G+1)+3]: + W[t-7], then sigma1
        __m128i& next = w[(G + 1) % 4];
        next = _mm_add_epi32(next, _mm_alignr_epi8(cur, w[(G + 3) % 4], 4));
        next = _mm_sha256msg2_epu32(next, cur);
    }
    wk = _mm_shuffle_epi32(wk, 0x0E);  // the upper two W + K into the low half
    abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
    if constexpr (G >= 1 && G <= 12) {  // start W[4(G+3) ..]: W[t-16] + sigma0(W[t-15])
        __m128i& prev = w[(G + 3) % 4];
        prev = _mm_sha256msg1_epu32(prev, cur);
    }
}

template <int... G>
inline void sha256_shani_block(__m128i& abef, __m128i& cdgh, const std::byte* block, __m128i byte_swap,
                               std::integer_sequence<int, G...>) noexcept {
    __m128i w[4];
    (sha256_shani_group<G>(abef, cdgh, w, block, byte_swap), ...);
}

inline void sha256_compress_shani(std::array<std::uint32_t, 8>& state, const std::byte* block, std::size_t n) noexcept {
    // {A, B, C, D}, {E, F, G, H} (A in lane 0) -> {F, E, B, A}, {H, G, D, C} (A in lane 3).
    const __m128i abcd = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state.data()));
    const __m128i efgh = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state.data() + 4));
    const __m128i badc = _mm_shuffle_epi32(abcd, 0xB1);
    const __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1B);
    __m128i abef = _mm_alignr_epi8(badc, hgfe, 8);
    __m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xF0);
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    for (; n > 0; --n, block += 64) {
        const __m128i abef_in = abef, cdgh_in = cdgh;
        sha256_shani_block(abef, cdgh, block, byte_swap, std::make_integer_sequence<int, 16>{});
        abef = _mm_add_epi32(abef, abef_in);
        cdgh = _mm_add_epi32(cdgh, cdgh_in);
    }
    // Back to {A, B, C, D}, {E, F, G, H}.
    const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state.data()), _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state.data() + 4), _mm_alignr_epi8(dchg, feba, 8));
}

inline constexpr bool sha256_uses_sha_extensions = true;
inline void sha256_compress(std::array<std::uint32_t, 8>& state, const std::byte* block, std::size_t n) noexcept {
    sha256_compress_shani(state, block, n);
}

#else

inline constexpr bool sha256_uses_sha_extensions = false;
inline void sha256_compress(std::array<std::uint32_t, 8>& state, const std::byte* block, std::size_t n) noexcept {
    sha256_compress_scalar(state, block, n);
}

#endif

}  // namespace detail
HEARTH_NAMESPACE_END
