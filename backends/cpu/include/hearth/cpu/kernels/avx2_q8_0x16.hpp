#pragma once
// AVX2 matmul of q8_0 weights against q8_0 activations: a GEMM over 16 weight rows whose blocks
// are widened to int16 and interleaved once per token chunk into a per-thread buffer, against
// activations widened to int16 once per matmul (in matmul's quantization pass); byte tiles over
// the same 16 rows for prompts of up to 8 tokens; a per-row tile for the GEMV and the rows after
// the last group of 16.
//
// Why int16: AVX2 has no signed x signed byte product. The byte path (llama.cpp's, and this
// GEMM's before) spends a vpsignb, a vpmaddubsw, a vpmaddwd and a vpaddd on 32 products, and
// three of the four compete for the two multiply ports. With both sides widened once, a
// vpmaddwd and a vpaddd make 16 products and only the multiply needs those ports. Measured on
// one Zen 3 core, blocks in L1 (tile alone, 4 tokens): the byte tile over 8 rows 122 GFLOP/s,
// over 16 rows 130, int16 over 16 rows 145 (over 8 rows 131; 24 x 3 and 32 x 2 no better).
// Sixteen rows let each broadcast of an activation pair serve two multiplies. The widened
// weights take the space the byte tile's copies of q and |q| took.
//
// Float order: per row and block, one FMA of d_w d_a times the block's exact integer dot into one
// float sum per row, the blocks in order (ggml's generic vec_dot_q8_0_q8_0 and q4_0's GEMM do the
// same, up to the FMA). All three tiles do exactly this, so a token's outputs do not depend on the
// batch it came in. llama.cpp's AVX2 dot keeps 8 float lanes per row instead, one FMA per
// 4-element chunk: that order costs 8 conversions and 8 FMAs per block, row and token, where
// this one costs 1 of each, and it capped this GEMM at half the speed of q4_0's. The two orders
// differ in the last bits of a sum, well inside the scalar twin's bound and the llama.cpp parity
// tests' tolerances.
#include <hearth/cpu/kernels/avx2_gemv.hpp>
#include <hearth/cpu/kernels/avx2_k4x8.hpp>
#include <hearth/cpu/kernels/tile.hpp>
#include <array>
#include <cstring>
#include <algorithm>
#include <utility>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

// One 32-element block of 16 rows (two groups of 8), widened and interleaved.
struct q8_0x16_block {
    __m256i w[16][2];  // [pair p][group g]: dword j = row 8g + j's elements 2p, 2p + 1 as int16
    __m256 d[2];       // [group g] lane j: row 8g + j's scale
};

// q8_0 activations widened to int16 once per matmul (kernels::token_side_buffer), in tiles of
// `tile` tokens from token 0 (the last one shorter), each tile one run of bytes: for a tile of n
// tokens, token t's elements 2p, 2p + 1 of block b are the dword at q + 2 * ((b * 16 + p) * n + t)
// and its scale is d[b * n + t], with q at the tile's start and d after its nb * n * 32 int16. A
// tile's broadcasts read one stream, not one per token (measured +3-5% over rows of 32 int16
// per token).
struct q8_0_wide_tokens {
    const std::int16_t* q;
    const float* d;
};

inline constexpr std::size_t q8_0_wide_bytes_per_block = 32 * sizeof(std::int16_t) + sizeof(float);

// The tile of n tokens whose bytes start at p (nb blocks per token).
inline q8_0_wide_tokens q8_0_wide_tile(const std::byte* p, std::size_t n, std::size_t nb) noexcept {
    const auto* q = reinterpret_cast<const std::int16_t*>(p);
    return {q, reinterpret_cast<const float*>(q + n * nb * 32)};
}

