#pragma once
// The q8_0 GEMV and GEMM over weights repacked into groups of 8 interleaved rows
// (weight_layout::q8_0x8, packed_q8_0.hpp), for kernels with VNNI's vpdpbusd (I::fused_byte_dot;
// AVX-512 here). Without it a byte dot of signed weights needs a vpsignb per chunk and an int16
// fold (vpmaddubsw saturates on the layout's unsigned bytes), which is the file-layout tile's
// cost again, so AVX2 reads q8_0 in place.
//
// GEMV, per block of a group: 8 loads of 32 bytes, each one vpdpbusd against 4 broadcast
// activation bytes into the 8 rows' lanes (two chains, so consecutive ones do not wait on each
// other), started at -128 * sum(a) (the layout's +128, precomputed once per activation block);
// then one conversion, the 8 scales in one 16-byte load and one FMA for the 8 rows.
//
// GEMM: two groups at a time are unpacked into q8_0x16_vnni's prepared blocks (a copy: its bytes
// are stored +128 too) and run through its tiles, as the file-layout GEMM runs them; a last odd
// group through the same tile with empty upper rows.
//
// Float order, per row and block: one FMA of d_w d_a times the block's exact integer dot, the
// order of the file-layout GEMV and GEMM (avx2_q8_0x16.hpp), so the copy changes no bits.
#include <hearth/cpu/kernels/avx2_q4_0x8_packed.hpp>
#include <hearth/cpu/kernels/avx2_q8_0x16.hpp>
#include <hearth/cpu/packed_q8_0.hpp>
#include <algorithm>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

struct q8_0x8_packed_kernels {
    using packing = q8_0x8_packing;

    // y[8 (g - g0) + j] for groups [g0, g1), one q8_0 activation row; side: its per-block
    // -128 * sum(a) and scale (nibble_gemm_side with Offset 128, one token).
    template <class I>
    static void gemv(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1,
                     const quant::block_q8_0* act, const nibble_gemm_side* side, float* y) noexcept {
        static_assert(I::fused_byte_dot, "the packed q8_0 layout is read with vpdpbusd");
        for (std::size_t g = g0; g < g1; ++g) {
            const std::byte* grp = packing::group(packed, nb, g);
            __m256 acc = _mm256_setzero_ps();
            for (std::size_t b = 0; b < nb; ++b) {
                const std::uint8_t* q = packing::qs(grp, b);
                const std::int8_t* a = act[b].qs;
                __m256i even = _mm256_set1_epi32(side[b].offset), odd = _mm256_setzero_si256();
                for (std::size_t c = 0; c < packing::chunks; c += 2) {
                    even = I::madd_u8_i8_acc(even, load256(q + c * packing::chunk_bytes), broadcast_dword(a + 4 * c));
                    odd = I::madd_u8_i8_acc(odd, load256(q + (c + 1) * packing::chunk_bytes), broadcast_dword(a + 4 * c + 4));
                }
                const __m256 d = _mm256_mul_ps(_mm256_cvtph_ps(load128(packing::d(grp, b))), _mm256_set1_ps(side[b].d));
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(even, odd)), d, acc);
            }
            _mm256_storeu_ps(y + 8 * (g - g0), acc);
        }
    }

    // q8_0x8_packing::pack (its scalar twin) with each block's 8 rows transposed in registers.
    static void pack(const std::byte* w, std::size_t ws, std::size_t nb, std::size_t g0, std::size_t g1,
                     std::byte* out) noexcept {
        const __m256i flip = _mm256_set1_epi8(static_cast<char>(packing::bias));
        for (std::size_t g = g0; g < g1; ++g) {
            const std::byte* rows = w + g * packing::rows * ws;
            std::byte* grp = out + g * packing::group_bytes(nb);
            for (std::size_t b = 0; b < nb; ++b) {
                const quant::block_q8_0* blocks[packing::rows];
                for (std::size_t j = 0; j < packing::rows; ++j)
                    blocks[j] = reinterpret_cast<const quant::block_q8_0*>(rows + j * ws) + b;
                __m256i x[8];
                for (std::size_t j = 0; j < packing::rows; ++j) x[j] = load256(blocks[j]->qs);
                transpose_8x8_epi32(x);
                auto* blk = reinterpret_cast<std::uint8_t*>(grp + b * packing::block_bytes);
                for (std::size_t c = 0; c < packing::chunks; ++c)
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk + c * packing::chunk_bytes), _mm256_xor_si256(x[c], flip));
                f16_bits d[packing::rows];
                for (std::size_t j = 0; j < packing::rows; ++j) d[j] = blocks[j]->d;
                std::memcpy(blk + packing::qs_bytes, d, sizeof d);
            }
        }
    }

    // Block b of a group as one half of q8_0x16_vnni's prepared block: the same bytes (+128 both),
    // the scales as floats.
    static void unpack(const std::byte* grp, std::size_t b, q8_0x16_vnni_block::group& out) noexcept {
        const std::uint8_t* q = packing::qs(grp, b);
        for (std::size_t c = 0; c < packing::chunks; ++c) out.q[c] = load256(q + c * packing::chunk_bytes);
        out.d = _mm256_cvtph_ps(load128(packing::d(grp, b)));
    }
};

