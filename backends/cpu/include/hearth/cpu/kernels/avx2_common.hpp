#pragma once
// Small named AVX2 intrinsic helpers shared by the AVX2 (and AVX-512) quantized kernels.
//
// Why raw intrinsics instead of Highway here: the fast int8 dot product on AVX2 is vpmaddubsw
// (unsigned x signed bytes -> saturating int16 pair sums) followed by vpmaddwd against ones; Highway
// 1.0.3 has no SatWidenMulPairwiseAdd, and its PromoteTo + ReorderWidenMulAccumulate route needs
// four widenings per 32 bytes, which costs ~1.6x in these compute-heavy inner loops.
// Only included when the compiler targets AVX2 (see kernels.hpp, the instruction-set edge).
#include <hearth/config.hpp>
#include <immintrin.h>
#include <cstddef>
#include <cstdint>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

inline __m256i load256(const void* p) noexcept { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) noexcept { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// An empty asm that claims to modify v: the value exists in a register here, so the compiler
// keeps a running sum as the chain it is written as. Without it GCC re-associates a tile's
// chains of vpaddw into trees that hold every vpmaddubsw result live at once, and spills them:
// q4_0x8's 4-token tile made 63 stack accesses per block and ran at 139 GFLOP/s against 182
// with the chain kept (one thread, blocks in L1). Integer sums: same results.
#if defined(__GNUC__)
inline void keep_in_register(__m256i& v) noexcept { __asm__("" : "+x"(v)); }
#else
inline void keep_in_register(__m256i&) noexcept {}
#endif

// Sum of the 8 float lanes.
inline float hsum(__m256 v) noexcept {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Sum of the 8 int32 lanes.
inline int hsum_i32(__m256i v) noexcept {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

// Four rows' lanes summed at once: lane r of the result is the sum of the lanes of v_r. Exact
// integers, so the order of the additions does not matter. A tile of rows reduces its per-row
// partial sums together this way for about a quarter of what four hsum_i32 cost.
inline __m128i hsum4_i32(__m128i v0, __m128i v1, __m128i v2, __m128i v3) noexcept {
    const __m128i t01 = _mm_add_epi32(_mm_unpacklo_epi32(v0, v1), _mm_unpackhi_epi32(v0, v1));
    const __m128i t23 = _mm_add_epi32(_mm_unpacklo_epi32(v2, v3), _mm_unpackhi_epi32(v2, v3));
    return _mm_add_epi32(_mm_unpacklo_epi64(t01, t23), _mm_unpackhi_epi64(t01, t23));
}
inline __m128i hsum4_i32(__m256i v0, __m256i v1, __m256i v2, __m256i v3) noexcept {
    const __m256i t01 = _mm256_add_epi32(_mm256_unpacklo_epi32(v0, v1), _mm256_unpackhi_epi32(v0, v1));
    const __m256i t23 = _mm256_add_epi32(_mm256_unpacklo_epi32(v2, v3), _mm256_unpackhi_epi32(v2, v3));
    const __m256i u = _mm256_add_epi32(_mm256_unpacklo_epi64(t01, t23), _mm256_unpackhi_epi64(t01, t23));
    return _mm_add_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
}

// The 4 bytes at p in every dword.
inline __m256i broadcast_dword(const void* p) noexcept {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

// fp16 bits -> float (exact; F16C).
inline float half(std::uint16_t h) noexcept { return _cvtsh_ss(h); }

// The fp16 field of block b of RM (<= 4) rows, in lanes 0 .. RM-1 (the rest zero), for one
// vcvtph2ps. Built in registers with vpinsrw (small stores and a wide reload would stall on
// store forwarding), each lane written as a constant: vpinsrw takes its lane as an immediate,
// which a loop counter is not in an unoptimised build.
template <int RM, class Block, class Field>
inline __m128i gather_half_bits(const Block* const* rows, std::size_t b, Field field) noexcept {
    static_assert(RM >= 1 && RM <= 4);
    __m128i h = _mm_cvtsi32_si128(rows[0][b].*field);
    if constexpr (RM > 1) h = _mm_insert_epi16(h, rows[1][b].*field, 1);
    if constexpr (RM > 2) h = _mm_insert_epi16(h, rows[2][b].*field, 2);
    if constexpr (RM > 3) h = _mm_insert_epi16(h, rows[3][b].*field, 3);
    return h;
}

// 32 unsigned bytes (each <= 128) times 32 signed bytes -> 8 int32 sums of 4 adjacent products.
// vpmaddubsw saturates int16 pair sums: callers keep |u * s| * 2 <= 32767.
inline __m256i madd_u8_i8(__m256i u, __m256i s) noexcept {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// 32 signed bytes times 32 signed bytes -> 8 int32 sums of 4 adjacent products. vpmaddubsw
// needs one unsigned side: |x| and y * sign(x) give the same products (x = -128 never occurs:
// quantized values stay within [-127, 127]).
inline __m256i dot_i8(__m256i x, __m256i y) noexcept {
    return madd_u8_i8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// Same as dot_i8 but leaves 16 int16 pair sums (for per-16-element scaling with vpmaddwd).
inline __m256i dot_i8_pairs(__m256i x, __m256i y) noexcept {
    return _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// The integer multiply-add primitives the quantized kernels are written against. AVX2 spells them
// with vpmaddubsw/vpmaddwd; the AVX-512 VNNI set (avx512.hpp) swaps in vpdpbusd/vpdpwssd, which
// fuse the widening and the accumulation, and reuses every kernel unchanged.
struct avx2_ops {
    // Whether a byte dot product accumulates into int32 in one instruction (VNNI's vpdpbusd);
    // without it the interleaved tiles sum several vpmaddubsw in int16 before widening.
    static constexpr bool fused_byte_dot = false;
    // 32 unsigned x 32 signed bytes -> 8 int32 sums of 4 products (see madd_u8_i8).
    static __m256i madd_u8_i8(__m256i u, __m256i s) noexcept { return avx2_detail::madd_u8_i8(u, s); }
    // 32 signed x 32 signed bytes -> 8 int32 sums of 4 products.
    static __m256i dot_i8(__m256i x, __m256i y) noexcept {
        return madd_u8_i8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    }
    // acc + madd_u8_i8(u, s).
    static __m256i madd_u8_i8_acc(__m256i acc, __m256i u, __m256i s) noexcept {
        return _mm256_add_epi32(acc, madd_u8_i8(u, s));
    }
    // madd_u8_i8(u1, s1) + madd_u8_i8(u2, s2) with one vpmaddwd: the int16 pair sums are added
    // first (callers keep each below 16384 so the sum cannot saturate).
    static __m256i madd_u8_i8_pair(__m256i u1, __m256i s1, __m256i u2, __m256i s2) noexcept {
        const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(u1, s1), _mm256_maddubs_epi16(u2, s2));
        return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
    }
    // acc + pairwise int16 products summed into int32 (vpmaddwd + vpaddd).
    static __m256i madd_i16_acc(__m256i acc, __m256i a, __m256i b) noexcept {
        return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
    }
};

// 16 packed nibble bytes -> 32 bytes in [0, 15]: low nibbles first (elements 0..15), then high
// nibbles (elements 16..31), the order of the legacy 32-element formats.
inline __m256i unpack_nibbles_16(const std::uint8_t* p) noexcept {
    // Both 128-bit halves get the 16 bytes (one load uop); the upper half shifts right by 4.
    const __m256i both = _mm256_broadcastsi128_si256(load128(p));
    const __m256i shifted = _mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4));
    return _mm256_and_si256(shifted, _mm256_set1_epi8(0x0f));
}

// 32 bits -> 32 bytes: 0xFF where bit i of `bits` is set, 0 elsewhere (byte i <- bit i).
inline __m256i bytes_from_bits(std::uint32_t bits) noexcept {
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(static_cast<int>(bits)),
        _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
    // Every byte k (of 8) gets all bits but bit k set: OR then compare with all-ones tests bit k.
    const __m256i others = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
    return _mm256_cmpeq_epi8(_mm256_or_si256(spread, others), _mm256_set1_epi64x(-1));
}

inline std::uint32_t load_u32(const std::uint8_t* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}


// Two 128-bit halves -> 256 (lo in lanes 0..3).
inline __m256i join(__m128i lo, __m128i hi) noexcept { return _mm256_set_m128i(hi, lo); }

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
