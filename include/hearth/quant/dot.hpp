#pragma once
// Scalar reference dot products of the 32-element weight formats with their activation format
// (q4_0, q5_0, q8_0, iq4_nl with q8_0; q4_1, q5_1 with q8_1). They compute what ggml's generic
// ggml_vec_dot_*_generic compute: per block an exact integer sum, then one float scaling and a
// float accumulation over blocks in block order. The SIMD kernels are tested against these.
// Typed functions take a count of BLOCKS.
#include <hearth/config.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <hearth/quant/legacy.hpp>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace quant {

inline float vec_dot_q4_0_q8_0(const block_q4_0* x, const block_q8_0* y, std::size_t nblocks) noexcept {
    float sumf = 0;
    for (std::size_t i = 0; i < nblocks; ++i) {
        int sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < 16; ++j) {
            sumi0 += ((x[i].qs[j] & 0x0F) - 8) * y[i].qs[j];
            sumi1 += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + 16];
        }
        sumf += static_cast<float>(sumi0 + sumi1) * fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d);
    }
    return sumf;
}

// The min term m * sum(a) uses q8_1's s = d_a * sum(q_a): one more rounding than the exact sum.
inline float vec_dot_q4_1_q8_1(const block_q4_1* x, const block_q8_1* y, std::size_t nblocks) noexcept {
    float sumf = 0;
    for (std::size_t i = 0; i < nblocks; ++i) {
        int sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < 16; ++j) {
            sumi0 += (x[i].qs[j] & 0x0F) * y[i].qs[j];
            sumi1 += (x[i].qs[j] >> 4) * y[i].qs[j + 16];
        }
        sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi0 + sumi1) +
                fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
    }
    return sumf;
}

inline float vec_dot_q5_0_q8_0(const block_q5_0* x, const block_q8_0* y, std::size_t nblocks) noexcept {
    float sumf = 0;
    for (std::size_t i = 0; i < nblocks; ++i) {
        const std::uint32_t qh = load_qh(x[i].qh);
        int sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < 16; ++j) {
            const int h0 = static_cast<int>((qh >> j) << 4 & 0x10);
            const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
            sumi0 += (((x[i].qs[j] & 0x0F) | h0) - 16) * y[i].qs[j];
            sumi1 += (((x[i].qs[j] >> 4) | h1) - 16) * y[i].qs[j + 16];
        }
        sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi0 + sumi1);
    }
    return sumf;
}

inline float vec_dot_q5_1_q8_1(const block_q5_1* x, const block_q8_1* y, std::size_t nblocks) noexcept {
    float sumf = 0;
    for (std::size_t i = 0; i < nblocks; ++i) {
        const std::uint32_t qh = load_qh(x[i].qh);
        int sumi0 = 0, sumi1 = 0;
        for (int j = 0; j < 16; ++j) {
            const int h0 = static_cast<int>((qh >> j) << 4 & 0x10);
            const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
            sumi0 += ((x[i].qs[j] & 0x0F) | h0) * y[i].qs[j];
            sumi1 += ((x[i].qs[j] >> 4) | h1) * y[i].qs[j + 16];
        }
        sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi0 + sumi1) +
                fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
    }
    return sumf;
}

inline float vec_dot_q8_0_q8_0(const block_q8_0* x, const block_q8_0* y, std::size_t nblocks) noexcept {
    float sumf = 0;
    for (std::size_t i = 0; i < nblocks; ++i) {
        int sumi = 0;
        for (int j = 0; j < 32; ++j) sumi += x[i].qs[j] * y[i].qs[j];
        sumf += static_cast<float>(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
    }
    return sumf;
}

inline float vec_dot_iq4_nl_q8_0(const block_iq4_nl* x, const block_q8_0* y, std::size_t nblocks) noexcept {
    float sumf = 0;
    for (std::size_t i = 0; i < nblocks; ++i) {
        const float d = fp16_to_fp32(y[i].d) * fp16_to_fp32(x[i].d);
        int sumi1 = 0, sumi2 = 0;
        for (int j = 0; j < 16; ++j) {
            sumi1 += y[i].qs[j] * kvalues_iq4nl[x[i].qs[j] & 0x0F];
            sumi2 += y[i].qs[j + 16] * kvalues_iq4nl[x[i].qs[j] >> 4];
        }
        sumf += d * static_cast<float>(sumi1 + sumi2);
    }
    return sumf;
}

}  // namespace quant
HEARTH_NAMESPACE_END
