#pragma once
// The q4_0 GEMV and GEMM over weights repacked at load into groups of 8 interleaved rows
// (weight_layout::q4_0x8, packed_q4_0.hpp), for AVX2 and (through I = vnni_ops) AVX-512 VNNI.
//
// GEMV, per block of a group: 4 loads of 32 bytes, each masked (elements 4c .. 4c + 3 of the 8
// rows) and shifted (elements 16 + 4c ..), against 4 broadcast activation bytes; the 8 rows' sums
// land one per lane, so the offset, the conversion, the scales (one 16-byte load) and the FMA are
// paid once per block for 8 rows. About 3 vector instructions per row and block, where the row-pair
// tile over the file's rows (avx2_gemv.hpp) needs about 10.
//
// GEMM: each group's blocks are unpacked once per token chunk into q4_0x8's prepared blocks (a
// mask and a shift per chunk: no transposition left to do) and run through q4_0x8's tiles, or,
// two groups at a time, through q4_0x16's (AVX-512).
//
// Float order, per row and block: one FMA of d_w d_a times the block's exact integer dot (the
// interleaved GEMM tiles' order), so prompt and decode give a token the same bits.
#include <hearth/cpu/kernels/avx2_q4_0x8.hpp>
#include <hearth/cpu/packed_q4_0.hpp>
#include <algorithm>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

struct q4_0x8_packed_kernels {
    using packing = q4_0x8_packing;

    // The software prefetch (into L2): 8 KiB ahead of the block being read, all three lines a
    // 144-byte block can touch. The layout is one forward stream, yet the hardware prefetcher
    // alone lost pace on the longest rows (2048 x 5632, standalone, 1 thread: 20 GB/s without,
    // 24-26 with); 2 KiB ahead was too near there (13 GB/s), and two lines per block leave every
    // ninth line to a demand miss.
    static constexpr std::size_t prefetch_ahead = 8192;
    static void prefetch_block(const std::uint8_t* q) noexcept {
        const char* p = reinterpret_cast<const char*>(q) + prefetch_ahead;
        _mm_prefetch(p, _MM_HINT_T1);
        _mm_prefetch(p + 64, _MM_HINT_T1);
        _mm_prefetch(p + 128, _MM_HINT_T1);
    }

