#pragma once
// Row-level dispatch over dtype: dequantize_row, quantize_row, activation_type and vec_dot.
// n counts ELEMENTS and must be a whole number of blocks. These are the scalar references; the
// CPU backend's SIMD kernels call the typed functions or replace them and are tested against them.
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <hearth/quant/dot.hpp>
#include <hearth/quant/dot_kquants.hpp>
#include <hearth/quant/iq4_nl.hpp>
#include <hearth/quant/kquants.hpp>
#include <hearth/quant/legacy.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

HEARTH_NAMESPACE_BEGIN
namespace quant {

namespace detail {
// Number of blocks in n elements of t; throws unless n is a whole number of blocks.
inline std::size_t blocks_in_row(dtype t, std::size_t n, const char* what) {
    const auto& tr = traits(t);
    if (n % tr.block_elems != 0)
        throw error(errc::invalid_argument, std::string(what) + ": a " + std::string(tr.name) +
                                                " row must hold a multiple of " + std::to_string(tr.block_elems) +
                                                " elements, got " + std::to_string(n));
    return n / tr.block_elems;
}

// The typed functions read blocks through typed pointers; a misaligned pointer would be undefined
// behaviour (GGUF tensor data is aligned, so this only catches caller mistakes).
template <class T>
inline const T* as_blocks(const void* p, const char* what) {
    if (reinterpret_cast<std::uintptr_t>(p) % alignof(T) != 0)
        throw error(errc::invalid_argument, std::string(what) + ": data pointer is not aligned to " +
                                                std::to_string(alignof(T)) + " bytes");
    return static_cast<const T*>(p);
}
template <class T>
inline T* as_blocks(void* p, const char* what) {
    return const_cast<T*>(as_blocks<T>(static_cast<const void*>(p), what));
}

[[noreturn]] inline void unsupported(dtype t, const char* what) {
    const auto found = find_dtype(static_cast<std::uint32_t>(t));
    throw error(errc::unsupported, std::string(what) + ": dtype " +
                                       (found ? std::string(found->name)
                                              : "id " + std::to_string(static_cast<std::uint32_t>(t))) +
                                       " is not supported");
}

// Calls f(block_type_tag) for each block-quantized dtype; returns false for the others.
template <class F>
inline bool visit_block_type(dtype t, F&& f) {
    switch (t) {
    case dtype::q4_0: f(block_q4_0{}); return true;
    case dtype::q4_1: f(block_q4_1{}); return true;
    case dtype::q5_0: f(block_q5_0{}); return true;
    case dtype::q5_1: f(block_q5_1{}); return true;
    case dtype::q8_0: f(block_q8_0{}); return true;
    case dtype::q8_1: f(block_q8_1{}); return true;
    case dtype::iq4_nl: f(block_iq4_nl{}); return true;
    case dtype::q2_k: f(block_q2_k{}); return true;
    case dtype::q3_k: f(block_q3_k{}); return true;
    case dtype::q4_k: f(block_q4_k{}); return true;
    case dtype::q5_k: f(block_q5_k{}); return true;
    case dtype::q6_k: f(block_q6_k{}); return true;
    case dtype::q8_k: f(block_q8_k{}); return true;
    default: return false;
    }
}
}  // namespace detail

// Whether dequantize_row / quantize_row handle t: f32, f16, bf16 and every block format above.
inline bool can_quantize(dtype t) noexcept {
    return t == dtype::f32 || t == dtype::f16 || t == dtype::bf16 || detail::visit_block_type(t, [](auto) {});
}
inline bool can_dequantize(dtype t) noexcept { return can_quantize(t); }
// Whether vec_dot takes t as a weight type (q8_1 and q8_K are activation formats only).
inline bool can_vec_dot(dtype t) noexcept {
    return can_quantize(t) && t != dtype::q8_1 && t != dtype::q8_k;
}

// Decodes n elements of type t at src into floats (exactly ggml's / gguf-py's values).
inline void dequantize_row(dtype t, const void* src, float* dst, std::size_t n) {
    constexpr const char* what = "dequantize_row";
    if (!can_dequantize(t)) detail::unsupported(t, what);
    const std::size_t nb = detail::blocks_in_row(t, n, what);
    switch (t) {
    case dtype::f32: std::memcpy(dst, src, n * sizeof(float)); return;
    case dtype::f16: {
        const auto* h = detail::as_blocks<f16_bits>(src, what);
        for (std::size_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
        return;
    }
    case dtype::bf16: {
        const auto* h = detail::as_blocks<bf16_bits>(src, what);
        for (std::size_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
        return;
    }
    default: break;
    }
    const bool done = detail::visit_block_type(t, [&](auto tag) {
        using B = decltype(tag);
        dequantize(detail::as_blocks<B>(src, what), dst, nb);
    });
    if (!done) detail::unsupported(t, what);
}

// Encodes n floats as type t, byte for byte what llama.cpp's reference quantizers write
// (ggml_quantize_chunk without an importance matrix; q8_1/q8_K: quantize_row_q8_*_ref).
// `r` picks the q8_0/q8_1 rounding convention (see q8_rounding); other types ignore it.
inline void quantize_row(dtype t, const float* src, void* dst, std::size_t n,
                         q8_rounding r = q8_rounding::reference) {
    constexpr const char* what = "quantize_row";
    if (!can_quantize(t)) detail::unsupported(t, what);
    const std::size_t nb = detail::blocks_in_row(t, n, what);
    switch (t) {
    case dtype::f32: std::memcpy(dst, src, n * sizeof(float)); return;
    case dtype::f16: {
        auto* h = detail::as_blocks<f16_bits>(dst, what);
        for (std::size_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
        return;
    }
    case dtype::bf16: {
        auto* h = detail::as_blocks<bf16_bits>(dst, what);
        for (std::size_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(src[i]);
        return;
    }
    default: break;
    }
    const bool done = detail::visit_block_type(t, [&](auto tag) {
        using B = decltype(tag);
        if constexpr (std::is_same_v<B, block_q8_0> || std::is_same_v<B, block_q8_1>)
            quantize(src, detail::as_blocks<B>(dst, what), nb, r);
        else
            quantize(src, detail::as_blocks<B>(dst, what), nb);
    });
    if (!done) detail::unsupported(t, what);
}

// The format ggml quantizes activations to for a dot product with weights of type `weight`.
inline dtype activation_type(dtype weight) {
    switch (weight) {
    case dtype::f32: return dtype::f32;
    case dtype::f16: return dtype::f16;
    case dtype::bf16: return dtype::bf16;
    case dtype::q4_0:
    case dtype::q5_0:
    case dtype::q8_0:
    case dtype::iq4_nl: return dtype::q8_0;
    case dtype::q4_1:
    case dtype::q5_1: return dtype::q8_1;
    case dtype::q2_k:
    case dtype::q3_k:
    case dtype::q4_k:
    case dtype::q5_k:
    case dtype::q6_k: return dtype::q8_k;
    default: detail::unsupported(weight, "activation_type");
    }
}

namespace detail {
// ggml's scalar float dot products: each product rounded to float, summed in double.
template <class T, class Convert>
inline float dot_float_rows(const void* w, const void* a, std::size_t n, Convert convert, const char* what) {
    const T* x = as_blocks<T>(w, what);
    const T* y = as_blocks<T>(a, what);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(convert(x[i]) * convert(y[i]));
    return static_cast<float>(sum);
}
}  // namespace detail

// Dot product of one weight row with one activation row already in activation_type(weight).
inline float vec_dot(dtype weight, const void* w_row, const void* act_row, std::size_t n) {
    constexpr const char* what = "vec_dot";
    if (!can_vec_dot(weight)) detail::unsupported(weight, what);
    const std::size_t nb = detail::blocks_in_row(weight, n, what);
    using detail::as_blocks;
    switch (weight) {
    case dtype::f32: return detail::dot_float_rows<float>(w_row, act_row, n, [](float v) { return v; }, what);
    case dtype::f16: return detail::dot_float_rows<f16_bits>(w_row, act_row, n, fp16_to_fp32, what);
    case dtype::bf16: return detail::dot_float_rows<bf16_bits>(w_row, act_row, n, bf16_to_fp32, what);
    case dtype::q4_0:
        return vec_dot_q4_0_q8_0(as_blocks<block_q4_0>(w_row, what), as_blocks<block_q8_0>(act_row, what), nb);
    case dtype::q4_1:
        return vec_dot_q4_1_q8_1(as_blocks<block_q4_1>(w_row, what), as_blocks<block_q8_1>(act_row, what), nb);
    case dtype::q5_0:
        return vec_dot_q5_0_q8_0(as_blocks<block_q5_0>(w_row, what), as_blocks<block_q8_0>(act_row, what), nb);
    case dtype::q5_1:
        return vec_dot_q5_1_q8_1(as_blocks<block_q5_1>(w_row, what), as_blocks<block_q8_1>(act_row, what), nb);
    case dtype::q8_0:
        return vec_dot_q8_0_q8_0(as_blocks<block_q8_0>(w_row, what), as_blocks<block_q8_0>(act_row, what), nb);
    case dtype::iq4_nl:
        return vec_dot_iq4_nl_q8_0(as_blocks<block_iq4_nl>(w_row, what), as_blocks<block_q8_0>(act_row, what), nb);
    case dtype::q2_k:
        return vec_dot_q2_k_q8_k(as_blocks<block_q2_k>(w_row, what), as_blocks<block_q8_k>(act_row, what), nb);
    case dtype::q3_k:
        return vec_dot_q3_k_q8_k(as_blocks<block_q3_k>(w_row, what), as_blocks<block_q8_k>(act_row, what), nb);
    case dtype::q4_k:
        return vec_dot_q4_k_q8_k(as_blocks<block_q4_k>(w_row, what), as_blocks<block_q8_k>(act_row, what), nb);
    case dtype::q5_k:
        return vec_dot_q5_k_q8_k(as_blocks<block_q5_k>(w_row, what), as_blocks<block_q8_k>(act_row, what), nb);
    case dtype::q6_k:
        return vec_dot_q6_k_q8_k(as_blocks<block_q6_k>(w_row, what), as_blocks<block_q8_k>(act_row, what), nb);
    default: detail::unsupported(weight, what);
    }
}

}  // namespace quant
HEARTH_NAMESPACE_END
