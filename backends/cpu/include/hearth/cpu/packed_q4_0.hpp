#pragma once
// q4_0 weights repacked by the CPU backend at load (weight_layout::q4_0x8): groups of 8 rows,
// interleaved block by block, so that the x86 decode GEMV reads 8 rows with each load.
//
// Why: from the GGUF rows, a q4_0 GEMV spends most of its instructions putting rows together
// (two rows' 16-byte blocks inserted into one register, per-row scales gathered from 18-byte
// strides and spread over lanes, partial sums folded), and on one core it was bound by those
// instructions, not by memory: 22-26 GB/s in L2. Here one 32-byte load holds 4 nibble bytes of
// each of 8 rows: masked and shifted, they are two vpdpbusd's operands against 4 broadcast
// activation bytes, and a block's 8 row sums land one per lane with its scales in one 16-byte
// load. Standalone, one thread, Zen 4 (2048-element rows): in L2 25 -> 45 GB/s, from DRAM
// 22 -> 28-30 GB/s, which is the core's read bandwidth.
//
// Group g (rows 8g .. 8g + 7) of a matrix of nb blocks per row starts at g * nb * 144 bytes, and
// holds its nb blocks of 144 bytes in order, each:
//   qs: 4 chunks of 32 bytes; chunk c holds in bytes 4j .. 4j + 3 row j's qs bytes 4c .. 4c + 3
//       (low nibbles: elements 4c .. 4c + 3; high nibbles: elements 16 + 4c .. 16 + 4c + 3)
//   d:  the 8 rows' f16 scales
// One forward stream: with the scales in a run of their own after each group's nibbles, the same
// GEMV read 12 GB/s from DRAM instead of 28.
// The same 18 bytes per row and block as the file: the copy is the file's size, and the backend
// drops the file's pages from the process once copied, so a repacked model's resident memory
// stays that of the file. The float order of the GEMV over it is the interleaved GEMM tiles'
// (q4_0x8, q4_0x16: per row and block, one FMA of d_w d_a times the block's exact integer dot),
// so a token's outputs do not depend on the batch it came in.
#include <hearth/config.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

struct q4_0x8_packing {
    using file_block = quant::block_q4_0;
    static constexpr std::size_t rows = 8;
    static constexpr std::size_t chunk_bytes = 32;                  // 4 bytes of each of 8 rows
    static constexpr std::size_t qs_bytes = 4 * chunk_bytes;        // one block of 8 rows
    static constexpr std::size_t d_bytes = rows * sizeof(f16_bits);  // their scales
    static_assert(qs_bytes + d_bytes == rows * sizeof(quant::block_q4_0));

    static std::size_t group_bytes(std::size_t nb) noexcept { return nb * (qs_bytes + d_bytes); }
    static const std::byte* group(const std::byte* packed, std::size_t nb, std::size_t g) noexcept {
        return packed + g * group_bytes(nb);
    }
    // Block b of a group: its 128 nibble bytes, and its 8 scales.
    static constexpr std::size_t block_bytes = qs_bytes + d_bytes;
    static const std::uint8_t* qs(const std::byte* group, std::size_t b) noexcept {
        return reinterpret_cast<const std::uint8_t*>(group) + b * block_bytes;
    }
    static const f16_bits* d(const std::byte* group, std::size_t, std::size_t b) noexcept {
        return reinterpret_cast<const f16_bits*>(group + b * block_bytes + qs_bytes);
    }

    // Groups [g0, g1) of the file-layout matrix at w (rows ws bytes apart) into out (the packed
    // matrix's start).
    static void pack(const std::byte* w, std::size_t ws, std::size_t nb, std::size_t g0, std::size_t g1,
                     std::byte* out) noexcept {
        for (std::size_t g = g0; g < g1; ++g) {
            std::byte* grp = out + g * group_bytes(nb);
            for (std::size_t j = 0; j < rows; ++j) {
                const auto* row = reinterpret_cast<const quant::block_q4_0*>(w + (g * rows + j) * ws);
                for (std::size_t b = 0; b < nb; ++b) {
                    std::byte* blk = grp + b * block_bytes;
                    for (std::size_t c = 0; c < 4; ++c) std::memcpy(blk + c * chunk_bytes + 4 * j, row[b].qs + 4 * c, 4);
                    std::memcpy(blk + qs_bytes + j * sizeof(f16_bits), &row[b].d, sizeof(f16_bits));
                }
            }
        }
    }

    // Row r of a packed matrix back as its nb file blocks.
    static void unpack_row(const std::byte* packed, std::size_t nb, std::size_t r, quant::block_q4_0* out) noexcept {
        const std::byte* grp = group(packed, nb, r / rows);
        const std::size_t j = r % rows;
        for (std::size_t b = 0; b < nb; ++b) {
            for (std::size_t c = 0; c < 4; ++c) std::memcpy(out[b].qs + 4 * c, qs(grp, b) + c * chunk_bytes + 4 * j, 4);
            out[b].d = d(grp, nb, b)[j];
        }
    }

    // The scalar reference twin of the packed GEMV: y[j] for the 8 rows of one group against
    // one q8_0 activation row, in the SIMD kernels' float order.
    static void ref_gemv(const std::byte* grp, std::size_t nb, const quant::block_q8_0* act, float* y) noexcept {
        for (std::size_t j = 0; j < rows; ++j) {
            float acc = 0.0f;
            for (std::size_t b = 0; b < nb; ++b) {
                std::int32_t sum = 0;
                for (std::size_t c = 0; c < 4; ++c)
                    for (std::size_t i = 0; i < 4; ++i) {
                        const std::uint8_t q = qs(grp, b)[c * chunk_bytes + 4 * j + i];
                        sum += ((q & 0x0f) - 8) * act[b].qs[4 * c + i] + ((q >> 4) - 8) * act[b].qs[16 + 4 * c + i];
                    }
                const float scale = fp16_to_fp32(d(grp, nb, b)[j]) * fp16_to_fp32(act[b].d);
                acc = std::fma(static_cast<float>(sum), scale, acc);
            }
            y[j] = acc;
        }
    }
};

}  // namespace cpu
HEARTH_NAMESPACE_END