    // y[8 (g - g0) + j] for groups [g0, g1) of the packed matrix, one q8_0 activation row; side:
    // its per-block offset (-8 sum(a)) and scale (nibble_gemm_side, one token).
    template <class I>
    static void gemv(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1,
                     const quant::block_q8_0* act, const nibble_gemm_side* side, float* y) noexcept {
        const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
        for (std::size_t g = g0; g < g1; ++g) {
            const std::byte* grp = packing::group(packed, nb, g);
            __m256 acc = _mm256_setzero_ps();
            for (std::size_t b = 0; b < nb; ++b) {
                const std::uint8_t* q = packing::qs(grp, b);
                prefetch_block(q);
                __m256i isum;
                if constexpr (I::fused_byte_dot) {
                    // Two chains (low and high nibbles) so consecutive vpdpbusd do not wait on
                    // each other.
                    __m256i lo_sum = _mm256_set1_epi32(side[b].offset), hi_sum = _mm256_setzero_si256();
                    for (int c = 0; c < 4; ++c) {
                        const __m256i x = load256(q + c * packing::chunk_bytes);
                        lo_sum = I::madd_u8_i8_acc(lo_sum, _mm256_and_si256(x, low_nibbles),
                                                   broadcast_dword(act[b].qs + 4 * c));
                        hi_sum = I::madd_u8_i8_acc(hi_sum, _mm256_and_si256(_mm256_srli_epi16(x, 4), low_nibbles),
                                                   broadcast_dword(act[b].qs + 16 + 4 * c));
                    }
                    isum = _mm256_add_epi32(lo_sum, hi_sum);
                } else {
                    // vpmaddubsw pairs summed in int16: 8 chunks of 2 products each per row,
                    // |sum| <= 16 * 15 * 128 = 30720.
                    __m256i s16 = _mm256_setzero_si256();
                    for (int c = 0; c < 4; ++c) {
                        const __m256i x = load256(q + c * packing::chunk_bytes);
                        s16 = _mm256_add_epi16(
                            s16, _mm256_maddubs_epi16(_mm256_and_si256(x, low_nibbles), broadcast_dword(act[b].qs + 4 * c)));
                        s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(x, 4), low_nibbles),
                                                                         broadcast_dword(act[b].qs + 16 + 4 * c)));
                    }
                    isum = _mm256_add_epi32(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)), _mm256_set1_epi32(side[b].offset));
                }
                const __m256 d = _mm256_mul_ps(_mm256_cvtph_ps(load128(packing::d(grp, nb, b))), _mm256_set1_ps(side[b].d));
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), d, acc);
            }
            _mm256_storeu_ps(y + 8 * (g - g0), acc);
        }
    }

    // q4_0x8_packing::pack (its scalar twin) with the rows' dwords transposed in registers: 8
    // rows' 16 nibble bytes in 4 registers (rows j and j + 4 in one), two rounds of unpacks.
    // The scalar copy, 4 bytes at a time, took a sixth of the first token's time on one thread.
    static void pack(const std::byte* w, std::size_t ws, std::size_t nb, std::size_t g0, std::size_t g1,
                     std::byte* out) noexcept {
        for (std::size_t g = g0; g < g1; ++g) {
            const std::byte* rows = w + g * packing::rows * ws;
            std::byte* grp = out + g * packing::group_bytes(nb);
            for (std::size_t b = 0; b < nb; ++b) {
                const std::size_t o = b * sizeof(quant::block_q4_0);
                auto qs_of = [&](std::size_t j) { return reinterpret_cast<const quant::block_q4_0*>(rows + j * ws + o)->qs; };
                __m256i x[4];
                for (std::size_t j = 0; j < 4; ++j)
                    x[j] = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(qs_of(j))), load128(qs_of(j + 4)), 1);
                const __m256i t0 = _mm256_unpacklo_epi32(x[0], x[1]), t1 = _mm256_unpackhi_epi32(x[0], x[1]);
                const __m256i t2 = _mm256_unpacklo_epi32(x[2], x[3]), t3 = _mm256_unpackhi_epi32(x[2], x[3]);
                std::byte* blk = grp + b * packing::block_bytes;
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk), _mm256_unpacklo_epi64(t0, t2));
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk + 32), _mm256_unpackhi_epi64(t0, t2));
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk + 64), _mm256_unpacklo_epi64(t1, t3));
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk + 96), _mm256_unpackhi_epi64(t1, t3));
                f16_bits d[packing::rows];
                for (std::size_t j = 0; j < packing::rows; ++j)
                    d[j] = reinterpret_cast<const quant::block_q4_0*>(rows + j * ws + o)->d;
                std::memcpy(blk + packing::qs_bytes, d, sizeof d);
            }
        }
    }

    // Block b of a group as q4_0x8's prepared block (values in [0, 15], scales as floats).
    static void unpack(const std::byte* grp, std::size_t nb, std::size_t b, q4_0x8_block& out) noexcept {
        const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
        const std::uint8_t* q = packing::qs(grp, b);
        for (int c = 0; c < 4; ++c) {
            const __m256i x = load256(q + c * packing::chunk_bytes);
            out.q[c] = _mm256_and_si256(x, low_nibbles);
            out.q[c + 4] = _mm256_and_si256(_mm256_srli_epi16(x, 4), low_nibbles);
        }
        out.d = _mm256_cvtph_ps(load128(packing::d(grp, nb, b)));
    }

    // The GEMM of groups [g0, g1) for n_tokens activation rows (as bytes apart): y[t * ys + r],
    // r counted from the first row of g0; side: the tokens' side data (nb per token). Each group
    // is unpacked into a per-thread buffer, then run through q4_0x8's tiles RN tokens at a time.
    template <class I, int RN>
    static void gemm_groups(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1, const std::byte* a,
                            std::size_t as, std::size_t n_tokens, const nibble_gemm_side* side, float* y,
                            std::size_t ys) {
        using tile_fn = void (*)(const q4_0x8_block*, const std::byte*, std::size_t, const nibble_gemm_side*,
                                 std::size_t, float*, std::size_t, const detail::next_tile_prefetcher*);
        static constexpr auto tiles = []<std::size_t... N>(std::index_sequence<N...>) {
            return std::array<tile_fn, RN>{&q4_0x8::template tile<static_cast<int>(N) + 1, I>...};
        }(std::make_index_sequence<RN>{});
        thread_local std::vector<q4_0x8_block> buf;
        if (buf.size() < nb) buf.resize(nb);
        for (std::size_t g = g0; g < g1; ++g) {
            const std::byte* grp = packing::group(packed, nb, g);
            for (std::size_t b = 0; b < nb; ++b) unpack(grp, nb, b, buf[b]);
            for (std::size_t t = 0; t < n_tokens; t += RN) {
                const std::size_t n = std::min<std::size_t>(RN, n_tokens - t);
                tiles[n - 1](buf.data(), a + t * as, as, side + t * nb, nb, y + t * ys + 8 * (g - g0), ys, nullptr);
            }
        }
    }
};

