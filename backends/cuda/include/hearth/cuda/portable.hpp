#pragma once
// The one edge of the CUDA backend where host and device code differ. Everything numeric in this
// backend (quant unit decoding, dot products, quantizers, rope angles) is written once as
// `HEARTH_CUDA_HD` functions: nvcc compiles them for the GPU inside the kernels, g++ compiles the
// very same functions into the host reference twins that the tests compare against the CPU
// backend on machines without a GPU. The primitives below are the only places where the two
// compilations take different paths, and each path computes the same bits:
//   - fp16/bf16 conversions: the hardware's round-to-nearest-even vs hearth's bit-exact software one;
//   - dp4a: the sm_61+ instruction vs a 4-product loop (exact integer arithmetic either way);
//   - fmul/fadd: products and sums that must not be fused into an FMA (ggml's reference C rounds
//     every product; nvcc and g++ -march=native would both contract a*b+c by default);
//   - unaligned little loads from GGUF blocks (2-byte aligned at best).
#include <hearth/config.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/float_order.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#define HEARTH_CUDA_HD __host__ __device__ __forceinline__
#else
#define HEARTH_CUDA_HD inline
#endif

HEARTH_NAMESPACE_BEGIN
namespace cuda {

HEARTH_CUDA_HD float half_to_float(std::uint16_t h) {
#if defined(__CUDA_ARCH__)
    return __half2float(__ushort_as_half(h));
#else
    return fp16_to_fp32(h);
#endif
}

HEARTH_CUDA_HD std::uint16_t float_to_half(float f) {
#if defined(__CUDA_ARCH__)
    return __half_as_ushort(__float2half_rn(f));
#else
    return fp32_to_fp16(f);
#endif
}

HEARTH_CUDA_HD float bits_to_float(std::uint32_t bits) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(bits);
#else
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
#endif
}

HEARTH_CUDA_HD std::uint32_t float_to_bits(float f) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(f);
#else
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    return bits;
#endif
}

HEARTH_CUDA_HD float bf16_to_float(std::uint16_t h) { return bits_to_float(static_cast<std::uint32_t>(h) << 16); }

HEARTH_CUDA_HD std::uint16_t float_to_bf16(float f) {
#if defined(__CUDA_ARCH__)
    return __bfloat16_as_ushort(__float2bfloat16_rn(f));
#else
    return fp32_to_bf16(f);
#endif
}

// a * b rounded to float, never fused with a following addition.
HEARTH_CUDA_HD float fmul(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fmul_rn(a, b);
#else
    return quant::product(a, b);
#endif
}

HEARTH_CUDA_HD float fadd(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fadd_rn(a, b);
#else
    return quant::rounded(a + b);
#endif
}

HEARTH_CUDA_HD float fsub(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fsub_rn(a, b);
#else
    return quant::rounded(a - b);
#endif
}

// IEEE division (nvcc's default is IEEE too; spelled out so -use_fast_math cannot change a quant).
HEARTH_CUDA_HD float fdiv(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fdiv_rn(a, b);
#else
    return quant::rounded(a / b);
#endif
}

// Round to nearest, ties to even (ggml's nearest_int), for |v| < 2^22.
HEARTH_CUDA_HD int round_even(float v) {
#if defined(__CUDA_ARCH__)
    return __float2int_rn(v);
#else
    return quant::nearest_int(v);
#endif
}

// Round half away from zero (C's roundf, what ggml's q8_0/q8_1 quantizers use).
HEARTH_CUDA_HD int round_away(float v) {
    return static_cast<int>(::roundf(v));
}

// Sum of the four signed byte products of a and b, plus c.
HEARTH_CUDA_HD int dp4a(int a, int b, int c) {
#if defined(__CUDA_ARCH__)
    return __dp4a(a, b, c);
#else
    for (int i = 0; i < 4; ++i)
        c += static_cast<int>(static_cast<std::int8_t>(static_cast<std::uint32_t>(a) >> (8 * i))) *
             static_cast<int>(static_cast<std::int8_t>(static_cast<std::uint32_t>(b) >> (8 * i)));
    return c;
#endif
}

// Little-endian loads from GGUF block bytes, which are only 2-byte aligned (18-, 22-, 34-, 210-byte
// blocks): two 16-bit loads on the device, memcpy on the host.
HEARTH_CUDA_HD std::uint16_t load_u16(const std::uint8_t* p) {
#if defined(__CUDA_ARCH__)
    return *reinterpret_cast<const std::uint16_t*>(p);
#else
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
#endif
}

HEARTH_CUDA_HD std::uint32_t load_u32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(load_u16(p)) | static_cast<std::uint32_t>(load_u16(p + 2)) << 16;
}

// 4-byte aligned loads (activation rows laid out by this backend, K-quant blocks of 144/176 bytes).
HEARTH_CUDA_HD std::uint32_t load_u32_aligned(const std::uint8_t* p) {
#if defined(__CUDA_ARCH__)
    return *reinterpret_cast<const std::uint32_t*>(p);
#else
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
#endif
}

// 16 bytes from a 16-byte aligned address (activation rows, q4_K nibbles): one vector load on the device.
HEARTH_CUDA_HD void load_u32x4_aligned(const std::uint8_t* p, std::uint32_t (&out)[4]) {
#if defined(__CUDA_ARCH__)
    const uint4 v = *reinterpret_cast<const uint4*>(p);
    out[0] = v.x, out[1] = v.y, out[2] = v.z, out[3] = v.w;
#else
    std::memcpy(out, p, 16);
#endif
}

HEARTH_CUDA_HD float load_f32(const std::uint8_t* p) { return bits_to_float(load_u32_aligned(p)); }

HEARTH_CUDA_HD void store_u16(std::uint8_t* p, std::uint16_t v) {
#if defined(__CUDA_ARCH__)
    *reinterpret_cast<std::uint16_t*>(p) = v;
#else
    std::memcpy(p, &v, 2);
#endif
}

HEARTH_CUDA_HD void store_u32_aligned(std::uint8_t* p, std::uint32_t v) {
#if defined(__CUDA_ARCH__)
    *reinterpret_cast<std::uint32_t*>(p) = v;
#else
    std::memcpy(p, &v, 4);
#endif
}

HEARTH_CUDA_HD void store_f32(std::uint8_t* p, float v) { store_u32_aligned(p, float_to_bits(v)); }

HEARTH_CUDA_HD float abs_f(float v) { return ::fabsf(v); }

}  // namespace cuda
HEARTH_NAMESPACE_END
