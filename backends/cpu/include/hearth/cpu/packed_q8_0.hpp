#pragma once
// q8_0 weights repacked by the CPU backend (weight_layout::q8_0x8): groups of 8 rows interleaved
// block by block, as packed_q4_0.hpp does for q4_0, for the x86 kernels with VNNI.
//
// Why: from the GGUF rows, the q8_0 GEMV (avx2_q8_0x16.hpp's per-row tile) spends per row and
// block a vpsignb, a dot, a horizontal fold with the other rows and a scale gathered from a
// 34-byte stride: 26-28 GB/s in L2 on one Zen 4 core, below the core's 29-30 GB/s read bandwidth,
// so one-thread decode of a Q8_0 model was bound by instructions. Here one 32-byte load holds 4
// bytes of each of 8 rows, one vpdpbusd against 4 broadcast activation bytes adds them into the
// 8 rows' lanes, and the block's 8 scales come in one 16-byte load.
//
// Group g (rows 8g .. 8g + 7) of a matrix of nb blocks per row starts at g * nb * 272 bytes and
// holds its nb blocks of 272 bytes in order, each:
//   qs: 8 chunks of 32 bytes; chunk c holds in bytes 4j .. 4j + 3 row j's qs bytes 4c .. 4c + 3,
//       each plus 128 (as an unsigned byte: vpdpbusd's unsigned operand, so no vpsignb and no
//       -128 exception; the activation's sum times -128 corrects the dot, once per block)
//   d:  the 8 rows' f16 scales
// The same 34 bytes per row and block as the file. The float order of the GEMV over it is the
// file-layout kernels' (per row and block, one FMA of d_w d_a times the block's exact integer
// dot), so the copy changes no bits.
#include <hearth/config.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

struct q8_0x8_packing {
    using file_block = quant::block_q8_0;
    static constexpr std::size_t rows = 8;
    static constexpr std::size_t chunk_bytes = 32;                  // 4 bytes of each of 8 rows
    static constexpr std::size_t chunks = 8;
    static constexpr std::size_t qs_bytes = chunks * chunk_bytes;   // one block of 8 rows
    static constexpr std::size_t d_bytes = rows * sizeof(f16_bits);  // their scales
    static constexpr std::size_t block_bytes = qs_bytes + d_bytes;
    static_assert(block_bytes == rows * sizeof(quant::block_q8_0));
    static constexpr std::uint8_t bias = 128;  // stored byte = q + bias

    static std::size_t group_bytes(std::size_t nb) noexcept { return nb * block_bytes; }
    static const std::byte* group(const std::byte* packed, std::size_t nb, std::size_t g) noexcept {
        return packed + g * group_bytes(nb);
    }
    static const std::uint8_t* qs(const std::byte* group, std::size_t b) noexcept {
        return reinterpret_cast<const std::uint8_t*>(group) + b * block_bytes;
    }
    static const f16_bits* d(const std::byte* group, std::size_t b) noexcept {
        return reinterpret_cast<const f16_bits*>(group + b * block_bytes + qs_bytes);
    }

    // Groups [g0, g1) of the file-layout matrix at w (rows ws bytes apart) into out (the packed
    // matrix's start).
    static void pack(const std::byte* w, std::size_t ws, std::size_t nb, std::size_t g0, std::size_t g1,
                     std::byte* out) noexcept {
        for (std::size_t g = g0; g < g1; ++g) {
            std::byte* grp = out + g * group_bytes(nb);
            for (std::size_t j = 0; j < rows; ++j) {
                const auto* row = reinterpret_cast<const quant::block_q8_0*>(w + (g * rows + j) * ws);
                for (std::size_t b = 0; b < nb; ++b) {
                    auto* blk = reinterpret_cast<std::uint8_t*>(grp + b * block_bytes);
                    for (std::size_t c = 0; c < chunks; ++c)
                        for (std::size_t i = 0; i < 4; ++i)
                            blk[c * chunk_bytes + 4 * j + i] = static_cast<std::uint8_t>(row[b].qs[4 * c + i] + bias);
                    std::memcpy(blk + qs_bytes + j * sizeof(f16_bits), &row[b].d, sizeof(f16_bits));
                }
            }
        }
    }

    // Row r of a packed matrix back as its nb file blocks.
    static void unpack_row(const std::byte* packed, std::size_t nb, std::size_t r, quant::block_q8_0* out) noexcept {
        const std::byte* grp = group(packed, nb, r / rows);
        const std::size_t j = r % rows;
        for (std::size_t b = 0; b < nb; ++b) {
            for (std::size_t c = 0; c < chunks; ++c)
                for (std::size_t i = 0; i < 4; ++i)
                    out[b].qs[4 * c + i] = static_cast<std::int8_t>(qs(grp, b)[c * chunk_bytes + 4 * j + i] - bias);
            out[b].d = d(grp, b)[j];
        }
    }

    // The scalar reference twin of the packed GEMV: y[j] for the 8 rows of one group against
    // one q8_0 activation row, in the SIMD kernels' float order.
    static void ref_gemv(const std::byte* grp, std::size_t nb, const quant::block_q8_0* act, float* y) noexcept {
        for (std::size_t j = 0; j < rows; ++j) {
            float acc = 0.0f;
            for (std::size_t b = 0; b < nb; ++b) {
                std::int32_t sum = 0;
                for (std::size_t c = 0; c < chunks; ++c)
                    for (std::size_t i = 0; i < 4; ++i)
                        sum += (qs(grp, b)[c * chunk_bytes + 4 * j + i] - bias) * act[b].qs[4 * c + i];
                const float scale = fp16_to_fp32(d(grp, b)[j]) * fp16_to_fp32(act[b].d);
                acc = std::fma(static_cast<float>(sum), scale, acc);
            }
            y[j] = acc;
        }
    }
};

}  // namespace cpu
HEARTH_NAMESPACE_END
