#pragma once
// Scalar quantize / dequantize of the 32-element formats q4_0, q4_1, q5_0, q5_1, q8_0, q8_1.
// The quantizers are ggml's reference quantizers (quantize_row_*_ref), operation for operation, so
// their bytes equal what llama.cpp writes; the dequantizers do ggml's float math in ggml's order.
// Typed functions take a count of BLOCKS (row-level functions in row.hpp take elements).
#include <hearth/config.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <hearth/quant/float_order.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

HEARTH_NAMESPACE_BEGIN
namespace quant {

// The 5th bits of the q5 formats: a 32-bit little-endian mask stored as 4 bytes.
inline std::uint32_t load_qh(const std::uint8_t (&qh)[4]) noexcept {
    return static_cast<std::uint32_t>(qh[0]) | static_cast<std::uint32_t>(qh[1]) << 8 |
           static_cast<std::uint32_t>(qh[2]) << 16 | static_cast<std::uint32_t>(qh[3]) << 24;
}
inline void store_qh(std::uint8_t (&qh)[4], std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i) qh[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

namespace detail {
// The value of largest magnitude (with its sign); the first one wins a tie, as in ggml.
inline float signed_absmax(const float* x, std::size_t n) noexcept {
    float amax = 0.0f, max = 0.0f;
    for (std::size_t j = 0; j < n; ++j)
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    return max;
}

// (int)v of the reference quantizers for the levels [0, hi], and defined for every input: a
// non-finite value (a model whose weights or activations overflowed) would make the plain cast
// undefined behaviour. NaN gives 0 and out-of-range values the nearest end; the block's scale is
// then NaN or inf as well, so the level itself carries no information.
inline int truncate_level(float v, int hi) noexcept {
    return v >= 0.0f ? (v < static_cast<float>(hi) ? static_cast<int>(v) : hi) : 0;
}
inline void min_max(const float* x, std::size_t n, float& min, float& max) noexcept {
    min = std::numeric_limits<float>::max();
    max = -std::numeric_limits<float>::max();
    for (std::size_t j = 0; j < n; ++j) {
        if (x[j] < min) min = x[j];
        if (x[j] > max) max = x[j];
    }
}
}  // namespace detail

// ---- q4_0 --------------------------------------------------------------------------------
inline void quantize(const float* x, block_q4_0* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk4_0;
    for (std::size_t i = 0; i < nblocks; ++i, x += qk) {
        // The signed extreme maps to -8, so the full range [-8, 7] is used on the other side.
        const float d = detail::signed_absmax(x, qk) / -8;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (std::size_t j = 0; j < qk / 2; ++j) {
            const int q0 = detail::truncate_level(product(x[j], id) + 8.5f, 15);
            const int q1 = detail::truncate_level(product(x[qk / 2 + j], id) + 8.5f, 15);
            y[i].qs[j] = static_cast<std::uint8_t>(q0 | q1 << 4);
        }
    }
}
inline void dequantize(const block_q4_0* x, float* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk4_0;
    for (std::size_t i = 0; i < nblocks; ++i, y += qk) {
        const float d = fp16_to_fp32(x[i].d);
        for (std::size_t j = 0; j < qk / 2; ++j) {
            y[j] = static_cast<float>((x[i].qs[j] & 0x0F) - 8) * d;
            y[j + qk / 2] = static_cast<float>((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

// ---- q4_1 --------------------------------------------------------------------------------
inline void quantize(const float* x, block_q4_1* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk4_1;
    for (std::size_t i = 0; i < nblocks; ++i, x += qk) {
        float min, max;
        detail::min_max(x, qk, min, max);
        const float d = (max - min) / 15;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        y[i].m = fp32_to_fp16(min);
        for (std::size_t j = 0; j < qk / 2; ++j) {
            const int q0 = detail::truncate_level(product(x[j] - min, id) + 0.5f, 15);
            const int q1 = detail::truncate_level(product(x[qk / 2 + j] - min, id) + 0.5f, 15);
            y[i].qs[j] = static_cast<std::uint8_t>(q0 | q1 << 4);
        }
    }
}
inline void dequantize(const block_q4_1* x, float* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk4_1;
    for (std::size_t i = 0; i < nblocks; ++i, y += qk) {
        const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
        for (std::size_t j = 0; j < qk / 2; ++j) {
            y[j] = product(static_cast<float>(x[i].qs[j] & 0x0F), d) + m;
            y[j + qk / 2] = product(static_cast<float>(x[i].qs[j] >> 4), d) + m;
        }
    }
}

// ---- q5_0 --------------------------------------------------------------------------------
inline void quantize(const float* x, block_q5_0* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk5_0;
    for (std::size_t i = 0; i < nblocks; ++i, x += qk) {
        const float d = detail::signed_absmax(x, qk) / -16;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        std::uint32_t qh = 0;
        for (std::size_t j = 0; j < qk / 2; ++j) {
            const int q0 = detail::truncate_level(product(x[j], id) + 16.5f, 31);
            const int q1 = detail::truncate_level(product(x[qk / 2 + j], id) + 16.5f, 31);
            y[i].qs[j] = static_cast<std::uint8_t>((q0 & 0x0F) | (q1 & 0x0F) << 4);
            qh |= static_cast<std::uint32_t>((q0 & 0x10) >> 4) << j;
            qh |= static_cast<std::uint32_t>((q1 & 0x10) >> 4) << (j + qk / 2);
        }
        store_qh(y[i].qh, qh);
    }
}
inline void dequantize(const block_q5_0* x, float* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk5_0;
    for (std::size_t i = 0; i < nblocks; ++i, y += qk) {
        const float d = fp16_to_fp32(x[i].d);
        const std::uint32_t qh = load_qh(x[i].qh);
        for (std::size_t j = 0; j < qk / 2; ++j) {
            const int h0 = static_cast<int>((qh >> j) << 4 & 0x10);
            const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
            y[j] = static_cast<float>(((x[i].qs[j] & 0x0F) | h0) - 16) * d;
            y[j + qk / 2] = static_cast<float>(((x[i].qs[j] >> 4) | h1) - 16) * d;
        }
    }
}

// ---- q5_1 --------------------------------------------------------------------------------
inline void quantize(const float* x, block_q5_1* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk5_1;
    for (std::size_t i = 0; i < nblocks; ++i, x += qk) {
        float min, max;
        detail::min_max(x, qk, min, max);
        const float d = (max - min) / 31;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        y[i].m = fp32_to_fp16(min);
        std::uint32_t qh = 0;
        for (std::size_t j = 0; j < qk / 2; ++j) {
            // ggml converts straight to uint8 here (no clamp): (x-min)*id never exceeds 31.5.
            const int q0 = static_cast<std::uint8_t>(product(x[j] - min, id) + 0.5f);
            const int q1 = static_cast<std::uint8_t>(product(x[qk / 2 + j] - min, id) + 0.5f);
            y[i].qs[j] = static_cast<std::uint8_t>((q0 & 0x0F) | (q1 & 0x0F) << 4);
            qh |= static_cast<std::uint32_t>((q0 & 0x10) >> 4) << j;
            qh |= static_cast<std::uint32_t>((q1 & 0x10) >> 4) << (j + qk / 2);
        }
        store_qh(y[i].qh, qh);
    }
}
inline void dequantize(const block_q5_1* x, float* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk5_1;
    for (std::size_t i = 0; i < nblocks; ++i, y += qk) {
        const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
        const std::uint32_t qh = load_qh(x[i].qh);
        for (std::size_t j = 0; j < qk / 2; ++j) {
            const int h0 = static_cast<int>((qh >> j) << 4 & 0x10);
            const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
            y[j] = product(static_cast<float>((x[i].qs[j] & 0x0F) | h0), d) + m;
            y[j + qk / 2] = product(static_cast<float>((x[i].qs[j] >> 4) | h1), d) + m;
        }
    }
}

// ---- q8_0 --------------------------------------------------------------------------------
// How an activation row is scaled and rounded into q8_0/q8_1. ggml has three conventions and a
// llama.cpp build uses the one of the instruction set it was compiled for:
//   reference: id = 1/d with d = amax/127, halves rounded away from zero (quantize_row_q8_0_ref,
//              the generic C build; also what llama-quantize writes for q8_0 weights);
//   x86:       id = 127/amax, halves rounded to even (the AVX/AVX2/AVX-512 quantize_row_q8_0);
//   arm:       id = 1/d, halves rounded to even (the NEON quantize_row_q8_0, vcvtnq).
// They disagree on about one value in 10^5 (1/d and 127/amax differ in the last bit; ties are
// rare). That is enough to move a model with a 4-bit K cache by a percent of perplexity: each
// flipped level changes a key score by a 4-bit step and the change cascades through the layers.
// So each hearth CPU arch quantizes its activations the way llama.cpp does on that instruction set.
enum class q8_rounding { reference, x86, arm };

namespace detail {
inline float absmax(const float* x, std::size_t n) noexcept {
    float amax = 0.0f;
    for (std::size_t j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
    return amax;
}
// roundf: halves away from zero. |v| <= 127 by construction of the scale for finite inputs; NaN
// gives 0 and infinities the ends (see truncate_level: the cast alone would be undefined).
inline std::int8_t round_to_i8(float v) noexcept {
    if (!(std::fabs(v) <= 127.0f)) return static_cast<std::int8_t>(v > 0.0f ? 127 : v < 0.0f ? -127 : 0);
    return static_cast<std::int8_t>(std::round(v));
}
// Halves to even, independent of the floating-point environment (v - trunc(v) is exact).
inline std::int8_t round_to_i8_even(float v) noexcept {
    if (!(std::fabs(v) <= 127.0f)) return round_to_i8(v);
    const float t = std::trunc(v);
    float r = std::round(v);
    if (std::fabs(v - t) == 0.5f && std::fmod(r, 2.0f) != 0.0f) r = t;  // a tie: the even neighbour
    return static_cast<std::int8_t>(r);
}
// The multiplier of a block with largest magnitude amax, and the level of v under convention r.
inline float q8_inverse_scale(float amax, q8_rounding r) noexcept {
    if (r == q8_rounding::x86) return amax != 0.0f ? 127.0f / amax : 0.0f;
    const float d = amax / 127;
    return d != 0.0f ? 1.0f / d : 0.0f;
}
inline std::int8_t q8_level(float v, q8_rounding r) noexcept {
    return r == q8_rounding::reference ? round_to_i8(v) : round_to_i8_even(v);
}
}  // namespace detail

inline void quantize(const float* x, block_q8_0* y, std::size_t nblocks,
                     q8_rounding r = q8_rounding::reference) noexcept {
    constexpr std::size_t qk = qk8_0;
    for (std::size_t i = 0; i < nblocks; ++i, x += qk) {
        const float amax = detail::absmax(x, qk);
        const float id = detail::q8_inverse_scale(amax, r);
        y[i].d = fp32_to_fp16(amax / 127);
        for (std::size_t j = 0; j < qk; ++j) y[i].qs[j] = detail::q8_level(x[j] * id, r);
    }
}
inline void dequantize(const block_q8_0* x, float* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk8_0;
    for (std::size_t i = 0; i < nblocks; ++i, y += qk) {
        const float d = fp16_to_fp32(x[i].d);
        for (std::size_t j = 0; j < qk; ++j) y[j] = static_cast<float>(x[i].qs[j]) * d;
    }
}

// ---- q8_1 --------------------------------------------------------------------------------
inline void quantize(const float* x, block_q8_1* y, std::size_t nblocks,
                     q8_rounding r = q8_rounding::reference) noexcept {
    constexpr std::size_t qk = qk8_1;
    for (std::size_t i = 0; i < nblocks; ++i, x += qk) {
        const float amax = detail::absmax(x, qk);
        const float d = amax / 127;
        const float id = detail::q8_inverse_scale(amax, r);
        y[i].d = fp32_to_fp16(d);
        int sum = 0;
        for (std::size_t j = 0; j < qk; ++j) {
            y[i].qs[j] = detail::q8_level(x[j] * id, r);
            sum += y[i].qs[j];
        }
        // s uses the unrounded float d, as ggml does: the dot product's min term reads it.
        y[i].s = fp32_to_fp16(static_cast<float>(sum) * d);
    }
}
// ggml has no q8_1 dequantizer (it is an activation format); this one is d * q, like q8_0.
inline void dequantize(const block_q8_1* x, float* y, std::size_t nblocks) noexcept {
    constexpr std::size_t qk = qk8_1;
    for (std::size_t i = 0; i < nblocks; ++i, y += qk) {
        const float d = fp16_to_fp32(x[i].d);
        for (std::size_t j = 0; j < qk; ++j) y[j] = static_cast<float>(x[i].qs[j]) * d;
    }
}

}  // namespace quant
HEARTH_NAMESPACE_END
