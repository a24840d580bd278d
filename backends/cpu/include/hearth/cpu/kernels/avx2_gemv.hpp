#pragma once
// Dedicated GEMV (one token) tile for q4_0 and q4_1 on AVX2 / AVX-512VL, two weight rows per
// register: a block holds 16 bytes of packed nibbles, so rows r and r+1 share one ymm and every
// unpack, multiply and convert instruction does the work of two rows. The activation block is
// broadcast to both halves once and serves all rows; the per-block scales of four rows are
// converted in one vcvtph2ps, and what depends on the activation alone (the q4_0 offset
// correction, the activation scales) is computed once per row range (+8% in cache). Tiles of 8
// rows of this kind measured no faster than 4; q4_0's whole 8-row groups take the tile in
// avx2_q4_0x8.hpp instead, which sums each row's block in one integer lane. The pair tile cuts
// the instructions per weight byte by about a quarter over
// the generic one-block-per-register tile (measured +14% for q4_0, +16% for q4_1 in cache), which
// matters because a 4-bit GEMV on one core is close to compute-bound at DRAM speed. The q5
// formats keep the generic tile: spreading their fifth bits costs more per pair than per row
// (a pair version of q5_0 measured 12% slower). q8_0, whose block fills a register already, has
// a 4-row tile of its own (avx2_q8_0x16.hpp) that sums a row per block.
#include <hearth/cpu/kernels/avx2_legacy.hpp>
#include <hearth/cpu/kernels/tile.hpp>
#include <array>
#include <type_traits>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

// [lo lane: row a's 16 bytes | hi lane: row b's 16 bytes] -> low nibbles (elements 0..15 of each
// row) and high nibbles (elements 16..31).
struct nibble_pair { __m256i lo, hi; };
inline nibble_pair unpack_pair(const std::uint8_t* a, const std::uint8_t* b) noexcept {
    const __m256i x = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(a)), load128(b), 1);
    const __m256i m = _mm256_set1_epi8(0x0f);
    return {_mm256_and_si256(x, m), _mm256_and_si256(_mm256_srli_epi16(x, 4), m)};
}

// [s0 s1 s2 s3 | s0 s1 s2 s3] -> [s_i x4 | s_{i+1} x4] with an in-lane permute (cheaper than a
// cross-lane one).
inline __m256 spread_pair(__m256 both, int i) noexcept {
    return _mm256_permutevar_ps(both, _mm256_setr_epi32(i, i, i, i, i + 1, i + 1, i + 1, i + 1));
}

// The nibble formats this kernel serves: q4_0 (levels offset by 8) and q4_1 (unsigned, minimum).
template <class Block> struct nibble_traits;
template <> struct nibble_traits<quant::block_q4_0> {
    static constexpr int offset = 8;
    static nibble_pair values(const quant::block_q4_0& a, const quant::block_q4_0& b) noexcept {
        return unpack_pair(a.qs, b.qs);
    }
};
// q4_1: unsigned levels and a per-block minimum m, multiplied with q8_1 activations whose
// s = d_a * sum(q_a) carries the m * sum(a) term.
template <> struct nibble_traits<quant::block_q4_1> {
    static constexpr int offset = 0;
    static nibble_pair values(const quant::block_q4_1& a, const quant::block_q4_1& b) noexcept {
        return unpack_pair(a.qs, b.qs);
    }
};

// What a GEMV needs of each activation block besides its quants, computed once per row range
// (not once per row tile, as the pair kernel first did): the offset correction of q4_0 as an
// int32 vector that is simply added to a row pair's sums ([-8 sum(a), 0, 0, 0] in each half:
// only the total of a row's four lanes matters, and they share one scale), and the activation
// block's scales as floats.
struct nibble_act_side {
    __m256i bias;
    float d, s;
    float pad[6];
};
static_assert(sizeof(nibble_act_side) == 64);

