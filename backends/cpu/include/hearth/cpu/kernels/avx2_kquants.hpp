#pragma once
// AVX2 kernels of the K-quants (q2_K, q3_K, q4_K, q5_K, q6_K) against q8_K activation blocks.
//
// Per 256-element super-block: integer dot products per 32 lanes (vpmaddubsw), sub-block scales
// applied with vpmaddwd while still integer, one float FMA with d_w * d_a at the end. Sub-block
// minimums (q2_K, q4_K, q5_K) and q6_K's +32 bias use the activation block's bsums (sums of 16
// activations), so they cost one vpmaddwd per super-block instead of work per element.
#include <hearth/cpu/kernels/avx2_legacy.hpp>
#include <type_traits>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

// 16 bytes -> 16 int16 where lanes 0..7 hold byte `lo` and lanes 8..15 byte `lo + 1`: the scale
// of elements 0..15 and 16..31 of a 32-lane product (vpmaddubsw keeps the 128-bit halves apart).
template <int lo>
inline __m256i scale_pair_u8(__m128i bytes) noexcept {
    const __m128i pick = _mm_set_epi8(lo + 1, lo + 1, lo + 1, lo + 1, lo + 1, lo + 1, lo + 1, lo + 1,
                                      lo, lo, lo, lo, lo, lo, lo, lo);
    return _mm256_cvtepu8_epi16(_mm_shuffle_epi8(bytes, pick));
}
template <int lo>
inline __m256i scale_pair_i8(__m128i bytes) noexcept {
    const __m128i pick = _mm_set_epi8(lo + 1, lo + 1, lo + 1, lo + 1, lo + 1, lo + 1, lo + 1, lo + 1,
                                      lo, lo, lo, lo, lo, lo, lo, lo);
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(bytes, pick));
}