// Widens tokens [t0, t1) of the activation rows at a (a_stride bytes apart, nb blocks each; t0 a
// multiple of tile) into out, the side data of n_tokens tokens.
inline void widen_q8_0_tokens(const std::byte* a, std::size_t a_stride, std::size_t t0, std::size_t t1,
                              std::size_t n_tokens, std::size_t nb, std::size_t tile, std::byte* out) noexcept {
    for (std::size_t first = t0; first < t1; first += tile) {
        const std::size_t n = std::min(tile, n_tokens - first);
        std::byte* base = out + first * nb * q8_0_wide_bytes_per_block;
        auto* q = reinterpret_cast<std::int32_t*>(base);  // pairs of int16
        auto* d = reinterpret_cast<float*>(base + n * nb * 32 * sizeof(std::int16_t));
        for (std::size_t t = 0; t < n; ++t) {
            const auto* act = reinterpret_cast<const quant::block_q8_0*>(a + (first + t) * a_stride);
            for (std::size_t b = 0; b < nb; ++b) {
                alignas(32) std::int32_t pairs[16];
                _mm256_store_si256(reinterpret_cast<__m256i*>(pairs), _mm256_cvtepi8_epi16(load128(act[b].qs)));
                _mm256_store_si256(reinterpret_cast<__m256i*>(pairs + 8), _mm256_cvtepi8_epi16(load128(act[b].qs + 16)));
                for (std::size_t p = 0; p < 16; ++p) q[(b * 16 + p) * n + t] = pairs[p];
                d[b * n + t] = half(act[b].d);
            }
        }
    }
}

template <class I = avx2_ops>
struct q8_0x16 {
    static void prepare(const quant::block_q8_0* const (&rows)[16], q8_0x16_block& out) noexcept {
        for (int g = 0; g < 2; ++g) {
            __m256i lo[8], hi[8];  // row j's elements 0..15 and 16..31 as int16
            alignas(32) float d[8];
            for (int j = 0; j < 8; ++j) {
                const quant::block_q8_0& blk = *rows[8 * g + j];
                lo[j] = _mm256_cvtepi8_epi16(load128(blk.qs));
                hi[j] = _mm256_cvtepi8_epi16(load128(blk.qs + 16));
                d[j] = half(blk.d);
            }
            transpose_8x8_epi32(lo);  // lo[p] dword j: row j's pair p
            transpose_8x8_epi32(hi);
            for (int p = 0; p < 8; ++p) out.w[p][g] = lo[p], out.w[8 + p][g] = hi[p];
            out.d[g] = _mm256_load_ps(d);
        }
    }

    // y[t * y_stride + j] for the 16 rows of p (nb prepared blocks) and the RN tokens of act (one
    // tile of RN tokens). Each broadcast activation pair meets both groups' weights; a token's
    // block sum is an int32 chain over the 16 pairs. pf, when not null, is asked for its bytes of
    // each block step (the next group's weights).
    template <int RN>
    static void tile(const q8_0x16_block* p, q8_0_wide_tokens act, std::size_t nb, float* y, std::size_t y_stride,
                     const detail::next_tile_prefetcher* pf) noexcept {
        __m256 acc[2][RN];
        for (int t = 0; t < RN; ++t) acc[0][t] = acc[1][t] = _mm256_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            if (pf) pf->at(b);
            const q8_0x16_block& w = p[b];
            __m256i sum[2][RN];
            for (int t = 0; t < RN; ++t) sum[0][t] = sum[1][t] = _mm256_setzero_si256();
#pragma GCC unroll 16
            for (int pr = 0; pr < 16; ++pr) {
                // In registers for all RN tokens (left to itself, GCC reloads them per token).
                __m256i w0 = w.w[pr][0], w1 = w.w[pr][1];
                keep_in_register(w0), keep_in_register(w1);
                for (int t = 0; t < RN; ++t) {
                    const __m256i x = broadcast_dword(act.q + 2 * ((b * 16 + pr) * RN + t));
                    sum[0][t] = I::madd_i16_acc(sum[0][t], w0, x);
                    sum[1][t] = I::madd_i16_acc(sum[1][t], w1, x);
                }
                for (int t = 0; t < RN; ++t) keep_in_register(sum[0][t]), keep_in_register(sum[1][t]);
            }
            for (int t = 0; t < RN; ++t) {
                const __m256 da = _mm256_broadcast_ss(act.d + b * RN + t);
                for (int g = 0; g < 2; ++g)
                    acc[g][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[g][t]), _mm256_mul_ps(w.d[g], da), acc[g][t]);
            }
        }
        for (int t = 0; t < RN; ++t) {
            _mm256_storeu_ps(y + t * y_stride, acc[0][t]);
            _mm256_storeu_ps(y + t * y_stride + 8, acc[1][t]);
        }
    }
};