template <class I, int Offset, class ABlock>
inline void make_act_side(const ABlock* act, std::size_t nb, nibble_act_side* side) noexcept {
    for (std::size_t b = 0; b < nb; ++b) {
        side[b].bias = _mm256_setzero_si256();
        if constexpr (Offset != 0) {
            const __m256i a = load256(act[b].qs);
            const int sum = hsum_i32(madd_u8_i8(_mm256_set1_epi8(1), a));  // |sum| <= 32 * 127
            side[b].bias = _mm256_setr_epi32(-Offset * sum, 0, 0, 0, -Offset * sum, 0, 0, 0);
        }
        side[b].d = half(act[b].d);
        if constexpr (requires { act[b].s; }) side[b].s = half(act[b].s);
        else side[b].s = 0.0f;
    }
}

// Outputs of RM row pairs from their accumulators (lanes 0..3 row 2p, 4..7 row 2p+1) plus the
// min terms (lane r of `mins`): y[2p], y[2p + 1].
template <int RM>
inline void store_pair_sums(const __m256* acc, __m128 acc_min, float* y) noexcept {
    alignas(16) float mins[4];
    _mm_store_ps(mins, acc_min);
    for (int p = 0; p < RM / 2; ++p) {
        const __m128 lo = _mm256_castps256_ps128(acc[p]), hi = _mm256_extractf128_ps(acc[p], 1);
        __m128 s = _mm_hadd_ps(lo, hi);  // [a01 a23 b01 b23]
        s = _mm_hadd_ps(s, s);           // [a b a b]
        y[2 * p] = _mm_cvtss_f32(s) + mins[2 * p];
        y[2 * p + 1] = _mm_cvtss_f32(_mm_shuffle_ps(s, s, 1)) + mins[2 * p + 1];
    }
}

// The same outputs from per-row accumulators of llama.cpp's 8-lane layout, split in halves:
// lo[p] lanes 0..3 are row 2p's lanes 0..3 (elements 0..15), lanes 4..7 row 2p+1's; hi[p] the
// same for elements 16..31. Reduced exactly as hsum reduces one row's 8 lanes: lane i + lane
// i+4, then (0 + 2) + (1 + 3), then the min term added last.
template <int RM>
inline void store_pair_sums_split(const __m256* lo, const __m256* hi, __m128 acc_min, float* y) noexcept {
    alignas(16) float mins[4];
    _mm_store_ps(mins, acc_min);
    for (int p = 0; p < RM / 2; ++p) {
        __m256 s = _mm256_add_ps(lo[p], hi[p]);
        s = _mm256_add_ps(s, _mm256_permute_ps(s, 0b01001110));  // [0+2 1+3 . .] per row
        s = _mm256_add_ps(s, _mm256_movehdup_ps(s));              // lane 0: (0+2) + (1+3)
        y[2 * p] = _mm256_cvtss_f32(s) + mins[2 * p];
        y[2 * p + 1] = _mm_cvtss_f32(_mm256_extractf128_ps(s, 1)) + mins[2 * p + 1];
    }
}

// The activation side data of one activation row, in a per-thread buffer grown to the longest
// row seen and never shrunk (no allocation per token).
template <class I, int Offset, class ABlock>
inline const nibble_act_side* act_side_of(const std::byte* a, std::size_t nb) {
    thread_local std::vector<nibble_act_side> side;
    if (side.size() < nb) side.resize(nb);
    make_act_side<I, Offset>(reinterpret_cast<const ABlock*>(a), nb, side.data());
    return side.data();
}