// The 12-byte packing of q4_K / q5_K: 8 six-bit scales and 8 six-bit mins -> bytes 0..7 scales,
// 8..15 mins. Done on the four 32-bit words at once (the scalar version costs ~25 instructions
// and a round trip through the stack per super-block):
//   scales 0..3 = w0 & 0x3f..             scales 4..7 = (w2 & 0x0f..) | ((w0 >> 6) & 0x03..) << 4
//   mins   0..3 = w1 & 0x3f..             mins   4..7 = ((w2 >> 4) & 0x0f..) | ((w1 >> 6) & 0x03..) << 4
// (The 16-byte load reads 4 bytes past the scales: the block's first quants, always present.)
inline __m128i unpack_scales_mins_k4(const std::uint8_t* packed) noexcept {
    const __m128i w = load128(packed);
    const __m128i low = _mm_shuffle_epi32(w, _MM_SHUFFLE(2, 1, 2, 0));   // w0 w2 w1 w2
    const __m128i high = _mm_shuffle_epi32(w, _MM_SHUFFLE(1, 1, 0, 0));  // w0 w0 w1 w1
    const __m128i lo_bits = _mm_and_si128(_mm_srlv_epi32(low, _mm_setr_epi32(0, 0, 0, 4)),
                                          _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    const __m128i hi_bits = _mm_and_si128(_mm_srlv_epi32(high, _mm_setr_epi32(0, 6, 0, 6)),
                                          _mm_setr_epi32(0, 0x03030303, 0, 0x03030303));
    return _mm_or_si128(lo_bits, _mm_slli_epi32(hi_bits, 4));
}

// The same unpacking in general-purpose registers (byte i of scales / mins: sub-block i's), for
// the GEMV: there the vector ports are the bottleneck and the integer ones idle.
struct k4_scales_mins { std::uint64_t scales, mins; };
inline k4_scales_mins unpack_scales_mins_k4_gpr(const std::uint8_t* packed) noexcept {
    std::uint32_t w[3];
    for (int i = 0; i < 3; ++i) std::memcpy(&w[i], packed + 4 * i, 4);  // three loads, not a copy to the stack
    constexpr std::uint32_t low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, two = 0x03030303;
    const std::uint32_t s47 = (w[2] & low4) | ((w[0] >> 6) & two) << 4;
    const std::uint32_t m47 = ((w[2] >> 4) & low4) | ((w[1] >> 6) & two) << 4;
    return {(w[0] & low6) | std::uint64_t{s47} << 32, (w[1] & low6) | std::uint64_t{m47} << 32};
}

// q3_K's 16 six-bit scales (biased by 32) packed in 12 bytes -> 16 int8 in [-32, 31].
inline __m128i unpack_scales_k3(const std::uint8_t* packed) noexcept {
    std::uint32_t u[3];
    std::memcpy(u, packed, 12);
    constexpr std::uint32_t low4 = 0x0f0f0f0f, two = 0x03030303;
    const std::uint32_t s0 = (u[0] & low4) | (((u[2] >> 0) & two) << 4);
    const std::uint32_t s1 = (u[1] & low4) | (((u[2] >> 2) & two) << 4);
    const std::uint32_t s2 = ((u[0] >> 4) & low4) | (((u[2] >> 4) & two) << 4);
    const std::uint32_t s3 = ((u[1] >> 4) & low4) | (((u[2] >> 6) & two) << 4);
    const __m128i biased = _mm_set_epi32(static_cast<int>(s3), static_cast<int>(s2), static_cast<int>(s1),
                                         static_cast<int>(s0));
    return _mm_sub_epi8(biased, _mm_set1_epi8(32));
}

struct no_prep {};

// Accumulator of q4_K / q5_K: per super-block, the integer dot (scales applied) and the integer
// min term are each reduced to one number, then accumulated as d_w d_a * isum and dmin_w d_a *
// msum in two float sums, subtracted once at the end. This is the order of llama.cpp's
// interleaved q4_K kernels (repacked q4_K_8x8), and the order in which the 8-row interleaved GEMM
// (avx2_k4x8.hpp) sums with each lane a row: every q4_K path here (GEMV, GEMM tiles, edge rows)
// gives the same bits for a row and token, whatever the batch.
struct superblock_acc {
    using acc = __m128;  // lane 0: sum of d_w d_a isum; lane 1: sum of dmin_w d_a msum
    static acc zero() noexcept { return _mm_setzero_ps(); }
    static float reduce(acc a) noexcept { return _mm_cvtss_f32(a) - _mm_cvtss_f32(_mm_movehdup_ps(a)); }
    static acc add(acc a, int isum, int msum, float d_ad, float dmin_ad) noexcept {
        return _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_setr_epi32(isum, msum, 0, 0)), _mm_setr_ps(d_ad, dmin_ad, 0.0f, 0.0f), a);
    }
};

