#pragma once
// AVX-512 GEMM of q4_0 with sixteen weight rows interleaved in each zmm register: q4_0x8's layout
// (avx2_q4_0x8.hpp) twice over, rows 0-7 in the low 256 bits and rows 8-15 in the high.
//
// Why: q4_0x8's VNNI tile was bound by its loads, not its multiplies. Per block and token it
// issues 8 vpdpbusd (8 rows) against 8 dword broadcasts of the activations plus the offset and
// scale loads, more than one load per multiply. Here the same broadcasts serve 16 rows, so a
// prompt's loads per product halve, and each zmm vpdpbusd does the work of two ymm ones.
// Measured on Zen 4 (bench_kernels --only gemm --types q4_0, 1 thread): see avx512.hpp.
//
// Float order: q4_0x8's, per row: one FMA of d_w d_a times the block's exact integer dot into one
// float sum per row and block, blocks in order. So every row's output has the same bits as
// through q4_0x8 (and the 8-row GEMV).
#include <hearth/cpu/kernels/avx2_q4_0x8.hpp>
#include <hearth/cpu/kernels/avx2_q4_0x8_packed.hpp>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx512_detail {

// One 32-element block of 16 rows, interleaved.
struct alignas(64) q4_0x16_block {
    __m512i q[8];  // chunk c (elements 4c .. 4c+3): dword j = row j's 4 values in [0, 15]
    __m512 d;      // lane j: row j's scale
};

struct q4_0x16 {
    static void prepare(const quant::block_q4_0* const (&rows)[16], q4_0x16_block& out) noexcept {
        const quant::block_q4_0* low[8];
        const quant::block_q4_0* high[8];
        for (int j = 0; j < 8; ++j) {
            low[j] = rows[j];
            high[j] = rows[8 + j];
        }
        avx2_detail::q4_0x8_block lo, hi;
        avx2_detail::q4_0x8::prepare(low, lo);
        avx2_detail::q4_0x8::prepare(high, hi);
        for (int c = 0; c < 8; ++c) out.q[c] = _mm512_inserti64x4(_mm512_castsi256_si512(lo.q[c]), hi.q[c], 1);
        out.d = _mm512_insertf32x8(_mm512_castps256_ps512(lo.d), hi.d, 1);
    }

    // y[t * y_stride + j] for the 16 rows of p (nb prepared blocks) and RN tokens; side: the
    // tokens' side data (offset = -8 * sum(a) per block, and d). pf, when not null, is asked for
    // its bytes of each block step (the next group's weights).
    template <int RN>
    static void tile(const q4_0x16_block* p, const std::byte* a, std::size_t a_stride,
                     const avx2_detail::nibble_gemm_side* side, std::size_t nb, float* y, std::size_t y_stride,
                     const detail::next_tile_prefetcher* pf) noexcept {
        const quant::block_q8_0* act[RN];
        for (int t = 0; t < RN; ++t) act[t] = reinterpret_cast<const quant::block_q8_0*>(a + t * a_stride);
        __m512 acc[RN];
        for (int t = 0; t < RN; ++t) acc[t] = _mm512_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            if (pf) pf->at(b);
            const q4_0x16_block& w = p[b];
            __m512i isum[RN];
            for (int t = 0; t < RN; ++t) isum[t] = _mm512_set1_epi32(side[t * nb + b].offset);
            for (int c = 0; c < 8; ++c) {
                const __m512i q = w.q[c];
                for (int t = 0; t < RN; ++t) {
                    std::int32_t four;
                    std::memcpy(&four, act[t][b].qs + 4 * c, 4);
                    isum[t] = _mm512_dpbusd_epi32(isum[t], q, _mm512_set1_epi32(four));
                }
            }
            for (int t = 0; t < RN; ++t)
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(w.d, _mm512_set1_ps(side[t * nb + b].d)),
                                         acc[t]);
        }
        for (int t = 0; t < RN; ++t) _mm512_storeu_ps(y + t * y_stride, acc[t]);
    }
};

