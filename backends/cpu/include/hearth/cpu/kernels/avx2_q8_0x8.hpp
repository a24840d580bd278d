#pragma once
// AVX2 matmul of q8_0 weights against q8_0 activations: a GEMM with eight weight rows
// interleaved in each register (as avx2_q4_0x8.hpp does for q4_0), unpacked once per token
// chunk into a per-thread buffer, and a per-row tile for the GEMV and the rows after the last
// group of 8.
//
// Float order: per row and block, one FMA of d_w d_a times the block's exact integer dot into one
// float sum per row, the blocks in order (ggml's generic vec_dot_q8_0_q8_0 and q4_0's GEMM do the
// same, up to the FMA). Both tiles do exactly this, so a token's outputs do not depend on the
// batch it came in. llama.cpp's AVX2 dot keeps 8 float lanes per row instead, one FMA per
// 4-element chunk: that order costs 8 conversions and 8 FMAs per block, row and token, where
// this one costs 1 of each, and it capped this GEMM at half the speed of q4_0's. The two orders
// differ in the last bits of a sum, well inside the scalar twin's bound and the llama.cpp parity
// tests' tolerances.
#include <hearth/cpu/kernels/avx2_k4x8.hpp>
#include <hearth/cpu/kernels/tile.hpp>
#include <array>
#include <utility>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

// One 32-element block of 8 rows, interleaved.
struct q8_0x8_block {
    __m256i q[8];    // chunk c (elements 4c .. 4c+3): dword j = row j's 4 weights
    __m256i abs[8];  // the same as unsigned magnitudes (|-128| reads as 128)
    __m256 d;        // lane j: row j's scale
};

template <class I = avx2_ops>
struct q8_0x8 {
    static void prepare(const quant::block_q8_0* const (&rows)[8], q8_0x8_block& out) noexcept {
        alignas(32) float d[8];
        for (int j = 0; j < 8; ++j) {
            out.q[j] = load256(rows[j]->qs);
            d[j] = half(rows[j]->d);
        }
        transpose_8x8_epi32(out.q);
        for (int c = 0; c < 8; ++c) out.abs[c] = _mm256_sign_epi8(out.q[c], out.q[c]);
        out.d = _mm256_load_ps(d);
    }

    // y[t * y_stride + j] for the 8 rows of p (nb prepared blocks) and RN tokens' q8_0
    // activations (a_stride bytes apart). Each weight vector serves RN tokens; a token's block
    // sum is an int32 chain over the 8 chunks (vpmaddubsw's pairs reach 2 * 128 * 127, so they
    // cannot be summed in int16 as q4_0's are). Measured, one thread, blocks in L1: 1 token per
    // tile (in llama.cpp's order) 78-80 GFLOP/s, 2 tokens 107-113, 4 tokens 121-126, 6 tokens 119.
    // pf, when not null, is asked for its bytes of each block step (the next group's weights).
    template <int RN>
    static void tile(const q8_0x8_block* p, const std::byte* a, std::size_t a_stride, std::size_t nb, float* y,
                     std::size_t y_stride, const detail::next_tile_prefetcher* pf) noexcept {
        const quant::block_q8_0* act[RN];
        for (int t = 0; t < RN; ++t) act[t] = reinterpret_cast<const quant::block_q8_0*>(a + t * a_stride);
        __m256 acc[RN];
        for (int t = 0; t < RN; ++t) acc[t] = _mm256_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            if (pf) pf->at(b);
            const q8_0x8_block& w = p[b];
            __m256i sum[RN];
            for (int t = 0; t < RN; ++t) sum[t] = _mm256_setzero_si256();
            for (int c = 0; c < 8; ++c) {
                for (int t = 0; t < RN; ++t) {
                    // |w| * (a * sign w) = w * a: a never holds -128, so its sign always flips.
                    const __m256i signed_a = _mm256_sign_epi8(broadcast_dword(act[t][b].qs + 4 * c), w.q[c]);
                    sum[t] = I::madd_u8_i8_acc(sum[t], w.abs[c], signed_a);
                    keep_in_register(sum[t]);
                }
            }
            for (int t = 0; t < RN; ++t) {
                const __m256 dd = _mm256_mul_ps(w.d, _mm256_set1_ps(half(act[t][b].d)));  // d_w d_a per row
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[t]), dd, acc[t]);
            }
        }
        for (int t = 0; t < RN; ++t) _mm256_storeu_ps(y + t * y_stride, acc[t]);
    }
};

