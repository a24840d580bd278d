#pragma once
// AVX2 GEMM of q4_K / q5_K with eight weight rows interleaved in each register (the layout of
// llama.cpp's repacked q4_K_8x8, built here per token chunk instead of once at load, so the
// mapped file stays the only copy of the weights).
//
// Why: the per-row tiles (k4_gemm_kernel) spend 16 multiplies on 256 products of one row and
// token and then a float epilogue for that pair alone; measured, the epilogue was a fifth of the
// GEMM and the rest was bound by instruction count, not by the multiply ports. Here dword j of a
// vector holds 4 consecutive weights of row j, so one vpmaddubsw against 4 broadcast activation
// bytes does 32 products for 8 rows; the 8 products of a sub-block (32 elements) add up in int16
// (chunks_per_int16_sum says how many without overflow), one vpmaddwd applies the 8 rows' sub-block
// scales, and the epilogue (convert, scale, FMA, minimum term) is paid once for 8 rows: about half
// the instructions per product.
//
// Results: per row and token, the integer sums of a super-block are exact and the float
// operations are superblock_acc's (d_w d_a isum and dmin_w d_a msum accumulated apart, one FMA
// each per super-block, subtracted at the end), so a row's output is bit-identical to the GEMV's
// and to the per-row tiles' that serve the edge rows.
#include <hearth/cpu/kernels/avx2_k4_rows.hpp>
#include <hearth/cpu/kernels/avx2_kquants.hpp>
#include <hearth/cpu/kernels/tile.hpp>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

// One super-block of 8 rows, interleaved.
struct k4x8_block {
    __m256i q[64];      // chunk c (elements 4c .. 4c+3): dword j = row j's 4 values, as bytes
    __m256i scales[8];  // sub-block i: int16 lanes 2j and 2j+1 = row j's scale
    __m256i mins[4];    // sub-blocks 2p, 2p+1: int16 lanes 2j, 2j+1 = row j's two minimums
    __m256 d, dmin;     // lane j: row j's d and dmin
};

// v[r] dword c -> v[c] dword r (an 8 x 8 transpose of 32-bit elements).
inline void transpose_8x8_epi32(__m256i (&v)[8]) noexcept {
    __m256i t[8], u[8];
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]);      // r0c0 r1c0 r0c1 r1c1 | c4 c5
        t[2 * i + 1] = _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]);  // c2 c3 | c6 c7
    }
    for (int h = 0; h < 2; ++h) {  // rows 0..3, then 4..7
        const __m256i* tt = t + 4 * h;
        u[4 * h + 0] = _mm256_unpacklo_epi64(tt[0], tt[2]);  // c0 | c4 of 4 rows
        u[4 * h + 1] = _mm256_unpackhi_epi64(tt[0], tt[2]);  // c1 | c5
        u[4 * h + 2] = _mm256_unpacklo_epi64(tt[1], tt[3]);  // c2 | c6
        u[4 * h + 3] = _mm256_unpackhi_epi64(tt[1], tt[3]);  // c3 | c7
    }
    for (int c = 0; c < 4; ++c) {
        v[c] = _mm256_permute2x128_si256(u[c], u[4 + c], 0x20);
        v[c + 4] = _mm256_permute2x128_si256(u[c], u[4 + c], 0x31);
    }
}

