#pragma once
// Floating-point helpers that make the scalar quantizers round exactly like ggml's reference C.
//
// Why this exists: GCC contracts `a*b + c` into one fused multiply-add by default (-ffp-contract=fast
// in GNU mode) whenever the target has FMA, across statements and after inlining. ggml-base, which
// holds the reference quantizers, is built for the baseline ISA and never fuses; numpy (llama.cpp's
// Python dequantizer) never fuses either. A fused product skips one rounding, which moves a value
// that sits on a rounding boundary to the other side: a different quant, a different fp16 scale, a
// different file. So every product that feeds an addition in a quantizer or dequantizer goes
// through `product()`, which rounds it to float first whatever the compiler flags are.
#include <hearth/config.hpp>
#include <cstdint>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace quant {

// GCC >= 12 has __builtin_assoc_barrier, which no contraction crosses. Clang's default
// (-ffp-contract=on) fuses only within one source expression, so a function boundary is enough
// there; MSVC does not contract by default. This is the one compiler edge of the quant code.
#if defined(__has_builtin)
#if __has_builtin(__builtin_assoc_barrier)
#define HEARTH_QUANT_ROUNDED(v) __builtin_assoc_barrier(v)
#endif
#endif
#ifndef HEARTH_QUANT_ROUNDED
#define HEARTH_QUANT_ROUNDED(v) (v)
#endif

// v (typically a product) as a float that a following + or - cannot be fused with.
inline float rounded(float v) noexcept { return HEARTH_QUANT_ROUNDED(v); }
#undef HEARTH_QUANT_ROUNDED

// a*b rounded to float before any addition uses it.
inline float product(float a, float b) noexcept { return rounded(a * b); }

// Round to nearest, ties to even, for |v| < 2^22: ggml's nearest_int. Adding 1.5 * 2^23 puts the
// integer part in the low mantissa bits, so float addition does the rounding. The argument is
// usually a product: `rounded` keeps it from being fused into that addition.
inline int nearest_int(float v) noexcept {
    const float biased = rounded(v) + 12582912.f;
    std::int32_t bits;
    std::memcpy(&bits, &biased, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

}  // namespace quant
HEARTH_NAMESPACE_END