// y[r] for RM (even, <= 4) rows of one token: the GEMV tile of q4_0 (x q8_0) and q4_1 (x q8_1)
// weights.
template <class I, class Block, int RM>
inline void nibble_gemv_tile(const std::byte* w, std::size_t w_stride, const std::byte* a, const nibble_act_side* side,
                             std::size_t nb, float* y) {
    static_assert(RM % 2 == 0 && RM <= 4);
    constexpr int pairs = RM / 2;
    using traits = nibble_traits<Block>;
    constexpr bool has_min = requires(const Block& blk) { blk.m; };
    using ablock = std::conditional_t<has_min, quant::block_q8_1, quant::block_q8_0>;
    const Block* rows[RM];
    for (int r = 0; r < RM; ++r) rows[r] = reinterpret_cast<const Block*>(w + r * w_stride);
    const auto* act = reinterpret_cast<const ablock*>(a);
    // q4_1 keeps llama.cpp's float lanes (vec_dot_q4_1_q8_1: 8 lanes of 4 products each per
    // row, reduced once at the end), so one token's logits are bit-identical to llama.cpp's:
    // elements 0..15 and 16..31 of a row accumulate apart (acc, acc_hi) instead of being summed
    // as integers first. That costs one convert and one FMA more per row pair and block; q4_0
    // keeps the cheaper layout, since llama.cpp repacks q4_0 (q4_0_8x8) and rounds in yet
    // another order there.
    constexpr bool split_halves = has_min;
    __m256 acc[pairs], acc_hi[pairs];
    for (int p = 0; p < pairs; ++p) acc[p] = acc_hi[p] = _mm256_setzero_ps();
    __m128 acc_min = _mm_setzero_ps();  // lane r: sum over blocks of m_r * s_a
    const auto pf = detail::far_tile_prefetcher::make<RM>(w, w_stride, nb);
    for (std::size_t b = 0; b < nb; ++b) {
        pf.at(b);
        // Activations: elements 0..15 and 16..31 broadcast to both halves.
        const __m256i a_lo = _mm256_broadcastsi128_si256(load128(act[b].qs));
        const __m256i a_hi = _mm256_broadcastsi128_si256(load128(act[b].qs + 16));
        const __m256i bias = _mm256_load_si256(&side[b].bias);
        // Scales of the RM rows in one conversion, times the activation scale.
        const __m128 s4 = _mm_mul_ps(_mm_cvtph_ps(gather_half_bits<RM>(rows, b, &Block::d)), _mm_broadcast_ss(&side[b].d));
        const __m256 scales = _mm256_set_m128(s4, s4);
        if constexpr (has_min)
            acc_min = _mm_fmadd_ps(_mm_cvtph_ps(gather_half_bits<RM>(rows, b, &Block::m)), _mm_broadcast_ss(&side[b].s),
                                   acc_min);
        for (int p = 0; p < pairs; ++p) {
            const nibble_pair q = traits::values(rows[2 * p][b], rows[2 * p + 1][b]);
            const __m256 scale = spread_pair(scales, 2 * p);
            if constexpr (split_halves) {
                acc[p] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(I::madd_u8_i8(q.lo, a_lo)), acc[p]);
                acc_hi[p] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(I::madd_u8_i8(q.hi, a_hi)), acc_hi[p]);
            } else {
                const __m256i sum = _mm256_add_epi32(bias, I::madd_u8_i8_pair(q.lo, a_lo, q.hi, a_hi));
                acc[p] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(sum), acc[p]);
            }
        }
    }
    if constexpr (split_halves) store_pair_sums_split<RM>(acc, acc_hi, acc_min, y);
    else store_pair_sums<RM>(acc, acc_min, y);
}

// What the GEMM tile needs of an activation block besides its quants: the q4_0 offset
// correction as the tile adds it to a row pair's four int32 lanes (the same in both halves), and
// the block's scale as a float. It depends on the token alone, yet the tile recomputed it for
// every row tile (two multiplies, an add and a widening per token and block, plus the register
// holding the offset): computed once per token chunk instead, the tile loads it (bench_kernels q4_0 GEMM,
// 512 tokens, 1 thread: 66-74 -> 75-90 GFLOP/s, measured side by side on a busy machine).
// The tile's arithmetic is unchanged, so are its results.
struct nibble_gemm_side {
    std::int32_t bias[4];
    float d;
    std::int32_t offset;  // bias[0] + ... + bias[3] (-Offset * sum(a)): what q4_0x8 adds to each row
};