// The packed q4_0 entry points of a policy (kernels<Arch>::rows calls them for weight_layout::
// q4_0x8): GEMV, and the GEMM of a token chunk, over groups [g0, g1). Gemm(packed, nb, g0, g1, a,
// as, n, side, y, ys) is the GEMM of whole groups.
template <class I, class Gemm>
struct q4_0x8_packed_policy {
    static void pack(const std::byte* w, std::size_t ws, std::size_t nb, std::size_t g0, std::size_t g1, std::byte* out) {
        q4_0x8_packed_kernels::pack(w, ws, nb, g0, g1, out);
    }
    static void packed_gemv(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1, const std::byte* a,
                            float* y) {
        const nibble_gemm_side* side = gemm_side_of<I, 8, quant::block_q8_0, 0>(a, 0, 1, nb);
        q4_0x8_packed_kernels::gemv<I>(packed, nb, g0, g1, reinterpret_cast<const quant::block_q8_0*>(a), side, y);
    }
    // Token chunks as the interleaved GEMMs over the file's rows take them (tiled_rows): each
    // chunk unpacks the groups again, so it holds as many tokens as keep in L2.
    static void packed_gemm(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1, const std::byte* a,
                            std::size_t as, std::size_t n_tokens, float* y, std::size_t ys) {
        const std::size_t chunk = std::max<std::size_t>(8, interleaved_token_chunk_bytes / std::max<std::size_t>(as, 1) / 8 * 8);
        for (std::size_t t0 = 0; t0 < n_tokens; t0 += chunk) {
            const std::size_t n = std::min(chunk, n_tokens - t0);
            const nibble_gemm_side* side = gemm_side_of<I, 8, quant::block_q8_0, 0>(a + t0 * as, as, n, nb);
            Gemm::run(packed, nb, g0, g1, a + t0 * as, as, n, side, y + t0 * ys, ys);
        }
    }
};

// The AVX2 GEMM over packed groups: q4_0x8's tiles, RN tokens at a time.
template <class I, int RN>
struct q4_0x8_packed_gemm {
    static void run(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1, const std::byte* a,
                    std::size_t as, std::size_t n_tokens, const nibble_gemm_side* side, float* y, std::size_t ys) {
        q4_0x8_packed_kernels::gemm_groups<I, RN>(packed, nb, g0, g1, a, as, n_tokens, side, y, ys);
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