// sm[j]: row j's 8 sub-block scales (bytes 0-7) and 8 minimums (bytes 8-15), unsigned 6-bit.
// scales[i]: int16 lanes 2j and 2j+1 = row j's scale i; mins[p]: lanes 2j, 2j+1 = row j's minimums
// 2p, 2p+1 (k4x8_block's layout). Transposes of bytes and byte pairs by unpacking (the scalar
// loop of 192 byte moves it replaced was a sixth of a 7-token prompt's q4_K time).
inline void interleave_scales_mins(const __m128i (&sm)[8], __m256i (&scales)[8], __m256i (&mins)[4]) noexcept {
    __m128i a[4], b[4];
    // Scales: an 8 x 8 transpose of bytes.
    for (int k = 0; k < 4; ++k) a[k] = _mm_unpacklo_epi8(sm[2 * k], sm[2 * k + 1]);  // word i: rows 2k, 2k+1
    for (int h = 0; h < 2; ++h) {
        b[2 * h] = _mm_unpacklo_epi16(a[2 * h], a[2 * h + 1]);      // dword i < 4: rows 4h .. 4h+3
        b[2 * h + 1] = _mm_unpackhi_epi16(a[2 * h], a[2 * h + 1]);  // dword i - 4 for i >= 4
    }
    const __m128i by_sub[4] = {_mm_unpacklo_epi32(b[0], b[2]), _mm_unpackhi_epi32(b[0], b[2]),  // qword: sub-block
                               _mm_unpacklo_epi32(b[1], b[3]), _mm_unpackhi_epi32(b[1], b[3])}; // 2k, 2k+1
    for (int k = 0; k < 4; ++k)
        for (int h = 0; h < 2; ++h) {
            const __m256i s32 = _mm256_cvtepu8_epi32(h ? _mm_unpackhi_epi64(by_sub[k], by_sub[k]) : by_sub[k]);
            scales[2 * k + h] = _mm256_or_si256(s32, _mm256_slli_epi32(s32, 16));  // in both int16 halves
        }
    // Minimums: an 8 x 4 transpose of byte pairs (pair p = minimums 2p, 2p+1).
    for (int k = 0; k < 4; ++k) a[k] = _mm_unpackhi_epi16(sm[2 * k], sm[2 * k + 1]);  // dword p: rows 2k, 2k+1
    for (int h = 0; h < 2; ++h) {
        b[2 * h] = _mm_unpacklo_epi32(a[2 * h], a[2 * h + 1]);      // qword p < 2: rows 4h .. 4h+3
        b[2 * h + 1] = _mm_unpackhi_epi32(a[2 * h], a[2 * h + 1]);  // qword p - 2 for p >= 2
    }
    mins[0] = _mm256_cvtepu8_epi16(_mm_unpacklo_epi64(b[0], b[2]));
    mins[1] = _mm256_cvtepu8_epi16(_mm_unpackhi_epi64(b[0], b[2]));
    mins[2] = _mm256_cvtepu8_epi16(_mm_unpacklo_epi64(b[1], b[3]));
    mins[3] = _mm256_cvtepu8_epi16(_mm_unpackhi_epi64(b[1], b[3]));
}

// Unpacks the nb blocks of rows [r, r + Rows) into buf with Kernel::prepare (which takes the
// Rows rows' block b).
template <int Rows, class Kernel, class WBlock, class Prepared>
inline void prepare_group(const std::byte* w, std::size_t ws, std::size_t r, std::size_t nb, Prepared* buf) noexcept {
    const WBlock* rows[Rows];
    for (int j = 0; j < Rows; ++j) rows[j] = reinterpret_cast<const WBlock*>(w + (r + j) * ws);
    for (std::size_t b = 0; b < nb; ++b) {
        const WBlock* blk[Rows];
        for (int j = 0; j < Rows; ++j) blk[j] = rows[j] + b;
        Kernel::prepare(blk, buf[b]);
    }
}

// Walks the whole groups of Rows rows in [r0, r1): unpacks each into a per-thread buffer of nb
// Prepared blocks (prepare_group), then calls use(blocks, r, next), where next requests the
// following group's weights (Rows consecutive rows, one contiguous run of bytes) at the pace of a
// walk over the nb blocks, or is null after the last group. The caller's first token tile asks
// it for a step per block: a short prompt reads every weight once from DRAM, and those reads
// overlap the tiles' arithmetic (requested all at once during the short unpacking pass, they
// did not); a chunk of up to detail::short_pass_tokens tokens asks for it into L2 only. Returns
// where the rows after the last whole group start.
template <int Rows, class Kernel, class WBlock, class Prepared, class Use>
inline std::size_t for_each_group(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1,
                                  std::size_t nb, std::size_t n_tokens, Use&& use) {
    thread_local std::vector<Prepared> buf;
    if (buf.size() < nb) buf.resize(nb);
    std::size_t r = r0;
    for (; r + Rows <= r1; r += Rows) {
        prepare_group<Rows, Kernel, WBlock>(w, ws, r, nb, buf.data());
        auto next = detail::next_tile_prefetcher::make<Rows>(w + r * ws, ws, nb);
        next.into_l2 = n_tokens <= detail::short_pass_tokens;
        use(static_cast<const Prepared*>(buf.data()), r, r + 2 * Rows <= r1 ? &next : nullptr);
    }
    return r;
}

