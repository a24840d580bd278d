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

// The barrier is an empty asm that claims to modify v: the optimizer can neither see through it
// (no FMA forms across it) nor vectorize the loop around it, and the register round trip costs a
// cycle or two. (GCC's __builtin_assoc_barrier is not enough: GCC 12 drops it when it vectorizes a
// loop and fuses anyway.) MSVC does not contract by default. This is the one compiler edge here.
#if defined(__GNUC__)
inline float rounded(float v) noexcept {
    __asm__("" : "+r"(v));
    return v;
}
#else
inline float rounded(float v) noexcept { return v; }
#endif

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
