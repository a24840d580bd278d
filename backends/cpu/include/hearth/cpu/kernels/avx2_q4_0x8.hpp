#pragma once
// AVX2 GEMM of q4_0 with eight weight rows interleaved in each register (as avx2_k4x8.hpp does
// for q4_K; llama.cpp repacks q4_0 the same way, q4_0_8x8), unpacked once per token chunk into a
// per-thread buffer. Dword j of a vector holds 4 consecutive nibble values of row j, so one
// vpmaddubsw against 4 broadcast activation bytes makes 32 products for 8 rows; a block's 8
// products per row add up in int16 (|sum| <= 8 * 2 * 15 * 128 = 30720), and the widening, the -8
// offset, the conversion and the FMA are paid once for 8 rows and a block, where the row-pair
// tile (avx2_gemv.hpp) pays them for 2.
//
// Float order: per row and block, one FMA of d_w d_a times the block's exact integer dot into
// one float sum per row (the order of ggml's vec_dot_q4_0_q8_0 per block, summed serially). The
// 8-row GEMV below sums in the same order. The row-pair tiles (rows after the last whole group)
// keep four partial lanes per row, so those rows' last bits depend on whether a token came
// through them; both orders are within the scalar twin's bound.
#include <hearth/cpu/kernels/avx2_gemv.hpp>
#include <hearth/cpu/kernels/avx2_k4x8.hpp>
#include <array>
#include <cstring>
#include <utility>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

// One 32-element block of 8 rows, interleaved.
struct q4_0x8_block {
    __m256i q[8];  // chunk c (elements 4c .. 4c+3): dword j = row j's 4 values in [0, 15]
    __m256 d;      // lane j: row j's scale
};

struct q4_0x8 {
    static void prepare(const quant::block_q4_0* const (&rows)[8], q4_0x8_block& out) noexcept {
        alignas(32) float d[8];
        for (int j = 0; j < 8; ++j) {
            out.q[j] = unpack_nibbles_16(rows[j]->qs);  // elements 0..31 of row j as bytes
            d[j] = half(rows[j]->d);
        }
        transpose_8x8_epi32(out.q);
        out.d = _mm256_load_ps(d);
    }

    // y[t * y_stride + j] for the 8 rows of p (nb prepared blocks) and RN tokens; side: the
    // tokens' side data (nibble_gemm_side: offset = -8 * sum(a) per block, and d). pf, when not
    // null, is asked for its bytes of each block step (the next group's weights).
    // With VNNI (I::fused_byte_dot) each chunk is one vpdpbusd into an int32 sum that starts at
    // the offset: the same integer sums, so the same bits.
    template <int RN, class I = avx2_ops>
    static void tile(const q4_0x8_block* p, const std::byte* a, std::size_t a_stride, const nibble_gemm_side* side,
                     std::size_t nb, float* y, std::size_t y_stride, const detail::next_tile_prefetcher* pf) noexcept {
        const quant::block_q8_0* act[RN];
        for (int t = 0; t < RN; ++t) act[t] = reinterpret_cast<const quant::block_q8_0*>(a + t * a_stride);
        const __m256i ones = _mm256_set1_epi16(1);
        __m256 acc[RN];
        for (int t = 0; t < RN; ++t) acc[t] = _mm256_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            if (pf) pf->at(b);
            const q4_0x8_block& w = p[b];
            __m256i isum[RN];
            if constexpr (I::fused_byte_dot) {
                for (int t = 0; t < RN; ++t) isum[t] = _mm256_set1_epi32(side[t * nb + b].offset);
                for (int c = 0; c < 8; ++c) {
                    const __m256i q = w.q[c];
                    for (int t = 0; t < RN; ++t)
                        isum[t] = I::madd_u8_i8_acc(isum[t], q, broadcast_dword(act[t][b].qs + 4 * c));
                }
            } else {
                __m256i s16[RN];
                for (int t = 0; t < RN; ++t) s16[t] = _mm256_setzero_si256();
                for (int c = 0; c < 8; ++c) {
                    const __m256i q = w.q[c];
                    for (int t = 0; t < RN; ++t) {
                        s16[t] = _mm256_add_epi16(s16[t], _mm256_maddubs_epi16(q, broadcast_dword(act[t][b].qs + 4 * c)));
                        keep_in_register(s16[t]);
                    }
                }
                for (int t = 0; t < RN; ++t)
                    isum[t] = _mm256_add_epi32(_mm256_madd_epi16(s16[t], ones), _mm256_set1_epi32(side[t * nb + b].offset));
            }
            for (int t = 0; t < RN; ++t)
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(w.d, _mm256_set1_ps(side[t * nb + b].d)),
                                         acc[t]);
        }
        for (int t = 0; t < RN; ++t) _mm256_storeu_ps(y + t * y_stride, acc[t]);
    }

    // The GEMV of 8 rows, read straight from the GGUF blocks: one token uses each weight once, so
    // interleaving first would only add a pass. Rows j and j + 4 share a register (two 16-byte
    // blocks), so unpacking and vpmaddubsw serve two rows per instruction; the 4 registers' int16
    // sums fold with two vphaddw into [rows 0-3 | rows 4-7] (a row's block dot is 16 products
    // per int16 lane by then: |sum| <= 16 * 15 * 128 = 30720), and the -8 offset, the widening,
    // the conversion and the FMA are paid once per block for 8 rows. The 8 scales are put
    // together in general-purpose registers (two 64-bit words of 4 halves) and converted at once,
    // which keeps the shuffle ports free. In cache this runs 1.3x the row-pair GEMV tile, whose
    // 4 partial lanes per row each needed their own spread scale, convert and FMA. The float
    // order is the interleaved tile's above (one FMA of d_w d_a times the block's exact integer
    // dot per row and block), so a token's outputs of whole 8-row groups do not depend on whether
    // it came through the GEMM. side: the activation's nibble_act_side (bias lane 0: -8 sum(a)).
    static void gemv(const std::byte* w, std::size_t ws, const quant::block_q8_0* act, const nibble_act_side* side,
                     std::size_t nb, float* y) noexcept {
        const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
        const std::byte* w4 = w + 4 * ws;
        const auto pf = detail::far_tile_prefetcher::make<8>(w, ws, nb);
        __m256 acc = _mm256_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            pf.at(b);
            const __m256i a_lo = _mm256_broadcastsi128_si256(load128(act[b].qs));
            const __m256i a_hi = _mm256_broadcastsi128_si256(load128(act[b].qs + 16));
            const std::size_t o = b * sizeof(quant::block_q4_0);
            __m256i s16[4];
            for (int j = 0; j < 4; ++j) {
                const auto* lo = reinterpret_cast<const quant::block_q4_0*>(w + o + j * ws);
                const auto* hi = reinterpret_cast<const quant::block_q4_0*>(w4 + o + j * ws);
                const __m256i x = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(lo->qs)), load128(hi->qs), 1);
                const __m256i q_lo = _mm256_and_si256(x, low_nibbles);
                const __m256i q_hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low_nibbles);
                s16[j] = _mm256_add_epi16(_mm256_maddubs_epi16(q_lo, a_lo), _mm256_maddubs_epi16(q_hi, a_hi));
            }
            const __m256i s = _mm256_hadd_epi16(_mm256_hadd_epi16(s16[0], s16[1]), _mm256_hadd_epi16(s16[2], s16[3]));
            const __m256i isum = _mm256_add_epi32(_mm256_madd_epi16(s, _mm256_set1_epi16(1)),
                                                  _mm256_broadcastd_epi32(_mm256_castsi256_si128(side[b].bias)));
            const __m128i d_bits = _mm_insert_epi64(_mm_cvtsi64_si128(static_cast<long long>(scale_bits(w + o, ws))),
                                                    static_cast<long long>(scale_bits(w4 + o, ws)), 1);
            const __m256 d = _mm256_mul_ps(_mm256_cvtph_ps(d_bits), _mm256_broadcast_ss(&side[b].d));
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), d, acc);
        }
        _mm256_storeu_ps(y, acc);
    }

    // The f16 scale bits of 4 rows' blocks (at p, p + ws, p + 2 ws, p + 3 ws) in one word.
    static std::uint64_t scale_bits(const std::byte* p, std::size_t ws) noexcept {
        std::uint64_t bits = 0;
        for (int j = 0; j < 4; ++j)
            bits |= std::uint64_t{reinterpret_cast<const quant::block_q4_0*>(p + j * ws)->d} << (16 * j);
        return bits;
    }
};