// The blocks of 8 rows as bytes, interleaved by 4-element chunks (dword j of q[c] = row j's
// elements 4c .. 4c + 3); returns the rows' scales (lane j: row j's).
inline __m256 interleave_rows_bytes(const quant::block_q8_0* const* rows, __m256i (&q)[8]) noexcept {
    alignas(32) float d[8];
    for (int j = 0; j < 8; ++j) {
        q[j] = load256(rows[j]->qs);
        d[j] = half(rows[j]->d);
    }
    transpose_8x8_epi32(q);
    return _mm256_load_ps(d);
}

// The float step of one block for the 16 rows (two 8-row groups, weight scales d0 and d1) of the
// byte and VNNI tiles below and RN tokens: per row, one FMA of d_w d_a times the block's exact
// integer sum, as q8_0x16::tile does, so all three give a row the same bits.
template <int RN>
inline void q8_0x16_block_step(__m256 (&acc)[2][RN], const __m256i (&sum0)[RN], const __m256i (&sum1)[RN], __m256 d0,
                               __m256 d1, const quant::block_q8_0* const (&act)[RN], std::size_t b) noexcept {
    for (int t = 0; t < RN; ++t) {
        const __m256 da = _mm256_set1_ps(half(act[t][b].d));
        acc[0][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum0[t]), _mm256_mul_ps(d0, da), acc[0][t]);
        acc[1][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum1[t]), _mm256_mul_ps(d1, da), acc[1][t]);
    }
}

// y[t * y_stride + j] = row j's sum of token t, for those 16 rows and RN tokens.
template <int RN>
inline void q8_0x16_store(const __m256 (&acc)[2][RN], float* y, std::size_t y_stride) noexcept {
    for (int t = 0; t < RN; ++t) {
        _mm256_storeu_ps(y + t * y_stride, acc[0][t]);
        _mm256_storeu_ps(y + t * y_stride + 8, acc[1][t]);
    }
}

// The same 16 rows for a short prompt, as bytes: q and |q| of each 8-row group interleaved by
// 4-element chunks (dword j of q[c] = row j's elements 4c .. 4c + 3), read against the q8_0
// activations themselves. A chunk costs a vpsignb, a vpmaddubsw, a vpmaddwd and a vpaddd per 32
// products, more than the int16 tile's, but its weights take one transpose per group instead of
// two and a widening, and the activations need none: at 7 tokens (2048 x 2048, one thread) it
// ran 91 GFLOP/s where the int16 GEMM ran 79-83, at 64 tokens and more the int16 one wins.
struct q8_0x16_bytes_block {
    struct group {
        __m256i q[8], abs[8];  // chunk c; |-128| reads as 128
        __m256 d;
    } half[2];
};

template <class I = avx2_ops>
struct q8_0x16_bytes {
    static void prepare(const quant::block_q8_0* const (&rows)[16], q8_0x16_bytes_block& out) noexcept {
        for (int g = 0; g < 2; ++g) {
            auto& h = out.half[g];
            h.d = interleave_rows_bytes(rows + 8 * g, h.q);
            for (int c = 0; c < 8; ++c) h.abs[c] = _mm256_sign_epi8(h.q[c], h.q[c]);
        }
    }

    // y[t * y_stride + j] for the 16 rows of p and RN tokens' q8_0 activations (a_stride bytes
    // apart); the same integer sums and float steps as q8_0x16::tile.
    template <int RN>
    static void tile(const q8_0x16_bytes_block* p, const std::byte* a, std::size_t a_stride, std::size_t nb, float* y,
                     std::size_t y_stride, const detail::next_tile_prefetcher* pf) noexcept {
        const quant::block_q8_0* act[RN];
        for (int t = 0; t < RN; ++t) act[t] = reinterpret_cast<const quant::block_q8_0*>(a + t * a_stride);
        __m256 acc[2][RN];
        for (int t = 0; t < RN; ++t) acc[0][t] = acc[1][t] = _mm256_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            if (pf) pf->at(b);
            const auto& w0 = p[b].half[0];
            const auto& w1 = p[b].half[1];
            __m256i sum0[RN], sum1[RN];
            for (int t = 0; t < RN; ++t) sum0[t] = sum1[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
            for (int c = 0; c < 8; ++c) {
                __m256i q0 = w0.q[c], abs0 = w0.abs[c], q1 = w1.q[c], abs1 = w1.abs[c];
                keep_in_register(q0), keep_in_register(abs0), keep_in_register(q1), keep_in_register(abs1);
                for (int t = 0; t < RN; ++t) {
                    // |w| * (a * sign w) = w * a: a never holds -128, so its sign always flips.
                    const __m256i x = broadcast_dword(act[t][b].qs + 4 * c);
                    sum0[t] = I::madd_u8_i8_acc(sum0[t], abs0, _mm256_sign_epi8(x, q0));
                    sum1[t] = I::madd_u8_i8_acc(sum1[t], abs1, _mm256_sign_epi8(x, q1));
                }
                for (int t = 0; t < RN; ++t) keep_in_register(sum0[t]), keep_in_register(sum1[t]);
            }
            q8_0x16_block_step<RN>(acc, sum0, sum1, w0.d, w1.d, act, b);
        }
        q8_0x16_store<RN>(acc, y, y_stride);
    }
};

