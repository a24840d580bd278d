#pragma once
// AVX-512 GEMM of q4_K / q5_K with sixteen weight rows interleaved in each zmm register: k4x8's
// layout (avx2_k4x8.hpp) twice over, rows 0-7 in the low 256 bits and rows 8-15 in the high.
//
// Why: as for q4_0 (avx512_q4_0x16.hpp), k4x8's VNNI tile issued about one load (an activation
// dword broadcast) per vpdpbusd; here each broadcast serves 16 rows. The sub-block scale is one
// vpmulld per 16 rows and token, the minimum term and the float epilogue are paid once for 16.
//
// Results: k4x8's integer sums (exact) and float operations (superblock_acc's: d_w d_a isum and
// dmin_w d_a msum accumulated apart, one FMA each per super-block, subtracted at the end), per
// row, so every row's output has the same bits as through k4x8, the GEMV and the per-row tiles.
#include <hearth/cpu/kernels/avx2_k4x8.hpp>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx512_detail {

// One super-block of 16 rows, interleaved.
struct alignas(64) k4x16_block {
    __m512i q[64];      // chunk c (elements 4c .. 4c+3): dword j = row j's 4 values, as bytes
    __m512i scales[8];  // sub-block i: dword j = row j's scale
    __m512i mins[4];    // sub-blocks 2p, 2p+1: int16 lanes 2j, 2j+1 = row j's two minimums
    __m512 d, dmin;     // lane j: row j's d and dmin
};

template <bool five>
struct k4x16 {
    using wblock = typename avx2_detail::k4x8<five>::wblock;
    using ablock = quant::block_q8_k;

    static __m512i join(__m256i lo, __m256i hi) noexcept {
        return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    }

    // rows[j]: row j's super-block.
    static void prepare(const wblock* const (&rows)[16], k4x16_block& out) noexcept {
        const wblock* low[8];
        const wblock* high[8];
        for (int j = 0; j < 8; ++j) {
            low[j] = rows[j];
            high[j] = rows[8 + j];
        }
        avx2_detail::k4x8_block lo, hi;
        avx2_detail::k4x8<five>::prepare(low, lo);
        avx2_detail::k4x8<five>::prepare(high, hi);
        for (int c = 0; c < 64; ++c) out.q[c] = join(lo.q[c], hi.q[c]);
        // k4x8 keeps each scale in both int16 halves of its dword (for vpmaddwd); vpmulld wants it once.
        for (int i = 0; i < 8; ++i)
            out.scales[i] = join(_mm256_srli_epi32(lo.scales[i], 16), _mm256_srli_epi32(hi.scales[i], 16));
        for (int m = 0; m < 4; ++m) out.mins[m] = join(lo.mins[m], hi.mins[m]);
        out.d = _mm512_insertf32x8(_mm512_castps256_ps512(lo.d), hi.d, 1);
        out.dmin = _mm512_insertf32x8(_mm512_castps256_ps512(lo.dmin), hi.dmin, 1);
    }

    static __m512i broadcast_dword(const void* p) noexcept {
        std::int32_t v;
        std::memcpy(&v, p, 4);
        return _mm512_set1_epi32(v);
    }