// q4_0's tile policy on AVX2: nibble_policy (row-pair GEMV and GEMM tiles), with whole groups of
// 8 rows through q4_0x8: the GEMM's unpacked once per token chunk into a per-thread buffer (288
// bytes per block), the GEMV's read in place. The rows after the last group take the pair tiles.
template <class I, class Kernel, int GemvRM, int GemmRM, int GemmRN, int InterleavedRN, bool EightRowGemv = true>
struct q4_0x8_policy : nibble_policy<I, Kernel, GemvRM, GemmRM, GemmRN> {
    using base = nibble_policy<I, Kernel, GemvRM, GemmRM, GemmRN>;
    static constexpr std::size_t token_chunk_bytes = interleaved_token_chunk_bytes;
    using tile_fn = void (*)(const q4_0x8_block*, const std::byte*, std::size_t, const nibble_gemm_side*, std::size_t,
                             float*, std::size_t, const detail::next_tile_prefetcher*);
    static constexpr auto tiles = []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<tile_fn, InterleavedRN>{&q4_0x8::template tile<static_cast<int>(N) + 1, I>...};
    }(std::make_index_sequence<InterleavedRN>{});

    // side: the chunk's side data if the caller made it already, else null (made here, once).
    static void gemm_chunk(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                           std::size_t as, std::size_t n_tokens, std::size_t nb, float* y, std::size_t ys,
                           const nibble_gemm_side* side = nullptr) {
        if (!side) side = base::template side_of_tokens<0>(a, as, n_tokens, nb);
        std::size_t r = r0;
        if (r + 8 <= r1) {
            r = for_each_group<8, q4_0x8, quant::block_q4_0, q4_0x8_block>(
                w, ws, r0, r1, nb, n_tokens, [&](const q4_0x8_block* blocks, std::size_t g, const detail::next_tile_prefetcher* next) {
                    for (std::size_t t = 0; t < n_tokens; t += InterleavedRN) {
                        const std::size_t n = std::min<std::size_t>(InterleavedRN, n_tokens - t);
                        tiles[n - 1](blocks, a + t * as, as, side + t * nb, nb, y + t * ys + g, ys, t == 0 ? next : nullptr);
                    }
                });
        }
        if (r < r1) base::gemm_chunk(w, ws, r, r1, a, as, n_tokens, nb, y, ys, side);
    }

    // GEMV: whole groups of 8 rows through q4_0x8::gemv, the rest through the row-pair tiles.
    static void gemv(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                     std::size_t nb, float* y) {
        std::size_t r = r0;
        if (EightRowGemv && r + 8 <= r1) {
            const nibble_act_side* side = act_side_of<I, 8, quant::block_q8_0>(a, nb);
            const auto* act = reinterpret_cast<const quant::block_q8_0*>(a);
            for (; r + 8 <= r1; r += 8) q4_0x8::gemv(w + r * ws, ws, act, side, nb, y + r);
        }
        if (r < r1) base::gemv(w, ws, r, r1, a, nb, y);
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
