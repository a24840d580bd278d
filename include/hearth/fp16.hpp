#pragma once
// IEEE half and bfloat16 <-> float conversions, bit-exact with ggml (round to nearest even).
#include <hearth/config.hpp>
#include <bit>
#include <cstdint>
#include <cstring>

HEARTH_NAMESPACE_BEGIN

using f16_bits = std::uint16_t;   // raw IEEE binary16 as stored in files
using bf16_bits = std::uint16_t;  // raw bfloat16 as stored in files

inline float fp16_to_fp32(f16_bits h) noexcept {
    // Exact expansion: the exponent is re-biased, subnormals normalised via a float multiply.
    const std::uint32_t w = static_cast<std::uint32_t>(h) << 16;
    const std::uint32_t sign = w & 0x80000000u;
    const std::uint32_t two_w = w + w;
    const std::uint32_t exp_offset = 0xE0u << 23;
    const float exp_scale = std::bit_cast<float>(0x7800000u);
    const float normalized = std::bit_cast<float>((two_w >> 4) + exp_offset) * exp_scale;
    const std::uint32_t magic_mask = 126u << 23;
    const float magic_bias = 0.5f;
    const float denormalized = std::bit_cast<float>((two_w >> 17) | magic_mask) - magic_bias;
    const std::uint32_t denormalized_cutoff = 1u << 27;
    const std::uint32_t result =
        sign | (two_w < denormalized_cutoff ? std::bit_cast<std::uint32_t>(denormalized)
                                            : std::bit_cast<std::uint32_t>(normalized));
    return std::bit_cast<float>(result);
}

inline f16_bits fp32_to_fp16(float f) noexcept {
    // Round-to-nearest-even through float arithmetic (the same result as F16C's vcvtps2ph).
    const float scale_to_inf = std::bit_cast<float>(0x77800000u);
    const float scale_to_zero = std::bit_cast<float>(0x08800000u);
    float base = ((f < 0 ? -f : f) * scale_to_inf) * scale_to_zero;
    const std::uint32_t w = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t shl1_w = w + w;
    const std::uint32_t sign = w & 0x80000000u;
    std::uint32_t bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = std::bit_cast<float>((bias >> 1) + 0x07800000u) + base;
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(base);
    const std::uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
    const std::uint32_t mantissa_bits = bits & 0x00000FFFu;
    const std::uint32_t nonsign = exp_bits + mantissa_bits;
    return static_cast<f16_bits>((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

inline float bf16_to_fp32(bf16_bits h) noexcept {
    return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
}

inline bf16_bits fp32_to_bf16(float f) noexcept {
    std::uint32_t u = std::bit_cast<std::uint32_t>(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<bf16_bits>((u >> 16) | 64);  // quiet NaN
    return static_cast<bf16_bits>((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

HEARTH_NAMESPACE_END