// Token chunks of the GEMMs that interleave their weights per chunk (tiled_rows): 768 KiB of
// activations, 4x the default. Each chunk pays the interleaving of the thread's rows again, and
// at 192 KiB a chunk of 5632-element rows held 32 tokens. Measured (mm_ab, one thread, 512
// tokens, 2048 x 5632): q8_0 +11%, q4_0 +6%, q4_K +7%, neutral at 2048 x 2048 and 5632 x 2048.
// The per-row tiles keep 192 KiB: q6_K's lost 13-17% with longer chunks, whose activations
// no longer stay in L2.
inline constexpr std::size_t interleaved_token_chunk_bytes = 768 * 1024;

// The sums of one activation super-block's 8 sub-blocks (32 values each, |sum| <= 4096), as
// int16: what the minimum term multiplies. Made once per matmul (k4x8_policy::make_token_side):
// derived in every tile from the q8_K block's 16 partial sums, their unpacking and shuffles cost
// the tile 6% (one thread, 2048-element rows, blocks in L1: 1.06 -> 1.12 32-product multiplies
// per cycle without them).
struct sub_block_sums {
    std::int16_t s[8];
};

// sums[t * nb + b] for tokens [t0, t1) of the activation rows at a (nb q8_K blocks each).
inline void make_sub_block_sums(const std::byte* a, std::size_t a_stride, std::size_t t0, std::size_t t1,
                                std::size_t nb, sub_block_sums* sums) noexcept {
    for (std::size_t t = t0; t < t1; ++t) {
        const auto* row = reinterpret_cast<const quant::block_q8_k*>(a + t * a_stride);
        for (std::size_t b = 0; b < nb; ++b) {
            const __m256i bs = load256(row[b].bsums);  // 16 sums of 16 values
            _mm_storeu_si128(reinterpret_cast<__m128i*>(sums[t * nb + b].s),
                             _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1)));
        }
    }
}

template <bool five>
struct k4x8 {
    using base = k4_kernel<avx2_ops, five>;
    using wblock = typename base::wblock;
    using ablock = quant::block_q8_k;

    // rows[j]: row j's super-block.
    static void prepare(const wblock* const (&rows)[8], k4x8_block& out) noexcept {
        __m128i sm[8];
        alignas(32) float d[8], dmin[8];
        for (int j = 0; j < 8; ++j) {
            sm[j] = unpack_scales_mins_k4(rows[j]->scales);
            d[j] = half(rows[j]->d), dmin[j] = half(rows[j]->dmin);
        }
        interleave_scales_mins(sm, out.scales, out.mins);
        out.d = _mm256_load_ps(d), out.dmin = _mm256_load_ps(dmin);
        for (int g = 0; g < 4; ++g) {  // sub-blocks 2g (low nibbles) and 2g + 1 (high)
            __m256i lo[8], hi[8];
            for (int j = 0; j < 8; ++j) {
                const auto v = base::values(*rows[j], base::fifth_bits(*rows[j]), g);
                lo[j] = v.lo, hi[j] = v.hi;
            }
            transpose_8x8_epi32(lo);
            transpose_8x8_epi32(hi);
            for (int c = 0; c < 8; ++c) out.q[16 * g + c] = lo[c], out.q[16 * g + 8 + c] = hi[c];
        }
    }

    // Chunks (4 elements, 2 products per int16 lane) summed in int16 before vpmaddwd widens them.
    // q4_K values stay within 15: a whole sub-block's 8 chunks give |sum| <= 16 * 15 * 128 = 30720.
    // q5_K values reach 31, where 8 chunks could pass 32767 (all 31s against a row of -128s make
    // 63488 and wrapped), so they go in halves of 4 (31744).
    static constexpr int chunks_per_int16_sum = five ? 4 : 8;