inline int hsum_i32x4(__m128i s) noexcept {
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

// q4_K and q5_K (five = true: a fifth bit per element from qh). The unpacked scales and mins are
// the prepared form of a weight block, so a GEMM tile decodes them once for all its tokens; the
// activation block's sub-block sums of 32 are prepared once for all rows.
template <class I, bool five>
struct k4_kernel : superblock_acc {
    using wblock = std::conditional_t<five, quant::block_q5_k, quant::block_q4_k>;
    using ablock = quant::block_q8_k;
    struct prepared {
        __m256i scales;  // int16 word k = scale of sub-block k, in both 128-bit halves
        __m128i mins;    // int16 mins of the 8 sub-blocks
        float d, dmin;
    };
    struct act_prepared {
        __m128i pair_sums;  // int16 sums of the 8 sub-blocks of 32 activations
        float d;
    };
    static prepared prepare(const wblock& w) noexcept {
        const __m128i sm = unpack_scales_mins_k4(w.scales);
        const __m128i sc16 = _mm_cvtepu8_epi16(sm);
        return {_mm256_set_m128i(sc16, sc16), _mm_cvtepu8_epi16(_mm_srli_si128(sm, 8)), half(w.d), half(w.dmin)};
    }
    static act_prepared prepare_act(const ablock& a) noexcept {
        const __m256i bs = load256(a.bsums);
        return {_mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1)), a.d};
    }
    // Elements 64j .. 64j + 31 (lo) and 64j + 32 .. 64j + 63 (hi) as bytes; qh: the block's fifth
    // bits (q5_K only).
    struct group { __m256i lo, hi; };
    static group values(const wblock& w, [[maybe_unused]] __m256i qh, int j) noexcept {
        const __m256i mask = _mm256_set1_epi8(0x0f);
        const __m256i q = load256(w.qs + 32 * j);
        group g{_mm256_and_si256(q, mask), _mm256_and_si256(_mm256_srli_epi16(q, 4), mask)};
        if constexpr (five) {
            // Bit 2j of qh[l] is the fifth bit of element 64j + l, bit 2j+1 of element 64j + 32 + l.
            const __m256i bit4 = _mm256_set1_epi8(0x10);
            g.lo = _mm256_or_si256(g.lo, _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * j), 4), bit4));
            g.hi = _mm256_or_si256(g.hi, _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * j + 1), 4), bit4));
        }
        return g;
    }
    static __m256i fifth_bits(const wblock& w) noexcept {
        if constexpr (five) return load256(w.qh);
        else return _mm256_setzero_si256();
    }
    // The scale of sub-block i in every int16 lane (prepared.scales holds it in word i).
    static __m256i scale_lanes(__m256i scales, int i) noexcept {
        return _mm256_shuffle_epi8(scales, _mm256_set1_epi16(static_cast<short>(0x0100 + 0x0202 * i)));
    }
    // The scaled integer dot of a super-block, in 8 int32 lanes (the minimum term apart). Two
    // accumulators (even and odd sub-blocks), not one: with VNNI the eight vpdpwssd of one chain
    // bound the GEMV by their latency (Zen 4, bench_kernels_incache q4_K GEMV 23.3 -> 25.5 GB/s,
    // q5_K 20.9 -> 23.0; four chains measured 24.1). Integer sums: the lanes are the same.
    static __m256i scaled_sum(const prepared& p, const wblock& w, const ablock& a) noexcept {
        const __m256i qh = fifth_bits(w);
        __m256i sum = _mm256_setzero_si256(), sum2 = _mm256_setzero_si256();
        for (int j = 0; j < 4; ++j) {
            const group g = values(w, qh, j);
            const __m256i p_lo = _mm256_maddubs_epi16(g.lo, load256(a.qs + 64 * j));
            const __m256i p_hi = _mm256_maddubs_epi16(g.hi, load256(a.qs + 64 * j + 32));
            sum = I::madd_i16_acc(sum, p_lo, scale_lanes(p.scales, 2 * j));
            sum2 = I::madd_i16_acc(sum2, p_hi, scale_lanes(p.scales, 2 * j + 1));
        }
        return _mm256_add_epi32(sum, sum2);
    }
    static acc dot(const prepared& p, const wblock& w, const act_prepared& ap, const ablock& a, acc s) noexcept {
        // Minimum term: sum over 8 sub-blocks of min * (sum of its 32 activations).
        const __m256i min_dot = _mm256_zextsi128_si256(_mm_madd_epi16(p.mins, ap.pair_sums));
        return add(s, hsum_i32(scaled_sum(p, w, a)), hsum_i32x4(_mm256_castsi256_si128(min_dot)), p.d * ap.d,
                   p.dmin * ap.d);
    }
};
template <class I = avx2_ops> using q4_k_kernel = k4_kernel<I, false>;
template <class I = avx2_ops> using q5_k_kernel = k4_kernel<I, true>;

