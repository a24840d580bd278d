#pragma once
// q4_K weights repacked by the CPU backend (weight_layout::q4_kx8): groups of 8 rows interleaved
// super-block by super-block, as packed_q4_0.hpp does for q4_0 and for the same reason: read from
// the GGUF rows, the q4_K GEMV was bound by the instructions that bring rows and their 6-bit
// sub-block scales together (25 GB/s in L2 on one Zen 4 core), not by memory.
//
// Group g (rows 8g .. 8g + 7) of a matrix of nb super-blocks per row starts at g * nb * 1184
// bytes and holds its nb super-blocks of 1184 bytes in order, each:
//   qs:     32 chunks of 32 bytes; chunk 8s + c holds in bytes 4j .. 4j + 3 row j's qs bytes
//           32s + 4c .. 32s + 4c + 3 (low nibbles: sub-block 2s, elements 4c ..; high nibbles:
//           sub-block 2s + 1)
//   scales: 8 x 8 bytes: sub-block i's 6-bit scale of row j at 8i + j
//   mins:   4 x 16 bytes: pair p, row j: the minimums of sub-blocks 2p and 2p + 1 at 16p + 2j
//   d:      the 8 rows' f16 d, then dmin: their f16 dmin
// 32 bytes more than the file's 8 x 144 (the scales unpacked from their 12-byte packing, +2.8%),
// which spares every decode step the unpacking. The float order of the GEMV over it is k4x8's
// (avx2_k4x8.hpp: per row and super-block, d_w d_a isum and dmin_w d_a msum in two FMAs, the
// difference at the end), which is also the file-layout GEMV's: the same bits either way.
#include <hearth/config.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <hearth/quant/kquant_fit.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

struct q4_kx8_packing {
    using file_block = quant::block_q4_k;
    static constexpr std::size_t rows = 8;
    static constexpr std::size_t chunk_bytes = 32;
    static constexpr std::size_t qs_bytes = 32 * chunk_bytes;
    static constexpr std::size_t scales_at = qs_bytes, mins_at = scales_at + 64, d_at = mins_at + 64,
                                 dmin_at = d_at + rows * sizeof(f16_bits);
    static constexpr std::size_t block_bytes = dmin_at + rows * sizeof(f16_bits);
    static_assert(block_bytes == 1184);

    static std::size_t group_bytes(std::size_t nb) noexcept { return nb * block_bytes; }
    static const std::byte* group(const std::byte* packed, std::size_t nb, std::size_t g) noexcept {
        return packed + g * group_bytes(nb);
    }
    static const std::uint8_t* block(const std::byte* group, std::size_t b) noexcept {
        return reinterpret_cast<const std::uint8_t*>(group) + b * block_bytes;
    }

    // Groups [g0, g1) of the file-layout matrix at w (rows ws bytes apart) into out.
    static void pack(const std::byte* w, std::size_t ws, std::size_t nb, std::size_t g0, std::size_t g1,
                     std::byte* out) noexcept {
        for (std::size_t g = g0; g < g1; ++g)
            for (std::size_t j = 0; j < rows; ++j) {
                const auto* row = reinterpret_cast<const quant::block_q4_k*>(w + (g * rows + j) * ws);
                for (std::size_t b = 0; b < nb; ++b) {
                    auto* blk = reinterpret_cast<std::uint8_t*>(out + g * group_bytes(nb) + b * block_bytes);
                    for (std::size_t c = 0; c < 32; ++c) std::memcpy(blk + c * chunk_bytes + 4 * j, row[b].qs + 4 * c, 4);
                    for (int i = 0; i < 8; ++i) {
                        std::uint8_t sc, m;
                        quant::k4_scale_min(i, row[b].scales, sc, m);
                        blk[scales_at + 8 * i + j] = sc;
                        blk[mins_at + 16 * (i / 2) + 2 * j + i % 2] = m;
                    }
                    std::memcpy(blk + d_at + 2 * j, &row[b].d, 2);
                    std::memcpy(blk + dmin_at + 2 * j, &row[b].dmin, 2);
                }
            }
    }

    // Row r of a packed matrix back as its nb file super-blocks.
    static void unpack_row(const std::byte* packed, std::size_t nb, std::size_t r, quant::block_q4_k* out) noexcept {
        const std::byte* grp = group(packed, nb, r / rows);
        const std::size_t j = r % rows;
        for (std::size_t b = 0; b < nb; ++b) {
            const std::uint8_t* blk = block(grp, b);
            for (std::size_t c = 0; c < 32; ++c) std::memcpy(out[b].qs + 4 * c, blk + c * chunk_bytes + 4 * j, 4);
            std::uint8_t sc[8], m[8];
            for (int i = 0; i < 8; ++i) sc[i] = blk[scales_at + 8 * i + j], m[i] = blk[mins_at + 16 * (i / 2) + 2 * j + i % 2];
            quant::pack_k4_scales(out[b].scales, sc, m);
            std::memcpy(&out[b].d, blk + d_at + 2 * j, 2);
            std::memcpy(&out[b].dmin, blk + dmin_at + 2 * j, 2);
        }
    }

    // The scalar reference twin of the packed GEMV: y[j] for the 8 rows of one group against one
    // q8_K activation row, in the SIMD kernels' float order.
    static void ref_gemv(const std::byte* grp, std::size_t nb, const quant::block_q8_k* act, float* y) noexcept {
        for (std::size_t j = 0; j < rows; ++j) {
            float acc = 0.0f, accm = 0.0f;
            for (std::size_t b = 0; b < nb; ++b) {
                const std::uint8_t* blk = block(grp, b);
                std::int32_t isum = 0, msum = 0;
                for (int i = 0; i < 8; ++i) {
                    std::int32_t dot = 0;
                    for (int e = 0; e < 32; ++e) {
                        const std::uint8_t q = blk[(8 * (i / 2) + e / 4) * chunk_bytes + 4 * j + e % 4];
                        dot += ((i % 2) ? q >> 4 : q & 0x0f) * act[b].qs[32 * i + e];
                    }
                    isum += blk[scales_at + 8 * i + j] * dot;
                    msum += blk[mins_at + 16 * (i / 2) + 2 * j + i % 2] * (act[b].bsums[2 * i] + act[b].bsums[2 * i + 1]);
                }
                f16_bits d, dmin;
                std::memcpy(&d, blk + d_at + 2 * j, 2);
                std::memcpy(&dmin, blk + dmin_at + 2 * j, 2);
                acc = std::fma(static_cast<float>(isum), fp16_to_fp32(d) * act[b].d, acc);
                accm = std::fma(static_cast<float>(msum), fp16_to_fp32(dmin) * act[b].d, accm);
            }
            y[j] = acc - accm;
        }
    }
};

}  // namespace cpu
HEARTH_NAMESPACE_END
