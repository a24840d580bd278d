#pragma once
// The q4_K GEMV and GEMM over weights repacked into groups of 8 interleaved rows
// (weight_layout::q4_kx8, packed_q4_k.hpp), for AVX2 and (through I = vnni_ops) AVX-512 VNNI.
//
// GEMV, per super-block of a group: 32 loads of 32 bytes, each masked (sub-block 2s, 4 elements of
// the 8 rows) and shifted (sub-block 2s + 1), against 4 broadcast activation bytes; a sub-block's
// 8 row sums land one per lane and take their 8 scales from one 8-byte load, so the scales, the
// minimum term and the float epilogue are paid once per super-block for 8 rows. The integer sums
// and the float order are k4x8's tile (avx2_k4x8.hpp), so the bits are those of the file-layout
// GEMV and GEMM.
//
// GEMM: each group's super-blocks are unpacked once per token chunk into k4x8's prepared blocks
// (masks, shifts and widenings: no transposition left) and run through k4x8's tiles.
#include <hearth/cpu/kernels/avx2_k4x8.hpp>
#include <hearth/cpu/kernels/avx2_q4_0x8_packed.hpp>
#include <hearth/cpu/packed_q4_k.hpp>
#include <algorithm>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

struct k4x8_packed_kernels {
    using packing = q4_kx8_packing;

    // Into L2, as far ahead as q4_0's packed GEMV reaches (one forward stream), one line per 64
    // bytes read: the 19 lines of a super-block asked for at once stalled the loop on them.
    static void prefetch_line(const std::uint8_t* p) noexcept {
        _mm_prefetch(reinterpret_cast<const char*>(p) + q4_0x8_packed_kernels::prefetch_ahead, _MM_HINT_T1);
    }

    // The 8 rows' scale of one sub-block as int32 lanes.
    static __m256i scales_of(const std::uint8_t* blk, int i) noexcept {
        return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk + packing::scales_at + 8 * i)));
    }
    // Minimums of sub-blocks 2p, 2p + 1 as k4x8_block::mins[p] (int16 lanes 2j, 2j + 1).
    static __m256i mins_of(const std::uint8_t* blk, int p) noexcept {
        return _mm256_cvtepu8_epi16(load128(blk + packing::mins_at + 16 * p));
    }

    // y[8 (g - g0) + j] for groups [g0, g1), one q8_K activation row and its sub-block sums.
    template <class I>
    static void gemv(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1,
                     const quant::block_q8_k* act, const sub_block_sums* sums, float* y) noexcept {
        const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
        for (std::size_t g = g0; g < g1; ++g) {
            const std::byte* grp = packing::group(packed, nb, g);
            __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
            for (std::size_t b = 0; b < nb; ++b) {
                const std::uint8_t* blk = packing::block(grp, b);
                const std::int8_t* a = act[b].qs;
                for (std::size_t l = packing::qs_bytes; l < packing::block_bytes; l += 64) prefetch_line(blk + l);
                __m256i isum = _mm256_setzero_si256();
                for (int s = 0; s < 4; ++s) {  // sub-blocks 2s (low nibbles) and 2s + 1 (high)
                    const std::uint8_t* q = blk + 8 * s * packing::chunk_bytes;
                    if constexpr (I::fused_byte_dot) {
                        // The high nibbles stay in place (x & 0xf0 = 16 * value): their sums are
                        // 16 times the nibbles' and shift back exactly, one shift per sub-block
                        // instead of one per chunk.
                        __m256i lo = _mm256_setzero_si256(), hi16 = _mm256_setzero_si256();
                        for (int c = 0; c < 8; ++c) {
                            if (c % 2 == 0) prefetch_line(q + c * packing::chunk_bytes);
                            const __m256i x = load256(q + c * packing::chunk_bytes);
                            lo = I::madd_u8_i8_acc(lo, _mm256_and_si256(x, low_nibbles), broadcast_dword(a + 64 * s + 4 * c));
                            hi16 = I::madd_u8_i8_acc(hi16, _mm256_andnot_si256(low_nibbles, x),
                                                     broadcast_dword(a + 64 * s + 32 + 4 * c));
                        }
                        isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(lo, scales_of(blk, 2 * s)));
                        isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(_mm256_srai_epi32(hi16, 4), scales_of(blk, 2 * s + 1)));
                    } else {
                        // int16 sums of a sub-block's 8 chunks (|sum| <= 16 * 15 * 128 = 30720),
                        // widened by vpmaddwd against the scale in both halves of each dword.
                        __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
                        for (int c = 0; c < 8; ++c) {
                            if (c % 2 == 0) prefetch_line(q + c * packing::chunk_bytes);
                            const __m256i x = load256(q + c * packing::chunk_bytes);
                            lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(_mm256_and_si256(x, low_nibbles),
                                                                           broadcast_dword(a + 64 * s + 4 * c)));
                            hi = _mm256_add_epi16(hi, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(x, 4), low_nibbles),
                                                                           broadcast_dword(a + 64 * s + 32 + 4 * c)));
                        }
                        const __m256i sl = scales_of(blk, 2 * s), sh = scales_of(blk, 2 * s + 1);
                        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(lo, _mm256_or_si256(sl, _mm256_slli_epi32(sl, 16))));
                        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(hi, _mm256_or_si256(sh, _mm256_slli_epi32(sh, 16))));
                    }
                }
                const std::int16_t* sub = sums[b].s;
                __m256i msum = _mm256_madd_epi16(mins_of(blk, 0), broadcast_dword(sub + 0));
                msum = _mm256_add_epi32(msum, _mm256_madd_epi16(mins_of(blk, 1), broadcast_dword(sub + 2)));
                msum = _mm256_add_epi32(msum, _mm256_madd_epi16(mins_of(blk, 2), broadcast_dword(sub + 4)));
                msum = _mm256_add_epi32(msum, _mm256_madd_epi16(mins_of(blk, 3), broadcast_dword(sub + 6)));
                const __m256 da = _mm256_set1_ps(act[b].d);
                const __m256 d = _mm256_cvtph_ps(load128(blk + packing::d_at));
                const __m256 dmin = _mm256_cvtph_ps(load128(blk + packing::dmin_at));
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(d, da), acc);
                accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(dmin, da), accm);
            }
            _mm256_storeu_ps(y + 8 * (g - g0), _mm256_sub_ps(acc, accm));
        }
    }

    // Super-block b of a group as k4x8's prepared block.
    static void unpack(const std::byte* grp, std::size_t b, k4x8_block& out) noexcept {
        const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
        const std::uint8_t* blk = packing::block(grp, b);
        for (int s = 0; s < 4; ++s)
            for (int c = 0; c < 8; ++c) {
                const __m256i x = load256(blk + (8 * s + c) * packing::chunk_bytes);
                out.q[16 * s + c] = _mm256_and_si256(x, low_nibbles);
                out.q[16 * s + 8 + c] = _mm256_and_si256(_mm256_srli_epi16(x, 4), low_nibbles);
            }
        for (int i = 0; i < 8; ++i) {
            const __m256i s = scales_of(blk, i);
            out.scales[i] = _mm256_or_si256(s, _mm256_slli_epi32(s, 16));
        }
        for (int p = 0; p < 4; ++p) out.mins[p] = mins_of(blk, p);
        out.d = _mm256_cvtph_ps(load128(blk + packing::d_at));
        out.dmin = _mm256_cvtph_ps(load128(blk + packing::dmin_at));
    }
};