template <class I, int Offset, class ABlock>
inline void make_gemm_side(const std::byte* a, std::size_t a_stride, std::size_t n_tokens, std::size_t nb,
                           nibble_gemm_side* side) noexcept {
    for (std::size_t t = 0; t < n_tokens; ++t) {
        const auto* act = reinterpret_cast<const ABlock*>(a + t * a_stride);
        for (std::size_t b = 0; b < nb; ++b) {
            nibble_gemm_side& sd = side[t * nb + b];
            __m128i bias = _mm_setzero_si128();
            if constexpr (Offset != 0) {
                const __m256i a_lo = _mm256_broadcastsi128_si256(load128(act[b].qs));
                const __m256i a_hi = _mm256_broadcastsi128_si256(load128(act[b].qs + 16));
                const __m256i off = _mm256_set1_epi8(Offset);
                bias = _mm256_castsi256_si128(_mm256_sub_epi32(_mm256_setzero_si256(), I::madd_u8_i8_pair(off, a_lo, off, a_hi)));
            }
            _mm_storeu_si128(reinterpret_cast<__m128i*>(sd.bias), bias);
            sd.offset = sd.bias[0] + sd.bias[1] + sd.bias[2] + sd.bias[3];
            sd.d = half(act[b].d);
        }
    }
}

// The side data of n_tokens activation rows, in a per-thread buffer grown to the largest chunk
// seen and never shrunk. Slot: one buffer per caller that may be live at once (a chunk's side
// data stays in use while its edge tiles make their own).
template <class I, int Offset, class ABlock, int Slot>
inline const nibble_gemm_side* gemm_side_of(const std::byte* a, std::size_t a_stride, std::size_t n_tokens,
                                            std::size_t nb) {
    thread_local std::vector<nibble_gemm_side> side;
    if (side.size() < n_tokens * nb) side.resize(n_tokens * nb);
    make_gemm_side<I, Offset, ABlock>(a, a_stride, n_tokens, nb, side.data());
    return side.data();
}

// y[t][r] for RM (even, <= 4) rows x RN tokens: the GEMM tile of q4_0 and q4_1 with the same
// row pairs as the GEMV tile. Per block, the weights are unpacked once for RN tokens and each
// multiply, convert and FMA serves two rows: about half the instructions per product of the
// generic one-row-per-register tile. side: the tokens' side data, nb entries per token.
// Prefetch: request the next row tile's weights while walking this one, as the GEMV does. The
// first token tile of a row tile reads its weights from DRAM (a short prompt reads every weight
// once, like a decode step, and stalled on each row tile without it).
template <class I, class Block, int RM, int RN, bool Prefetch = false>
inline void nibble_gemm_tile(const std::byte* w, std::size_t w_stride, const std::byte* a, std::size_t a_stride,
                             const nibble_gemm_side* side, std::size_t nb, float* y, std::size_t y_stride) {
    static_assert(RM % 2 == 0 && RM <= 4);
    constexpr int pairs = RM / 2;
    using traits = nibble_traits<Block>;
    constexpr bool has_min = requires(const Block& blk) { blk.m; };
    using ablock = std::conditional_t<has_min, quant::block_q8_1, quant::block_q8_0>;
    const Block* rows[RM];
    for (int r = 0; r < RM; ++r) rows[r] = reinterpret_cast<const Block*>(w + r * w_stride);
    const ablock* act[RN];
    for (int t = 0; t < RN; ++t) act[t] = reinterpret_cast<const ablock*>(a + t * a_stride);
    __m256 acc[pairs][RN];
    __m128 acc_min[RN];
    for (int t = 0; t < RN; ++t) {
        for (int p = 0; p < pairs; ++p) acc[p][t] = _mm256_setzero_ps();
        acc_min[t] = _mm_setzero_ps();
    }
    [[maybe_unused]] const auto pf = detail::next_tile_prefetcher::make<RM>(w, w_stride, nb);
    for (std::size_t b = 0; b < nb; ++b) {
        if constexpr (Prefetch) pf.at(b);
        nibble_pair q[pairs];
        for (int p = 0; p < pairs; ++p) q[p] = traits::values(rows[2 * p][b], rows[2 * p + 1][b]);
        const __m128 d4 = _mm_cvtph_ps(gather_half_bits<RM>(rows, b, &Block::d));
        const __m256 d8 = _mm256_set_m128(d4, d4);
        [[maybe_unused]] __m128 m4;
        if constexpr (has_min) m4 = _mm_cvtph_ps(gather_half_bits<RM>(rows, b, &Block::m));
        for (int t = 0; t < RN; ++t) {
            const __m256i a_lo = _mm256_broadcastsi128_si256(load128(act[t][b].qs));
            const __m256i a_hi = _mm256_broadcastsi128_si256(load128(act[t][b].qs + 16));
            const nibble_gemm_side& sd = side[t * nb + b];
            const __m256i bias = _mm256_broadcastsi128_si256(load128(sd.bias));
            const __m256 da = _mm256_broadcast_ss(&sd.d);
            if constexpr (has_min) acc_min[t] = _mm_fmadd_ps(m4, _mm_set1_ps(half(act[t][b].s)), acc_min[t]);
            for (int p = 0; p < pairs; ++p) {
                const __m256i sum = _mm256_add_epi32(bias, I::madd_u8_i8_pair(q[p].lo, a_lo, q[p].hi, a_hi));
                acc[p][t] = _mm256_fmadd_ps(_mm256_mul_ps(spread_pair(d8, 2 * p), da), _mm256_cvtepi32_ps(sum), acc[p][t]);
            }
        }
    }
    for (int t = 0; t < RN; ++t) {
        __m256 col[pairs];
        for (int p = 0; p < pairs; ++p) col[p] = acc[p][t];
        store_pair_sums<RM>(col, acc_min[t], y + t * y_stride);
    }
}