// The same dot for GEMM tiles, with the weight block unpacked once in prepare(): the nibbles
// (and fifth bits) spread to bytes and the scales shuffled into their int16 lanes, kept in the
// prepared block (L1) for the tile's tokens. k4_kernel redoes that unpacking for every token:
// 20 of its ~45 instructions per row x token x super-block. Same integer sums and the same
// float operations in the same order as k4_kernel, so the same results; the GEMV keeps
// k4_kernel (one token: nothing to share, and the stores would only cost).
template <class I, bool five>
struct k4_gemm_kernel : superblock_acc {
    using base = k4_kernel<I, five>;
    using wblock = typename base::wblock;
    using ablock = typename base::ablock;
    using act_prepared = typename base::act_prepared;
    struct prepared {
        __m256i q[8];       // elements 32i .. 32i + 31 as bytes
        __m256i scales[8];  // the scale of each of their pairs' int16 products
        __m128i mins;
        float d, dmin;
    };
    static prepared prepare(const wblock& w) noexcept {
        const auto b = base::prepare(w);
        prepared p;
        const __m256i qh = base::fifth_bits(w);
        for (int j = 0; j < 4; ++j) {
            const auto g = base::values(w, qh, j);
            p.q[2 * j] = g.lo;
            p.q[2 * j + 1] = g.hi;
            p.scales[2 * j] = base::scale_lanes(b.scales, 2 * j);
            p.scales[2 * j + 1] = base::scale_lanes(b.scales, 2 * j + 1);
        }
        p.mins = b.mins, p.d = b.d, p.dmin = b.dmin;
        return p;
    }
    static act_prepared prepare_act(const ablock& a) noexcept { return base::prepare_act(a); }
    static acc dot(const prepared& p, const wblock&, const act_prepared& ap, const ablock& a, acc s) noexcept {
        const __m256i min_dot = _mm256_zextsi128_si256(_mm_madd_epi16(p.mins, ap.pair_sums));
        __m256i sum = _mm256_setzero_si256();
        for (int j = 0; j < 4; ++j) {
            const __m256i p_lo = _mm256_maddubs_epi16(p.q[2 * j], load256(a.qs + 64 * j));
            const __m256i p_hi = _mm256_maddubs_epi16(p.q[2 * j + 1], load256(a.qs + 64 * j + 32));
            sum = I::madd_i16_acc(I::madd_i16_acc(sum, p_lo, p.scales[2 * j]), p_hi, p.scales[2 * j + 1]);
        }
        return add(s, hsum_i32(sum), hsum_i32x4(_mm256_castsi256_si128(min_dot)), p.d * ap.d, p.dmin * ap.d);
    }
};

template <class I = avx2_ops>
struct q6_k_kernel : vec_acc {
    using wblock = quant::block_q6_k;
    using ablock = quant::block_q8_k;
    using prepared = no_prep;
    static prepared prepare(const wblock&) noexcept { return {}; }