// The same 16 rows for VNNI (I::fused_byte_dot): vpdpbusd multiplies unsigned by signed bytes,
// so the weights are stored as w + 128 (an xor per chunk in prepare) and each token's block sum
// starts at -128 * (sum of its activations), made once per matmul (nibble_gemm_side::offset):
// the exact integer dot again, one instruction per chunk and 8 rows, where the int16 tile needs
// two per pair of elements and the byte tile a vpsignb per chunk. The bias once sat on the
// weights' side (a + 128 read against signed weights), and every token tile paid an xor per
// broadcast: bench_kernels_incache q8_0 GEMM8 155 -> 164 GFLOP/s without it (a 7-token prompt,
// bound by vpdpbusd and memory, did not change). Same integer sums and float steps as
// q8_0x16::tile, so the same bits.
struct q8_0x16_vnni_block {
    struct group {
        __m256i q[8];  // chunk c: dword j = row j's elements 4c .. 4c + 3, each byte + 128
        __m256 d;
    } half[2];
};

template <class I>
struct q8_0x16_vnni {
    static void prepare(const quant::block_q8_0* const (&rows)[16], q8_0x16_vnni_block& out) noexcept {
        const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
        for (int g = 0; g < 2; ++g) {
            auto& h = out.half[g];
            h.d = interleave_rows_bytes(rows + 8 * g, h.q);
            for (int c = 0; c < 8; ++c) h.q[c] = _mm256_xor_si256(h.q[c], flip);
        }
    }

    // side: the RN tokens' side data (nb entries per token, make_gemm_side with offset 128).
    template <int RN>
    static void tile(const q8_0x16_vnni_block* p, const std::byte* a, std::size_t a_stride, const nibble_gemm_side* side,
                     std::size_t nb, float* y, std::size_t y_stride, const detail::next_tile_prefetcher* pf) noexcept {
        const quant::block_q8_0* act[RN];
        for (int t = 0; t < RN; ++t) act[t] = reinterpret_cast<const quant::block_q8_0*>(a + t * a_stride);
        __m256 acc[2][RN];
        for (int t = 0; t < RN; ++t) acc[0][t] = acc[1][t] = _mm256_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            if (pf) pf->at(b);
            const auto& w0 = p[b].half[0];
            const auto& w1 = p[b].half[1];
            __m256i sum0[RN], sum1[RN];
            for (int t = 0; t < RN; ++t) sum0[t] = sum1[t] = _mm256_set1_epi32(side[t * nb + b].offset);
            for (int c = 0; c < 8; ++c) {
                const __m256i q0 = w0.q[c], q1 = w1.q[c];
                for (int t = 0; t < RN; ++t) {
                    const __m256i x = broadcast_dword(act[t][b].qs + 4 * c);
                    sum0[t] = I::madd_u8_i8_acc(sum0[t], q0, x);
                    sum1[t] = I::madd_u8_i8_acc(sum1[t], q1, x);
                }
            }
            q8_0x16_block_step<RN>(acc, sum0, sum1, w0.d, w1.d, act, b);
        }
        q8_0x16_store<RN>(acc, y, y_stride);
    }
};

// y[t * y_stride + r] for RM (<= 4) rows x RN tokens, straight from the file's blocks: the
// GEMV's tile (RN = 1, requesting the next row tile's weights as it goes) and the GEMM's for the
// rows after the last group of 16. Per block, each row's 8 int32 lanes of partial sums are
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
    [[maybe_unused]] const auto pf = detail::far_tile_prefetcher::make<RM>(w, w_stride, nb);
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