// q4_0's GEMM on AVX-512: whole groups of 16 rows through q4_0x16 (unpacked once per token chunk
// into a per-thread buffer, 576 bytes per block), the rest as the AVX2 policy does them (groups of
// 8 through q4_0x8, then row pairs). The GEMV is the base policy's.
template <class Base, int WideRN>
struct q4_0x16_policy : Base {
    using tile_fn = void (*)(const q4_0x16_block*, const std::byte*, std::size_t, const avx2_detail::nibble_gemm_side*,
                             std::size_t, float*, std::size_t, const detail::next_tile_prefetcher*);
    static constexpr auto wide_tiles = []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<tile_fn, WideRN>{&q4_0x16::template tile<static_cast<int>(N) + 1>...};
    }(std::make_index_sequence<WideRN>{});

    static void gemm_chunk(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                           std::size_t as, std::size_t n_tokens, std::size_t nb, float* y, std::size_t ys) {
        // The side data is made once for the chunk and handed on to Base's 8-row and edge rows.
        const avx2_detail::nibble_gemm_side* side = Base::template side_of_tokens<0>(a, as, n_tokens, nb);
        std::size_t r = r0;
        if (r + 16 <= r1) {
            r = avx2_detail::for_each_group<16, q4_0x16, quant::block_q4_0, q4_0x16_block>(
                w, ws, r0, r1, nb, n_tokens, [&](const q4_0x16_block* blocks, std::size_t g, const detail::next_tile_prefetcher* next) {
                    for (std::size_t t = 0; t < n_tokens; t += WideRN) {
                        const std::size_t n = std::min<std::size_t>(WideRN, n_tokens - t);
                        wide_tiles[n - 1](blocks, a + t * as, as, side + t * nb, nb, y + t * ys + g, ys,
                                          t == 0 ? next : nullptr);
                    }
                });
        }
        if (r < r1) Base::gemm_chunk(w, ws, r, r1, a, as, n_tokens, nb, y, ys, side);
    }
};

// q4_0's GEMM over weights repacked at load (weight_layout::q4_0x8): two groups of 8 rows at a
// time unpacked into q4_0x16's blocks (the low and high halves of each register), an odd last
// group through q4_0x8's tiles.
template <class I, int RN>
struct q4_0x16_packed_gemm {
    using tile_fn = void (*)(const q4_0x16_block*, const std::byte*, std::size_t, const avx2_detail::nibble_gemm_side*,
                             std::size_t, float*, std::size_t, const detail::next_tile_prefetcher*);
    static constexpr auto tiles = []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<tile_fn, RN>{&q4_0x16::template tile<static_cast<int>(N) + 1>...};
    }(std::make_index_sequence<RN>{});

    static void run(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1, const std::byte* a,
                    std::size_t as, std::size_t n_tokens, const avx2_detail::nibble_gemm_side* side, float* y,
                    std::size_t ys) {
        using kernels = avx2_detail::q4_0x8_packed_kernels;
        thread_local std::vector<q4_0x16_block> buf;
        if (buf.size() < nb) buf.resize(nb);
        std::size_t g = g0;
        for (; g + 2 <= g1; g += 2) {
            const std::byte* low = kernels::packing::group(packed, nb, g);
            const std::byte* high = kernels::packing::group(packed, nb, g + 1);
            for (std::size_t b = 0; b < nb; ++b) {
                avx2_detail::q4_0x8_block lo, hi;
                kernels::unpack(low, nb, b, lo);
                kernels::unpack(high, nb, b, hi);
                for (int c = 0; c < 8; ++c) buf[b].q[c] = _mm512_inserti64x4(_mm512_castsi256_si512(lo.q[c]), hi.q[c], 1);
                buf[b].d = _mm512_insertf32x8(_mm512_castps256_ps512(lo.d), hi.d, 1);
            }
            for (std::size_t t = 0; t < n_tokens; t += RN) {
                const std::size_t n = std::min<std::size_t>(RN, n_tokens - t);
                tiles[n - 1](buf.data(), a + t * as, as, side + t * nb, nb, y + t * ys + 8 * (g - g0), ys, nullptr);
            }
        }
        if (g < g1)
            kernels::gemm_groups<I, 8>(packed, nb, g, g1, a, as, n_tokens, side, y + 8 * (g - g0), ys);
    }
};

}  // namespace cpu::avx512_detail
HEARTH_NAMESPACE_END