    // One half (128 elements): 4 groups of 32 values in [0, 63], each split into two 16-element
    // sub-blocks with their own int8 scale.
    // Half h: its four groups of 32 values in [0, 63] (elements 128h + 32i ..), as bytes.
    template <int h>
    static void half_values(const wblock& w, __m256i* q) noexcept {
        const std::uint8_t* ql = w.ql + 64 * h;
        const __m256i qh = load256(w.qh + 32 * h);
        const __m256i m4 = _mm256_set1_epi8(0x0f), m6 = _mm256_set1_epi8(0x30);
        const __m256i l0 = load256(ql), l1 = load256(ql + 32);
        q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m6));
        q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m6));
        q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(qh, m6));
        q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), m6));
    }
    // The int16 scale of each pair product of a half's group i (its elements 32i .. 32i + 31):
    // lanes 0-7 the half's scale 2i, lanes 8-15 its scale 2i + 1, from the half's 8 scales as
    // int16 in both 128-bit lanes. One in-lane vpshufb per group, where scale_pair_i8 takes a vpshufb and a widening:
    // the GEMV is bound by its instruction count, and these were 16 of its ~90 per super-block.
    template <int i>
    static __m256i scale_pair(__m256i half_scales) noexcept {
        constexpr char a = 4 * i, b = 4 * i + 1, c = 4 * i + 2, d = 4 * i + 3;
        return _mm256_shuffle_epi8(half_scales, _mm256_setr_epi8(a, b, a, b, a, b, a, b, a, b, a, b, a, b, a, b,
                                                                 c, d, c, d, c, d, c, d, c, d, c, d, c, d, c, d));
    }
    // Half h's dot; half_scales: its scales 8h .. 8h + 7 as int16, in both 128-bit lanes. Two
    // chains of multiply-adds per half, and the halves apart (four in all, where one chain of
    // eight was latency-bound: Zen 4, bench_kernels_incache q6_K GEMV 29.4 -> 30.4 GB/s). The
    // integer lanes are the same, so are the results.
    template <int h>
    static __m256i half_dot(const wblock& w, const ablock& a, __m256i half_scales, __m256i acc_i) noexcept {
        __m256i q[4];
        half_values<h>(w, q);
        const std::int8_t* aq = a.qs + 128 * h;
        __m256i acc2 = _mm256_setzero_si256();
        acc_i = I::madd_i16_acc(acc_i, _mm256_maddubs_epi16(q[0], load256(aq)), scale_pair<0>(half_scales));
        acc2 = I::madd_i16_acc(acc2, _mm256_maddubs_epi16(q[1], load256(aq + 32)), scale_pair<1>(half_scales));
        acc_i = I::madd_i16_acc(acc_i, _mm256_maddubs_epi16(q[2], load256(aq + 64)), scale_pair<2>(half_scales));
        acc2 = I::madd_i16_acc(acc2, _mm256_maddubs_epi16(q[3], load256(aq + 96)), scale_pair<3>(half_scales));
        return _mm256_add_epi32(acc_i, acc2);
    }

    static acc dot(const prepared&, const wblock& w, const ablock& a, acc s) noexcept {
        const __m256i scales16 = _mm256_cvtepi8_epi16(load128(w.scales));
        // The stored values are q + 32: subtract 32 * sum_k scale_k * bsum_k once.
        const __m256i bias = _mm256_slli_epi32(_mm256_madd_epi16(scales16, load256(a.bsums)), 5);
        const __m256i lo = _mm256_permute2x128_si256(scales16, scales16, 0x00);
        const __m256i hi = _mm256_permute2x128_si256(scales16, scales16, 0x11);
        const __m256i sum = _mm256_sub_epi32(
            _mm256_add_epi32(half_dot<0>(w, a, lo, _mm256_setzero_si256()), half_dot<1>(w, a, hi, _mm256_setzero_si256())),
            bias);
        return _mm256_fmadd_ps(_mm256_set1_ps(half(w.d) * a.d), _mm256_cvtepi32_ps(sum), s);
    }
};

// q6_K for GEMM tiles: the six-bit values assembled and the scales widened once per weight block
// (prepare), kept in L1 for the tile's tokens; q6_k_kernel does it for every token. Same integer
// sums, same float operations, same results.
template <class I = avx2_ops>
struct q6_k_gemm_kernel : vec_acc {
    using wblock = quant::block_q6_k;
    using ablock = quant::block_q8_k;
    struct prepared {
        __m256i q[8];       // elements 32i .. 32i + 31, in [0, 63]
        __m256i scales[8];  // int16 scale of each of their pairs' products
        __m256i scales16;   // the 16 scales as int16 (for the +32 bias)
        float d;
    };
    template <int h>
    static void unpack_half(const wblock& w, __m128i scales, prepared& p) noexcept {
        q6_k_kernel<I>::template half_values<h>(w, p.q + 4 * h);
        p.scales[4 * h + 0] = scale_pair_i8<8 * h + 0>(scales);
        p.scales[4 * h + 1] = scale_pair_i8<8 * h + 2>(scales);
        p.scales[4 * h + 2] = scale_pair_i8<8 * h + 4>(scales);
        p.scales[4 * h + 3] = scale_pair_i8<8 * h + 6>(scales);
    }
    static prepared prepare(const wblock& w) noexcept {
        prepared p;
        const __m128i scales = load128(w.scales);
        unpack_half<0>(w, scales, p);
        unpack_half<1>(w, scales, p);
        p.scales16 = _mm256_cvtepi8_epi16(scales);
        p.d = half(w.d);
        return p;
    }
    static acc dot(const prepared& p, const wblock&, const ablock& a, acc s) noexcept {
        const std::int8_t* const aq[1] = {a.qs};
        __m256i sum[1][1];
        tile_sums<1, 1>(&p, 0, aq, sum);
        return finish(p, a, sum[0][0], s);
    }

