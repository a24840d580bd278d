#pragma once
// iq4_nl: 32 elements, one fp16 scale, 4-bit indices into a fixed non-linear table (kvalues_iq4nl).
// The quantizer is what llama.cpp writes for an iq4_nl tensor without an importance matrix
// (ggml's quantize_iq4_nl: weights x^2, a search over 15 trial scales, then the least-squares scale).
#include <hearth/config.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <hearth/quant/float_order.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace quant {

// Index of the table level nearest to v (n a power of two, table sorted ascending). v picks
// level j once it reaches the midpoint of levels j-1 and j; comparing 2v with their sum keeps
// both sides exact, so the choice has no rounding of its own.
inline int best_index_int8(int n, const std::int8_t* values, float v) noexcept {
    const float v2 = rounded(v) + rounded(v);
    int idx = 0;
    for (int step = n >> 1; step > 0; step >>= 1) {
        const int j = idx + step;
        if (v2 >= static_cast<float>(values[j - 1] + values[j])) idx = j;
    }
    return idx;
}

inline void quantize(const float* x, block_iq4_nl* y, std::size_t nblocks) noexcept {
    constexpr int qk = static_cast<int>(qk4_nl);
    constexpr int ntry = 7;
    const std::int8_t* values = kvalues_iq4nl.data();
    for (std::size_t i = 0; i < nblocks; ++i, x += qk) {
        float weight[qk];
        std::uint8_t L[qk] = {};
        y[i].d = fp32_to_fp16(0.0f);
        float amax = 0, max = 0;
        for (int j = 0; j < qk; ++j) {
            weight[j] = x[j] * x[j];
            if (std::fabs(x[j]) > amax) {
                amax = std::fabs(x[j]);
                max = x[j];
            }
        }
        float d = 0.0f;
        if (amax >= 1e-15f) {  // ggml's GROUP_MAX_EPS: an all-zero block keeps d = 0
            d = -max / values[0];
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < qk; ++j) {
                const int l = best_index_int8(16, values, id * x[j]);
                L[j] = static_cast<std::uint8_t>(l);
                const float q = values[l];
                sumqx += product(weight[j] * q, x[j]);
                sumq2 += product(weight[j] * q, q);
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; ++itry) {
                id = static_cast<float>(itry + values[0]) / max;
                sumqx = sumq2 = 0;
                for (int j = 0; j < qk; ++j) {
                    const float q = values[best_index_int8(16, values, id * x[j])];
                    sumqx += product(weight[j] * q, x[j]);
                    sumq2 += product(weight[j] * q, q);
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
        }
        // One block per super-block: the scale is stored directly and the indices recomputed from
        // it (with d = 0 every index becomes 8, the level nearest zero, as in ggml).
        y[i].d = fp32_to_fp16(d);
        const float id = d != 0.0f ? 1 / d : 0.0f;
        for (int j = 0; j < qk; ++j) L[j] = static_cast<std::uint8_t>(best_index_int8(16, values, id * x[j]));
        for (int j = 0; j < qk / 2; ++j) y[i].qs[j] = static_cast<std::uint8_t>(L[j] | L[j + qk / 2] << 4);
    }
}

inline void dequantize(const block_iq4_nl* x, float* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk4_nl;
    for (std::size_t i = 0; i < nblocks; ++i, y += qk) {
        const float d = fp16_to_fp32(x[i].d);
        for (std::size_t j = 0; j < qk / 2; ++j) {
            y[j] = d * static_cast<float>(kvalues_iq4nl[x[i].qs[j] & 0x0F]);
            y[j + qk / 2] = d * static_cast<float>(kvalues_iq4nl[x[i].qs[j] >> 4]);
        }
    }
}

}  // namespace quant
HEARTH_NAMESPACE_END