// y[t * y_stride + r] for RM (<= 4) rows x RN tokens, straight from the file's blocks: the
// GEMV's tile (RN = 1, requesting the next row tile's weights as it goes) and the GEMM's for the
// rows after the last group of 8. Per block, each row's 8 int32 lanes of partial sums are
// reduced to its block sum together with the other rows' (hsum4_i32), so the rows sit in the
// lanes of one 128-bit accumulator per token and the float steps are the interleaved tile's.
template <class I, int RM, int RN, bool Prefetch>
inline void q8_0_rows_tile(const std::byte* w, std::size_t w_stride, const std::byte* a, std::size_t a_stride,
                           std::size_t nb, float* y, std::size_t y_stride) {
    static_assert(RM >= 1 && RM <= 4);
    const quant::block_q8_0* rows[RM];
    for (int r = 0; r < RM; ++r) rows[r] = reinterpret_cast<const quant::block_q8_0*>(w + r * w_stride);
    const quant::block_q8_0* act[RN];
    for (int t = 0; t < RN; ++t) act[t] = reinterpret_cast<const quant::block_q8_0*>(a + t * a_stride);
    __m128 acc[RN];
    for (int t = 0; t < RN; ++t) acc[t] = _mm_setzero_ps();
    [[maybe_unused]] const auto pf = detail::next_tile_prefetcher::make<RM>(w, w_stride, nb);
    for (std::size_t b = 0; b < nb; ++b) {
        if constexpr (Prefetch) pf.at(b);
        __m256i q[RM], abs[RM];
        for (int r = 0; r < RM; ++r) {
            q[r] = load256(rows[r][b].qs);
            abs[r] = _mm256_sign_epi8(q[r], q[r]);
        }
        const __m128 d_w = _mm_cvtph_ps(gather_half_bits<RM>(rows, b, &quant::block_q8_0::d));
        for (int t = 0; t < RN; ++t) {
            const __m256i av = load256(act[t][b].qs);
            __m256i s[4];
            for (int r = 0; r < 4; ++r)
                s[r] = r < RM ? I::madd_u8_i8(abs[r], _mm256_sign_epi8(av, q[r])) : _mm256_setzero_si256();
            const __m128i sums = hsum4_i32(s[0], s[1], s[2], s[3]);
            const __m128 dd = _mm_mul_ps(d_w, _mm_set1_ps(half(act[t][b].d)));
            acc[t] = _mm_fmadd_ps(_mm_cvtepi32_ps(sums), dd, acc[t]);
        }
    }
    for (int t = 0; t < RN; ++t) {
        alignas(16) float out[4];
        _mm_store_ps(out, acc[t]);
        for (int r = 0; r < RM; ++r) y[t * y_stride + r] = out[r];
    }
}

// q8_0's tile policy: q8_0_rows_tile for the GEMV and the edges; a GEMM chunk takes its whole
// groups of 8 rows through q8_0x8 (InterleavedRN tokens per tile) and the rest through the
// per-row tiles.
template <class I, int RowsRN, int InterleavedRN>
struct q8_0x8_policy {
    static constexpr int gemv_rm = 4, gemm_rm = 4, gemm_rn = RowsRN;
    static constexpr bool counts_elements = false;
    template <int RM, int RN>
    static void tile(const std::byte* w, std::size_t ws, const std::byte* a, std::size_t as, std::size_t nb, float* y,
                     std::size_t ys) {
        q8_0_rows_tile<I, RM, RN, RN == 1>(w, ws, a, as, nb, y, ys);
    }

    using interleaved_fn = void (*)(const q8_0x8_block*, const std::byte*, std::size_t, std::size_t, float*,
                                    std::size_t, const detail::next_tile_prefetcher*);
    static constexpr auto interleaved = []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<interleaved_fn, InterleavedRN>{&q8_0x8<I>::template tile<static_cast<int>(N) + 1>...};
    }(std::make_index_sequence<InterleavedRN>{});

    static void gemm_chunk(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                           std::size_t as, std::size_t n_tokens, std::size_t nb, float* y, std::size_t ys) {
        const std::size_t r = for_each_group8<q8_0x8<I>, quant::block_q8_0, q8_0x8_block>(
            w, ws, r0, r1, nb, [&](const q8_0x8_block* blocks, std::size_t g, const detail::next_tile_prefetcher* next) {
                // The first token tile requests the next group's weights; the later ones find
                // them in cache.
                for (std::size_t t = 0; t < n_tokens; t += InterleavedRN) {
                    const std::size_t n = std::min<std::size_t>(InterleavedRN, n_tokens - t);
                    interleaved[n - 1](blocks, a + t * as, as, nb, y + t * ys + g, ys, t == 0 ? next : nullptr);
                }
            });
        detail::table_tiles<q8_0x8_policy>(w, ws, r, r1, a, as, n_tokens, nb, y, ys);
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