    // RM prepared blocks (p[r * p_stride]) times RN activation blocks, 32 elements at a time:
    // sum[r][t] += scales * (q . a) for each group of 32, with the group's RM weight vectors and
    // RN activation vectors loaded once for the whole tile. (dot() per row and token reloaded
    // them for every pair: 26 loads for 19 multiplies, and a 4 x 3 tile's accumulators spilled.)
    template <int RM, int RN>
    static void tile_sums(const prepared* p, std::size_t p_stride, const std::int8_t* const (&aq)[RN],
                          __m256i (&sum)[RM][RN]) noexcept {
        for (int r = 0; r < RM; ++r)
            for (int t = 0; t < RN; ++t) sum[r][t] = _mm256_setzero_si256();
        for (int i = 0; i < 8; ++i) {
            __m256i av[RN];
            for (int t = 0; t < RN; ++t) av[t] = load256(aq[t] + 32 * i);
            for (int r = 0; r < RM; ++r) {
                const prepared& pr = p[r * p_stride];
                for (int t = 0; t < RN; ++t) {
                    sum[r][t] = I::madd_i16_acc(sum[r][t], _mm256_maddubs_epi16(pr.q[i], av[t]), pr.scales[i]);
                    keep_in_register(sum[r][t]);
                }
            }
        }
    }
    // The stored values are q + 32: subtract 32 * sum_k scale_k * bsum_k, then one FMA.
    static acc finish(const prepared& p, const ablock& a, __m256i sum, acc s) noexcept {
        const __m256i bias = _mm256_slli_epi32(_mm256_madd_epi16(p.scales16, load256(a.bsums)), 5);
        return _mm256_fmadd_ps(_mm256_set1_ps(p.d * a.d), _mm256_cvtepi32_ps(_mm256_sub_epi32(sum, bias)), s);
    }

    // prepared_gemm's tile: y[t * y_stride + r] for RM rows whose blocks are p[r * nb + b].
    template <int RM, int RN>
    static void prepared_tile(const prepared* p, const std::byte* a, std::size_t a_stride, std::size_t nb, float* y,
                              std::size_t y_stride) noexcept {
        const ablock* at[RN];
        for (int t = 0; t < RN; ++t) at[t] = reinterpret_cast<const ablock*>(a + t * a_stride);
        acc s[RM][RN];
        for (int r = 0; r < RM; ++r)
            for (int t = 0; t < RN; ++t) s[r][t] = zero();
        for (std::size_t b = 0; b < nb; ++b) {
            const std::int8_t* aq[RN];
            for (int t = 0; t < RN; ++t) aq[t] = at[t][b].qs;
            __m256i sum[RM][RN];
            tile_sums<RM, RN>(p + b, nb, aq, sum);
            for (int r = 0; r < RM; ++r)
                for (int t = 0; t < RN; ++t) s[r][t] = finish(p[r * nb + b], at[t][b], sum[r][t], s[r][t]);
        }
        for (int r = 0; r < RM; ++r)
            for (int t = 0; t < RN; ++t) y[t * y_stride + r] = reduce(s[r][t]);
    }
};

template <class I = avx2_ops>
struct q2_k_kernel : vec_acc {
    using wblock = quant::block_q2_k;
    using ablock = quant::block_q8_k;
    using prepared = no_prep;
    static prepared prepare(const wblock&) noexcept { return {}; }