// The packed q4_K entry points of a policy (kernels<Arch>::rows, for weight_layout::q4_kx8).
template <class I, int RN>
struct k4x8_packed_policy {
    using packing = q4_kx8_packing;
    static void pack(const std::byte* w, std::size_t ws, std::size_t nb, std::size_t g0, std::size_t g1, std::byte* out) {
        packing::pack(w, ws, nb, g0, g1, out);
    }
    static void packed_gemv(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1, const std::byte* a,
                            float* y) {
        thread_local std::vector<sub_block_sums> sums;
        sums.resize(nb);
        make_sub_block_sums(a, 0, 0, 1, nb, sums.data());
        k4x8_packed_kernels::gemv<I>(packed, nb, g0, g1, reinterpret_cast<const quant::block_q8_k*>(a), sums.data(), y);
    }
    // Token chunks as the file-layout interleaved GEMMs take them (each unpacks the groups again).
    static void packed_gemm(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1, const std::byte* a,
                            std::size_t as, std::size_t n_tokens, float* y, std::size_t ys) {
        using tile_fn = void (*)(const k4x8_block*, const std::byte*, std::size_t, const sub_block_sums*, std::size_t,
                                 float*, std::size_t, const detail::next_tile_prefetcher*);
        static constexpr auto tiles = []<std::size_t... N>(std::index_sequence<N...>) {
            return std::array<tile_fn, RN>{&k4x8<false>::template tile<static_cast<int>(N) + 1, I>...};
        }(std::make_index_sequence<RN>{});
        thread_local std::vector<sub_block_sums> sums;
        thread_local std::vector<k4x8_block> buf;
        if (buf.size() < nb) buf.resize(nb);
        const std::size_t chunk = std::max<std::size_t>(RN, interleaved_token_chunk_bytes / std::max<std::size_t>(as, 1));
        for (std::size_t t0 = 0; t0 < n_tokens; t0 += chunk) {
            const std::size_t n = std::min(chunk, n_tokens - t0);
            sums.resize(n * nb);
            make_sub_block_sums(a + t0 * as, as, 0, n, nb, sums.data());
            for (std::size_t g = g0; g < g1; ++g) {
                const std::byte* grp = packing::group(packed, nb, g);
                for (std::size_t b = 0; b < nb; ++b) k4x8_packed_kernels::unpack(grp, b, buf[b]);
                for (std::size_t t = 0; t < n; t += RN) {
                    const std::size_t m = std::min<std::size_t>(RN, n - t);
                    tiles[m - 1](buf.data(), a + (t0 + t) * as, as, sums.data() + t * nb, nb,
                                 y + (t0 + t) * ys + 8 * (g - g0), ys, nullptr);
                }
            }
        }
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
