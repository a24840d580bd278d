#pragma once
// The GEMV of q4_K / q5_K: RM (<= 4) weight rows against one token's q8_K activations, straight
// from the file's blocks.
//
// Why a tile of its own: a decode step streams every weight once, and with two threads sharing
// the memory bus each core has about 16 GB/s to read. The per-row kernel (k4_kernel in a 2-row
// tile) ran at 14.5 GB/s on one core with its weights in L3, so q4_K's GEMV was bound by its
// instructions, not by memory: per row and super-block it reduced its integer dot and its minimum
// term to scalars (hsum_i32, hsum_i32x4), converted d and dmin one at a time and made a float
// pair for superblock_acc: about 25 of its ~85 instructions. Here the four rows' partial sums are
// reduced together (hsum4_i32), the rows' d and dmin are converted in one vcvtph2ps, and the
// four rows sit in the lanes of one float accumulator, as k4x8's 8 rows do.
//
// Ports bound it next. Measured here (Zen 3): vpmaddubsw, vpmaddwd, vpshufb and vpsrlw issue
// twice per cycle, vpand four times, and dropping only the nibble shifts from a prototype of
// this tile cut its time by 17%, so shifts and shuffles compete: the scale spread per sub-block (a vpshufb) and the
// vector unpacking of the 12-byte scales took the nibble shifts' ports, and GCC re-associated each
// row's chain of sums into trees it spilled. The scales and
// minimums are now unpacked in general-purpose registers, each sub-block's scale vector is a load
// from a 2 KiB table (scale_vector), and keep_in_register holds each row's chain: 25.3 -> 21.3
// cycles per row and super-block with the blocks in L1, the same integer sums.
//
// Results: per row, the integer sums are exact and the float steps are superblock_acc's (d_w d_a
// isum and dmin_w d_a msum in two sums, one FMA each per super-block, subtracted at the end), so
// a row's output has the same bits as from the GEMM tiles, whatever the batch.
#include <hearth/cpu/kernels/avx2_kquants.hpp>
#include <hearth/cpu/kernels/tile.hpp>
#include <cstddef>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

// A vpmaddwd operand for each 6-bit sub-block scale: all 16 int16 lanes equal to it, 2 KiB in
// L1. Loading sub-block i's vector costs a load, where the shuffle that spread it from the
// unpacked scales (kernel::scale_lanes) took one of the two ports that also do the nibble shifts.
struct k4_scale_vectors {
    alignas(32) std::int16_t v[64][16];
};
inline constexpr k4_scale_vectors k4_scale_table = [] {
    k4_scale_vectors t{};
    for (int s = 0; s < 64; ++s)
        for (int l = 0; l < 16; ++l) t.v[s][l] = static_cast<std::int16_t>(s);
    return t;
}();
// scales: byte i = sub-block i's scale (unpack_scales_mins_k4_gpr).
inline __m256i scale_vector(std::uint64_t scales, int i) noexcept {
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(k4_scale_table.v[(scales >> (8 * i)) & 0xff]));
}

// y[r] for r < RM: rows w + r * w_stride (nb super-blocks each) times the q8_K
// activation row a. Requests the next row tile's weights as it walks (the GEMV streams them once).
// TableScales false: each row's scales unpacked and spread as k4_kernel does (prepare, then a
// vpshufb per sub-block), with the same 4-row reduction and float steps. Measured on Zen 4 built
// for AVX-512 (VNNI ops, bench_kernels --only gemv, 1 thread, 128 MB of weights): the table form
// 11 GB/s, k4_kernel's 2-row block tile 17 GB/s, this form 22-23 GB/s. On Zen 3 (AVX2) the table
// form measured faster (see above).
template <class I, bool five, int RM, bool TableScales = true>
inline void k4_rows_gemv(const std::byte* w, std::size_t w_stride, const std::byte* a, std::size_t nb,
                         float* y) noexcept {
    static_assert(RM >= 1 && RM <= 4);
    using kernel = k4_kernel<I, five>;
    using wblock = typename kernel::wblock;
    static_assert(offsetof(wblock, d) == 0 && offsetof(wblock, dmin) == 2);
    const wblock* rows[RM];
    for (int r = 0; r < RM; ++r) rows[r] = reinterpret_cast<const wblock*>(w + r * w_stride);
    const auto* act = reinterpret_cast<const quant::block_q8_k*>(a);
    const auto pf = detail::next_tile_prefetcher::make<RM>(w, w_stride, nb);
    // Lanes 0-3: row r's sum of d_w d_a isum; lanes 4-7: its sum of dmin_w d_a msum.
    __m256 acc = _mm256_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
        pf.at(b);
        const quant::block_q8_k& ab = act[b];
        const auto ap = kernel::prepare_act(ab);
        __m256i isum[4];
        __m128i msum[4];
        std::uint32_t d_dmin[4] = {0, 0, 0, 0};  // each row's d and dmin, fp16 bits (0: no row)
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) {
            if (r >= RM) {
                isum[r] = _mm256_setzero_si256(), msum[r] = _mm_setzero_si128();
                continue;
            }
            const wblock& wb = rows[r][b];
            std::memcpy(&d_dmin[r], &wb, 4);  // the block opens with d, then dmin
            if constexpr (!TableScales) {
                const auto p = kernel::prepare(wb);
                msum[r] = _mm_madd_epi16(p.mins, ap.pair_sums);
                isum[r] = kernel::scaled_sum(p, wb, ab);
                continue;
            }
            const k4_scales_mins sm = unpack_scales_mins_k4_gpr(wb.scales);
            msum[r] = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(sm.mins))), ap.pair_sums);
            const __m256i qh = kernel::fifth_bits(wb);
            __m256i s = _mm256_setzero_si256();
#pragma GCC unroll 4
            for (int j = 0; j < 4; ++j) {
                const auto g = kernel::values(wb, qh, j);
                const __m256i p_lo = _mm256_maddubs_epi16(g.lo, load256(ab.qs + 64 * j));
                const __m256i p_hi = _mm256_maddubs_epi16(g.hi, load256(ab.qs + 64 * j + 32));
                s = I::madd_i16_acc(I::madd_i16_acc(s, p_lo, scale_vector(sm.scales, 2 * j)), p_hi,
                                    scale_vector(sm.scales, 2 * j + 1));
                keep_in_register(s);
            }
            isum[r] = s;
        }
        const __m256i sums = _mm256_set_m128i(hsum4_i32(msum[0], msum[1], msum[2], msum[3]),
                                              hsum4_i32(isum[0], isum[1], isum[2], isum[3]));
        // d0 dmin0 d1 dmin1 .. -> d0 d1 d2 d3 dmin0 .. dmin3, times d_a.
        const __m256 dd = _mm256_permutevar8x32_ps(
            _mm256_cvtph_ps(_mm_setr_epi32(static_cast<int>(d_dmin[0]), static_cast<int>(d_dmin[1]),
                                           static_cast<int>(d_dmin[2]), static_cast<int>(d_dmin[3]))),
            _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(dd, _mm256_set1_ps(ab.d)), acc);
    }
    alignas(16) float out[4];
    _mm_store_ps(out, _mm_sub_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1)));
    for (int r = 0; r < RM; ++r) y[r] = out[r];
}

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