    template <int h>
    static __m256i half_dot(const wblock& w, const ablock& a, __m128i scales, __m256i acc_i) noexcept {
        const __m256i q = load256(w.qs + 32 * h);
        const std::int8_t* aq = a.qs + 128 * h;
        const __m256i m2 = _mm256_set1_epi8(3);
        const __m256i q0 = _mm256_and_si256(q, m2);
        const __m256i q1 = _mm256_and_si256(_mm256_srli_epi16(q, 2), m2);
        const __m256i q2 = _mm256_and_si256(_mm256_srli_epi16(q, 4), m2);
        const __m256i q3 = _mm256_and_si256(_mm256_srli_epi16(q, 6), m2);
        acc_i = I::madd_i16_acc(acc_i, _mm256_maddubs_epi16(q0, load256(aq)), scale_pair_u8<8 * h + 0>(scales));
        acc_i = I::madd_i16_acc(acc_i, _mm256_maddubs_epi16(q1, load256(aq + 32)), scale_pair_u8<8 * h + 2>(scales));
        acc_i = I::madd_i16_acc(acc_i, _mm256_maddubs_epi16(q2, load256(aq + 64)), scale_pair_u8<8 * h + 4>(scales));
        acc_i = I::madd_i16_acc(acc_i, _mm256_maddubs_epi16(q3, load256(aq + 96)), scale_pair_u8<8 * h + 6>(scales));
        return acc_i;
    }

    static acc dot(const prepared&, const wblock& w, const ablock& a, acc s) noexcept {
        const __m128i packed = load128(w.scales);
        const __m128i scales = _mm_and_si128(packed, _mm_set1_epi8(0x0f));
        const __m128i mins = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0f));
        const __m256i min_dot = _mm256_madd_epi16(_mm256_cvtepu8_epi16(mins), load256(a.bsums));
        const __m256i sum = half_dot<1>(w, a, scales, half_dot<0>(w, a, scales, _mm256_setzero_si256()));
        const float da = a.d;
        s = _mm256_fmadd_ps(_mm256_set1_ps(half(w.d) * da), _mm256_cvtepi32_ps(sum), s);
        return _mm256_fmadd_ps(_mm256_set1_ps(-half(w.dmin) * da), _mm256_cvtepi32_ps(min_dot), s);
    }
};

template <class I = avx2_ops>
struct q3_k_kernel : vec_acc {
    using wblock = quant::block_q3_k;
    using ablock = quant::block_q8_k;
    using prepared = no_prep;
    static prepared prepare(const wblock&) noexcept { return {}; }

    // Group g (0..7) of 32 elements: low 2 bits from qs >> 2j of half h, high bit = bit g of hmask;
    // value = low - (high ? 0 : 4) in [-4, 3].
    template <int h, int j>
    static __m256i group(__m256i q, __m256i hm, const std::int8_t* aq) noexcept {
        const __m256i low = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), _mm256_set1_epi8(3));
        const __m256i bit = _mm256_and_si256(hm, _mm256_set1_epi8(static_cast<char>(1 << (4 * h + j))));
        const __m256i four = _mm256_and_si256(_mm256_cmpeq_epi8(bit, _mm256_setzero_si256()), _mm256_set1_epi8(4));
        return dot_i8_pairs(_mm256_sub_epi8(low, four), load256(aq + 32 * j));
    }
    template <int h>
    static __m256i half_dot(const wblock& w, const ablock& a, __m128i scales, __m256i hm, __m256i acc_i) noexcept {
        const __m256i q = load256(w.qs + 32 * h);
        const std::int8_t* aq = a.qs + 128 * h;
        acc_i = I::madd_i16_acc(acc_i, group<h, 0>(q, hm, aq), scale_pair_i8<8 * h + 0>(scales));
        acc_i = I::madd_i16_acc(acc_i, group<h, 1>(q, hm, aq), scale_pair_i8<8 * h + 2>(scales));
        acc_i = I::madd_i16_acc(acc_i, group<h, 2>(q, hm, aq), scale_pair_i8<8 * h + 4>(scales));
        acc_i = I::madd_i16_acc(acc_i, group<h, 3>(q, hm, aq), scale_pair_i8<8 * h + 6>(scales));
        return acc_i;
    }
    static acc dot(const prepared&, const wblock& w, const ablock& a, acc s) noexcept {
        const __m128i scales = unpack_scales_k3(w.scales);
        const __m256i hm = load256(w.hmask);
        const __m256i sum = half_dot<1>(w, a, scales, hm, half_dot<0>(w, a, scales, hm, _mm256_setzero_si256()));
        return _mm256_fmadd_ps(_mm256_set1_ps(half(w.d) * a.d), _mm256_cvtepi32_ps(sum), s);
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