    // y[t * y_stride + j] for the 8 rows of p (nb prepared super-blocks) and RN tokens. pf, when
    // not null, is asked for its bytes of each block step (the next group's weights).
    // sums: the activations' sub-block sums (make_sub_block_sums) of the same RN tokens.
    // With VNNI (I::fused_byte_dot) a sub-block's 8 chunks are vpdpbusd into int32 (no int16
    // limit) and its scale is one vpmulld: the same integer sums, so the same bits.
    template <int RN, class I = avx2_ops>
    static void tile(const k4x8_block* p, const std::byte* a, std::size_t a_stride, const sub_block_sums* sums,
                     std::size_t nb, float* y, std::size_t y_stride, const detail::next_tile_prefetcher* pf) noexcept {
        const ablock* act[RN];
        const sub_block_sums* sum[RN];
        for (int t = 0; t < RN; ++t)
            act[t] = reinterpret_cast<const ablock*>(a + t * a_stride), sum[t] = sums + t * nb;
        __m256 acc[RN], accm[RN];
        for (int t = 0; t < RN; ++t) acc[t] = accm[t] = _mm256_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            if (pf) pf->at(b);
            const k4x8_block& w = p[b];
            __m256i isum[RN];
            for (int t = 0; t < RN; ++t) isum[t] = _mm256_setzero_si256();
            for (int i = 0; i < 8 && I::fused_byte_dot; ++i) {
                const __m256i scale = _mm256_srli_epi32(w.scales[i], 16);  // the int16 pair's upper copy
                __m256i s32[RN];
                for (int t = 0; t < RN; ++t) s32[t] = _mm256_setzero_si256();
                for (int c = 0; c < 8; ++c) {
                    const __m256i q = w.q[8 * i + c];
                    for (int t = 0; t < RN; ++t)
                        s32[t] = I::madd_u8_i8_acc(s32[t], q, broadcast_dword(act[t][b].qs + 32 * i + 4 * c));
                }
                for (int t = 0; t < RN; ++t) isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(s32[t], scale));
            }
            for (int i = 0; i < 8 && !I::fused_byte_dot; ++i) {
                for (int c0 = 0; c0 < 8; c0 += chunks_per_int16_sum) {
                    __m256i s16[RN];
                    for (int t = 0; t < RN; ++t) s16[t] = _mm256_setzero_si256();
                    for (int c = c0; c < c0 + chunks_per_int16_sum; ++c) {
                        const __m256i q = w.q[8 * i + c];
                        for (int t = 0; t < RN; ++t) {
                            s16[t] = _mm256_add_epi16(
                                s16[t], _mm256_maddubs_epi16(q, broadcast_dword(act[t][b].qs + 32 * i + 4 * c)));
                            keep_in_register(s16[t]);
                        }
                    }
                    for (int t = 0; t < RN; ++t)
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(s16[t], w.scales[i]));
                }
            }
            for (int t = 0; t < RN; ++t) {
                const ablock& ab = act[t][b];
                const std::int16_t* sub = sum[t][b].s;  // pair p: sub-blocks 2p, 2p+1
                __m256i msum = _mm256_madd_epi16(w.mins[0], broadcast_dword(sub + 0));
                msum = _mm256_add_epi32(msum, _mm256_madd_epi16(w.mins[1], broadcast_dword(sub + 2)));
                msum = _mm256_add_epi32(msum, _mm256_madd_epi16(w.mins[2], broadcast_dword(sub + 4)));
                msum = _mm256_add_epi32(msum, _mm256_madd_epi16(w.mins[3], broadcast_dword(sub + 6)));
                const __m256 da = _mm256_set1_ps(ab.d);
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(w.d, da), acc[t]);
                accm[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(w.dmin, da), accm[t]);
            }
        }
        for (int t = 0; t < RN; ++t) _mm256_storeu_ps(y + t * y_stride, _mm256_sub_ps(acc[t], accm[t]));
    }
};