// What q8_0's GEMM derives once per matmul from its activation rows (kernels::token_side_buffer):
// a header holding the tile width, then per token and block what the tiles read besides the
// activations: the int16 widening (tile > 0: AVX2 without VNNI, prompts longer than
// short_prompt), VNNI's -128 * sum(a) and scale (tile 0 with VNNI), or nothing (the byte tiles).
template <class I>
struct q8_0_token_side {
    static constexpr std::size_t header = 64;  // the tile width, then padding
    static constexpr std::size_t per_block(std::size_t tile) noexcept {
        return tile ? q8_0_wide_bytes_per_block : I::fused_byte_dot ? sizeof(nibble_gemm_side) : 0;
    }
    static std::size_t bytes(std::size_t tile, std::size_t n_tokens, std::size_t nb) noexcept {
        return header + n_tokens * nb * per_block(tile);
    }
    // Tokens [t0, t1) of n_tokens into out (the whole side data's start).
    static void make(std::size_t tile, const std::byte* a, std::size_t as, std::size_t t0, std::size_t t1,
                     std::size_t n_tokens, std::size_t nb, std::byte* out) noexcept {
        if (t0 == 0) std::memcpy(out, &tile, sizeof tile);
        if (tile) {
            widen_q8_0_tokens(a, as, t0, t1, n_tokens, nb, tile, out + header);
        } else if constexpr (I::fused_byte_dot) {
            make_gemm_side<I, 128, quant::block_q8_0>(a + t0 * as, as, t1 - t0, nb,
                                                      reinterpret_cast<nibble_gemm_side*>(out + header) + t0 * nb);
        }
    }
    // The side data from token t0 on (t0 a multiple of the tile), and its tile width.
    struct view {
        const std::byte* data;
        std::size_t tile;
    };
    static view at(const std::byte* side, std::size_t t0, std::size_t nb) noexcept {
        if (!side) return {nullptr, 0};
        std::size_t tile;
        std::memcpy(&tile, side, sizeof tile);
        return {side + header + t0 * nb * per_block(tile), tile};
    }
    static const nibble_gemm_side* vnni(const std::byte* data) noexcept {
        return reinterpret_cast<const nibble_gemm_side*>(data);
    }
};

// q8_0's tile policy: q8_0_rows_tile for the GEMV and the edges; a GEMM chunk takes its whole
// groups of 16 rows through q8_0x16 (InterleavedRN tokens per tile; up to short_prompt tokens
// q8_0x16_bytes; with VNNI q8_0x16_vnni for every length) and the rest through the per-row tiles.
template <class I, int RowsRN, int InterleavedRN>
struct q8_0x16_policy {
    static constexpr int gemv_rm = 4, gemm_rm = 4, gemm_rn = RowsRN;
    static constexpr bool counts_elements = false;
    static constexpr std::size_t token_chunk_bytes = interleaved_token_chunk_bytes;
    template <int RM, int RN>
    static void tile(const std::byte* w, std::size_t ws, const std::byte* a, std::size_t as, std::size_t nb, float* y,
                     std::size_t ys) {
        q8_0_rows_tile<I, RM, RN, RN == 1>(w, ws, a, as, nb, y, ys);
    }

    // The per-matmul side data (q8_0_token_side), made by the threads that quantize the
    // activations: every row range of every thread reads it. A prompt of up to short_prompt
    // tokens takes the byte tiles instead and widens nothing (tile 0 in the side data's header).
    static constexpr std::size_t short_prompt = 8;
    static constexpr std::size_t token_tile = InterleavedRN;  // tiled_rows' chunks start on a tile
    using side_layout = q8_0_token_side<I>;
    using side_view = typename side_layout::view;
    static std::size_t layout_tile(std::size_t n_tokens) noexcept {
        return I::fused_byte_dot || n_tokens <= short_prompt ? 0 : InterleavedRN;  // VNNI reads the bytes
    }
    static std::size_t token_grain(std::size_t n_tokens) noexcept { return layout_tile(n_tokens) ? InterleavedRN : 1; }
    static std::size_t token_side_bytes(std::size_t n_tokens, std::size_t nb) noexcept {
        return side_layout::bytes(layout_tile(n_tokens), n_tokens, nb);
    }
    static void make_token_side(const std::byte* a, std::size_t as, std::size_t t0, std::size_t t1,
                                std::size_t n_tokens, std::size_t nb, std::byte* out) noexcept {
        side_layout::make(layout_tile(n_tokens), a, as, t0, t1, n_tokens, nb, out);
    }
    static side_view token_side_at(const std::byte* data, std::size_t t0, std::size_t nb) noexcept {
        return side_layout::at(data, t0, nb);
    }