// The packed q8_0 entry points of a policy (kernels<Arch>::rows, for weight_layout::q8_0x8); RN:
// tokens per q8_0x16_vnni tile, as the file-layout GEMM takes them.
template <class I, int RN>
struct q8_0x8_packed_policy {
    using packing = q8_0x8_packing;
    static void pack(const std::byte* w, std::size_t ws, std::size_t nb, std::size_t g0, std::size_t g1, std::byte* out) {
        q8_0x8_packed_kernels::pack(w, ws, nb, g0, g1, out);
    }
    static void packed_gemv(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1, const std::byte* a,
                            float* y) {
        const nibble_gemm_side* side = gemm_side_of<I, packing::bias, quant::block_q8_0, 0>(a, 0, 1, nb);
        q8_0x8_packed_kernels::gemv<I>(packed, nb, g0, g1, reinterpret_cast<const quant::block_q8_0*>(a), side, y);
    }
    // Token chunks as the file-layout GEMM takes them: each chunk unpacks the groups again.
    // token_side: the matmul's side data for q8_0 (q8_0_token_side, tile 0 with VNNI); without
    // it each chunk makes its own.
    static void packed_gemm(const std::byte* packed, std::size_t nb, std::size_t g0, std::size_t g1, const std::byte* a,
                            std::size_t as, std::size_t n_tokens, float* y, std::size_t ys,
                            const std::byte* token_side = nullptr) {
        static_assert(I::fused_byte_dot, "the q8_0x8 layout is read with vpdpbusd");
        using tile_fn = void (*)(const q8_0x16_vnni_block*, const std::byte*, std::size_t, const nibble_gemm_side*,
                                 std::size_t, float*, std::size_t, const detail::next_tile_prefetcher*);
        static constexpr auto tiles = []<std::size_t... N>(std::index_sequence<N...>) {
            return std::array<tile_fn, RN>{&q8_0x16_vnni<I>::template tile<static_cast<int>(N) + 1>...};
        }(std::make_index_sequence<RN>{});
        thread_local std::vector<q8_0x16_vnni_block> buf;
        if (buf.size() < nb) buf.resize(nb);
        const std::size_t chunk = std::max<std::size_t>(RN, interleaved_token_chunk_bytes / std::max<std::size_t>(as, 1));
        for (std::size_t t0 = 0; t0 < n_tokens; t0 += chunk) {
            const std::size_t n = std::min(chunk, n_tokens - t0);
            const auto made = q8_0_token_side<I>::at(token_side, t0, nb);
            const nibble_gemm_side* side = made.data && made.tile == 0
                                               ? q8_0_token_side<I>::vnni(made.data)
                                               : gemm_side_of<I, packing::bias, quant::block_q8_0, 0>(a + t0 * as, as, n, nb);
            for (std::size_t g = g0; g < g1; g += 2) {
                const bool pair = g + 1 < g1;
                for (std::size_t b = 0; b < nb; ++b) {
                    q8_0x8_packed_kernels::unpack(packing::group(packed, nb, g), b, buf[b].half[0]);
                    if (pair) q8_0x8_packed_kernels::unpack(packing::group(packed, nb, g + 1), b, buf[b].half[1]);
                    else std::memset(&buf[b].half[1], 0, sizeof buf[b].half[1]);  // no rows: zero weights and scales
                }
                for (std::size_t t = 0; t < n; t += RN) {
                    const std::size_t m = std::min<std::size_t>(RN, n - t);
                    const std::byte* at = a + (t0 + t) * as;
                    float* yt = y + (t0 + t) * ys + 8 * (g - g0);
                    const nibble_gemm_side* st = side + t * nb;
                    if (pair) {
                        tiles[m - 1](buf.data(), at, as, st, nb, yt, ys, nullptr);
                    } else {
                        // The tile writes 16 rows; the last group has 8, and the next ones may
                        // belong to another thread.
                        float tmp[RN * 16];
                        tiles[m - 1](buf.data(), at, as, st, nb, tmp, 16, nullptr);
                        for (std::size_t u = 0; u < m; ++u) std::memcpy(yt + u * ys, tmp + 16 * u, 8 * sizeof(float));
                    }
                }
            }
        }
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