// Tile policy of q4_K / q5_K: the GEMV through k4_rows_gemv (4 rows per tile; TableScales picks
// how it spreads the sub-block scales); a GEMM chunk takes its groups of 8 rows through k4x8
// (prepared once per token chunk into a per-thread buffer, about 2.5 KiB per super-block) and the
// rows after the last whole group through the per-row prepared tiles (Gemm). All of them sum as
// superblock_acc.
template <bool five, class Gemm, int GemmRM, int GemmRN, int InterleavedRN, class I = avx2_ops, bool TableScales = true>
struct k4x8_policy {
    static constexpr int gemv_rm = 4, gemm_rm = GemmRM, gemm_rn = GemmRN;
    static constexpr bool counts_elements = false;
    static constexpr std::size_t token_chunk_bytes = interleaved_token_chunk_bytes;
    template <int RM, int RN>
    static void tile(const std::byte* w, std::size_t ws, const std::byte* a, std::size_t as, std::size_t nb, float* y,
                     std::size_t ys) {
        if constexpr (RN == 1) k4_rows_gemv<I, five, RM, TableScales>(w, ws, a, nb, y);
        else detail::block_tile<Gemm, RM, RN>(w, ws, a, as, nb, y, ys);
    }
    using kernel = k4x8<five>;
    using wblock = typename kernel::wblock;
    using tile_fn = void (*)(const k4x8_block*, const std::byte*, std::size_t, const sub_block_sums*, std::size_t,
                             float*, std::size_t, const detail::next_tile_prefetcher*);
    static constexpr auto tiles = []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<tile_fn, InterleavedRN>{&kernel::template tile<static_cast<int>(N) + 1, I>...};
    }(std::make_index_sequence<InterleavedRN>{});

    // The activations' sub-block sums, made once per matmul by the threads that quantize them
    // (kernels::token_side_buffer): every 8-row group of every thread reads them.
    static std::size_t token_side_bytes(std::size_t n_tokens, std::size_t nb) noexcept {
        return n_tokens * nb * sizeof(sub_block_sums);
    }
    static void make_token_side(const std::byte* a, std::size_t as, std::size_t t0, std::size_t t1, std::size_t,
                                std::size_t nb, std::byte* side) noexcept {
        make_sub_block_sums(a, as, t0, t1, nb, reinterpret_cast<sub_block_sums*>(side));
    }
    static const sub_block_sums* token_side_at(const std::byte* side, std::size_t t0, std::size_t nb) noexcept {
        return side ? reinterpret_cast<const sub_block_sums*>(side) + t0 * nb : nullptr;
    }

    // sums if not null, else (a caller that did not make them) the n_tokens tokens' sums made
    // here into a per-thread buffer, when rows [r0, r1) hold a whole group that reads them.
    static const sub_block_sums* sums_or_own(const std::byte* a, std::size_t as, std::size_t n_tokens, std::size_t nb,
                                             std::size_t r0, std::size_t r1, const sub_block_sums* sums) {
        thread_local std::vector<sub_block_sums> own;
        if (!sums && r0 + 8 <= r1) {
            own.resize(n_tokens * nb);
            make_sub_block_sums(a, as, 0, n_tokens, nb, own.data());
            sums = own.data();
        }
        return sums;
    }

    // sums: make_token_side's sums of these n_tokens tokens; a caller that did not make them
    // (null) gets them made here, per call.
    static void gemm_chunk(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                           std::size_t as, std::size_t n_tokens, std::size_t nb, float* y, std::size_t ys,
                           const sub_block_sums* sums) {
        sums = sums_or_own(a, as, n_tokens, nb, r0, r1, sums);
        const std::size_t r = for_each_group<8, kernel, wblock, k4x8_block>(
            w, ws, r0, r1, nb, n_tokens, [&](const k4x8_block* blocks, std::size_t g, const detail::next_tile_prefetcher* next) {
                for (std::size_t t = 0; t < n_tokens; t += InterleavedRN) {
                    const std::size_t n = std::min<std::size_t>(InterleavedRN, n_tokens - t);
                    tiles[n - 1](blocks, a + t * as, as, sums + t * nb, nb, y + t * ys + g, ys,
                                 t == 0 ? next : nullptr);
                }
            });
        if (r < r1) detail::prepared_gemm<Gemm, GemmRM, GemmRN>(w, ws, r, r1, a, as, n_tokens, nb, y, ys);
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