    template <class Kernel, class Prepared, class Act>
    using interleaved_fn = void (*)(const Prepared*, Act, std::size_t, float*, std::size_t,
                                    const detail::next_tile_prefetcher*);
    static constexpr auto wide_tiles = []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<interleaved_fn<q8_0x16<I>, q8_0x16_block, q8_0_wide_tokens>, InterleavedRN>{
            &q8_0x16<I>::template tile<static_cast<int>(N) + 1>...};
    }(std::make_index_sequence<InterleavedRN>{});
    using bytes_fn = void (*)(const q8_0x16_bytes_block*, const std::byte*, std::size_t, std::size_t, float*,
                              std::size_t, const detail::next_tile_prefetcher*);
    static constexpr auto bytes_tiles = []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<bytes_fn, InterleavedRN>{&q8_0x16_bytes<I>::template tile<static_cast<int>(N) + 1>...};
    }(std::make_index_sequence<InterleavedRN>{});
    using vnni_fn = void (*)(const q8_0x16_vnni_block*, const std::byte*, std::size_t, const nibble_gemm_side*,
                             std::size_t, float*, std::size_t, const detail::next_tile_prefetcher*);
    static constexpr auto vnni_tiles = []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<vnni_fn, InterleavedRN>{&q8_0x16_vnni<I>::template tile<static_cast<int>(N) + 1>...};
    }(std::make_index_sequence<InterleavedRN>{});

    // side: what make_token_side made for these n_tokens tokens (token_side_at); without it (a
    // caller that did not make it) every row goes through the per-row tiles.
    static void gemm_chunk(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                           std::size_t as, std::size_t n_tokens, std::size_t nb, float* y, std::size_t ys,
                           side_view side) {
        std::size_t r = r0;
        // The first token tile requests the next group's weights; the later ones find them in cache.
        if (side.data && I::fused_byte_dot) {
            r = for_each_group<16, q8_0x16_vnni<I>, quant::block_q8_0, q8_0x16_vnni_block>(
                w, ws, r0, r1, nb, n_tokens,
                [&](const q8_0x16_vnni_block* blocks, std::size_t g, const detail::next_tile_prefetcher* next) {
                    for (std::size_t t = 0; t < n_tokens; t += InterleavedRN) {
                        const std::size_t n = std::min<std::size_t>(InterleavedRN, n_tokens - t);
                        vnni_tiles[n - 1](blocks, a + t * as, as, side_layout::vnni(side.data) + t * nb, nb, y + t * ys + g, ys,
                                          t == 0 ? next : nullptr);
                    }
                });
        } else if (side.data && side.tile == 0) {
            r = for_each_group<16, q8_0x16_bytes<I>, quant::block_q8_0, q8_0x16_bytes_block>(
                w, ws, r0, r1, nb, n_tokens,
                [&](const q8_0x16_bytes_block* blocks, std::size_t g, const detail::next_tile_prefetcher* next) {
                    for (std::size_t t = 0; t < n_tokens; t += InterleavedRN) {
                        const std::size_t n = std::min<std::size_t>(InterleavedRN, n_tokens - t);
                        bytes_tiles[n - 1](blocks, a + t * as, as, nb, y + t * ys + g, ys, t == 0 ? next : nullptr);
                    }
                });
        } else if (side.data) {
            r = for_each_group<16, q8_0x16<I>, quant::block_q8_0, q8_0x16_block>(
                w, ws, r0, r1, nb, n_tokens, [&](const q8_0x16_block* blocks, std::size_t g, const detail::next_tile_prefetcher* next) {
                    for (std::size_t t = 0; t < n_tokens; t += side.tile) {
                        const std::size_t n = std::min(side.tile, n_tokens - t);
                        const q8_0_wide_tokens at = q8_0_wide_tile(side.data + t * nb * q8_0_wide_bytes_per_block, n, nb);
                        wide_tiles[n - 1](blocks, at, nb, y + t * ys + g, ys, t == 0 ? next : nullptr);
                    }
                });
        }
        detail::table_tiles<q8_0x16_policy>(w, ws, r, r1, a, as, n_tokens, nb, y, ys);
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