    // y[t * y_stride + j] for the 16 rows of p (nb prepared super-blocks) and RN tokens; sums: the
    // activations' sub-block sums of the same tokens. pf, when not null, is asked for its bytes
    // of each block step (the next group's weights).
    template <int RN>
    static void tile(const k4x16_block* p, const std::byte* a, std::size_t a_stride,
                     const avx2_detail::sub_block_sums* sums, std::size_t nb, float* y, std::size_t y_stride,
                     const detail::next_tile_prefetcher* pf) noexcept {
        const ablock* act[RN];
        const avx2_detail::sub_block_sums* sum[RN];
        for (int t = 0; t < RN; ++t)
            act[t] = reinterpret_cast<const ablock*>(a + t * a_stride), sum[t] = sums + t * nb;
        __m512 acc[RN], accm[RN];
        for (int t = 0; t < RN; ++t) acc[t] = accm[t] = _mm512_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            if (pf) pf->at(b);
            const k4x16_block& w = p[b];
            __m512i isum[RN];
            for (int t = 0; t < RN; ++t) isum[t] = _mm512_setzero_si512();
            for (int i = 0; i < 8; ++i) {
                __m512i s32[RN];
                for (int t = 0; t < RN; ++t) s32[t] = _mm512_setzero_si512();
                for (int c = 0; c < 8; ++c) {
                    const __m512i q = w.q[8 * i + c];
                    for (int t = 0; t < RN; ++t)
                        s32[t] = _mm512_dpbusd_epi32(s32[t], q, broadcast_dword(act[t][b].qs + 32 * i + 4 * c));
                }
                for (int t = 0; t < RN; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(s32[t], w.scales[i]));
            }
            for (int t = 0; t < RN; ++t) {
                const std::int16_t* sub = sum[t][b].s;  // pair p: sub-blocks 2p, 2p+1
                __m512i msum = _mm512_madd_epi16(w.mins[0], broadcast_dword(sub + 0));
                msum = _mm512_add_epi32(msum, _mm512_madd_epi16(w.mins[1], broadcast_dword(sub + 2)));
                msum = _mm512_add_epi32(msum, _mm512_madd_epi16(w.mins[2], broadcast_dword(sub + 4)));
                msum = _mm512_add_epi32(msum, _mm512_madd_epi16(w.mins[3], broadcast_dword(sub + 6)));
                const __m512 da = _mm512_set1_ps(act[t][b].d);
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(w.d, da), acc[t]);
                accm[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(msum), _mm512_mul_ps(w.dmin, da), accm[t]);
            }
        }
        for (int t = 0; t < RN; ++t) _mm512_storeu_ps(y + t * y_stride, _mm512_sub_ps(acc[t], accm[t]));
    }
};

// q4_K / q5_K's GEMM on AVX-512: whole groups of 16 rows through k4x16 (unpacked once per token
// chunk into a per-thread buffer, 4.75 KiB per super-block), the rest as Base (k4x8_policy) does
// them. The GEMV and the token side data are Base's.
template <class Base, bool five, int WideRN>
struct k4x16_policy : Base {
    using kernel16 = k4x16<five>;
    using tile16_fn = void (*)(const k4x16_block*, const std::byte*, std::size_t, const avx2_detail::sub_block_sums*,
                               std::size_t, float*, std::size_t, const detail::next_tile_prefetcher*);
    static constexpr auto wide_tiles = []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<tile16_fn, WideRN>{&kernel16::template tile<static_cast<int>(N) + 1>...};
    }(std::make_index_sequence<WideRN>{});

    static void gemm_chunk(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                           std::size_t as, std::size_t n_tokens, std::size_t nb, float* y, std::size_t ys,
                           const avx2_detail::sub_block_sums* sums) {
        sums = Base::sums_or_own(a, as, n_tokens, nb, r0, r1, sums);
        const std::size_t r = avx2_detail::for_each_group<16, kernel16, typename kernel16::wblock, k4x16_block>(
            w, ws, r0, r1, nb, n_tokens, [&](const k4x16_block* blocks, std::size_t g, const detail::next_tile_prefetcher* next) {
                for (std::size_t t = 0; t < n_tokens; t += WideRN) {
                    const std::size_t n = std::min<std::size_t>(WideRN, n_tokens - t);
                    wide_tiles[n - 1](blocks, a + t * as, as, sums + t * nb, nb, y + t * ys + g, ys,
                                      t == 0 ? next : nullptr);
                }
            });
        if (r < r1) Base::gemm_chunk(w, ws, r, r1, a, as, n_tokens, nb, y, ys, sums);
    }
};

}  // namespace cpu::avx512_detail
HEARTH_NAMESPACE_END