// Tile policy: a GEMV over a row range computes the activation side data once, then walks the
// rows in tiles of GemvRM with the pair kernel (an odd last row takes the generic tile); GEMM
// tiles use the generic tile.
// PairGemm: GEMM tiles of more than one token use the row-pair tile too. Off for q4_1, whose
// generic GEMM tile already sums in llama.cpp's order (eight float lanes per row, as
// vec_dot_q4_1_q8_1), so prefill logits are bit-identical to llama.cpp's at every batch size;
// the pair GEMM tile folds elements 0-15 and 16-31 into one integer lane first. Its one-token
// edge columns take the pair GEMV tile, which keeps the same lanes.
template <class I, class Kernel, int GemvRM, int GemmRM, int GemmRN, bool PairGemm = true>
struct nibble_policy {
    static constexpr int gemv_rm = GemvRM, gemm_rm = GemmRM, gemm_rn = GemmRN;
    static constexpr bool counts_elements = false;
    using wblock = typename Kernel::wblock;
    using ablock = typename Kernel::ablock;
    template <int RM, int RN>
    static void tile(const std::byte* w, std::size_t ws, const std::byte* a, std::size_t as, std::size_t nb, float* y,
                     std::size_t ys) {
        if constexpr (PairGemm && RM % 2 == 0 && RN > 1) {
            nibble_gemm_tile<I, wblock, RM, RN>(w, ws, a, as, side_of_tokens<1>(a, as, RN, nb), nb, y, ys);
        } else if constexpr (!PairGemm && RM % 2 == 0 && RN == 1) {
            // A one-token column of a GEMM: the pair GEMV tile, as before the pair GEMM existed.
            nibble_gemv_tile<I, wblock, RM>(w, ws, a, act_side_of<I, nibble_traits<wblock>::offset, ablock>(a, nb), nb, y);
        } else {
            detail::block_tile<Kernel, RM, RN>(w, ws, a, as, nb, y, ys);
        }
    }
    template <int Slot>
    static const nibble_gemm_side* side_of_tokens(const std::byte* a, std::size_t as, std::size_t n, std::size_t nb) {
        return gemm_side_of<I, nibble_traits<wblock>::offset, ablock, Slot>(a, as, n, nb);
    }
    // GEMM over a row range (tiled_rows' loop, with the side data made once per token chunk):
    // the pair tile where it applies, the tile table elsewhere, as tile<RM, RN> would choose.
    // side: the chunk's side data if the caller made it already (the interleaved policies, whose
    // edge rows come here), else null.
    static void gemm_chunk(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                           std::size_t as, std::size_t n_tokens, std::size_t nb, float* y, std::size_t ys,
                           const nibble_gemm_side* side = nullptr)
        requires PairGemm
    {
        if (!side) side = side_of_tokens<0>(a, as, n_tokens, nb);
        using table = detail::tile_table<nibble_policy, GemmRM, GemmRN>;
        for (std::size_t r = r0; r < r1; r += GemmRM) {
            const std::size_t m = std::min<std::size_t>(GemmRM, r1 - r);
            for (std::size_t t = 0; t < n_tokens; t += GemmRN) {
                const std::size_t n = std::min<std::size_t>(GemmRN, n_tokens - t);
                const std::byte* wr = w + r * ws;
                const std::byte* at = a + t * as;
                float* yt = y + t * ys + r;
                // A pair tile reads the chunk's side data; tile<RM, RN> would make its own per row
                // tile (an edge column of a short prompt paid that for every row tile).
                if (m % 2 == 0 && n > 1) {
                    // The next row tile's weights are requested by the first token tile only (the
                    // later ones find this tile's weights in L1), and only when there is one.
                    const bool prefetch = t == 0 && r + m < r1;
                    pair_tile(m, n, prefetch)(wr, ws, at, as, side + t * nb, nb, yt, ys);
                } else {
                    table::get(m, n)(wr, ws, at, as, nb, yt, ys);
                }
            }
        }
    }
    using pair_tile_fn = void (*)(const std::byte*, std::size_t, const std::byte*, std::size_t,
                                  const nibble_gemm_side*, std::size_t, float*, std::size_t);
    // nibble_gemm_tile for m (even) rows x n (> 1) tokens, with or without prefetch.
    static pair_tile_fn pair_tile(std::size_t m, std::size_t n, bool prefetch) {
        static constexpr int pairs = GemmRM / 2, cols = GemmRN - 1;
        static constexpr auto table = []<std::size_t... K>(std::index_sequence<K...>) {
            // K = (prefetch * pairs + pair count - 1) * cols + token count - 2
            return std::array<pair_tile_fn, 2 * pairs * cols>{
                &nibble_gemm_tile<I, wblock, 2 * (static_cast<int>(K / cols % pairs) + 1),
                                  static_cast<int>(K % cols) + 2, (K / cols / pairs) == 1>...};
        }(std::make_index_sequence<2 * pairs * cols>{});
        return table[((prefetch ? 1 : 0) * pairs + m / 2 - 1) * cols + (n - 2)];
    }
    static void gemv(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                     std::size_t nb, float* y) {
        if (r1 - r0 < 2) {  // one row (e.g. an attention score): nothing to share the side data with
            for (std::size_t r = r0; r < r1; ++r) detail::block_tile<Kernel, 1, 1>(w + r * ws, ws, a, 0, nb, y + r, 1);
            return;
        }
        const nibble_act_side* side = act_side_of<I, nibble_traits<wblock>::offset, ablock>(a, nb);
        std::size_t r = r0;
        for (; r + GemvRM <= r1; r += GemvRM) nibble_gemv_tile<I, wblock, GemvRM>(w + r * ws, ws, a, side, nb, y + r);
        if (r + 2 <= r1) nibble_gemv_tile<I, wblock, 2>(w + r * ws, ws, a, side, nb, y + r), r += 2;
        if (r < r1) detail::block_tile<Kernel, 1, 1>(w + r * ws, ws, a, 0, nb, y + r, 1);
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
