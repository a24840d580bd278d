#pragma once
// Element-wise f32 ops: add, mul, scale, activations (SiLU, GELU), gated units, tanh soft-capping.
//
// Every op has one body: a SIMD loop over whole batches when Arch has float SIMD, then the scalar
// loop, which handles the tail and is the whole kernel for the scalar reference tag.
// In-place use (y == a or y == x) is allowed everywhere: each element is read before it is written.
#include <hearth/cpu/simd.hpp>
#include <cmath>
#include <cstddef>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

namespace detail {
// GELU, tanh approximation, the form ggml uses: 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))).
inline constexpr float gelu_coef_a = 0.044715f;
inline constexpr float sqrt_2_over_pi = 0.79788456080286535587989211986876f;

inline float silu_scalar(float x) noexcept { return x / (1.0f + std::exp(-x)); }
inline float gelu_scalar(float x) noexcept {
    return 0.5f * x * (1.0f + std::tanh(sqrt_2_over_pi * x * (1.0f + gelu_coef_a * x * x)));
}
template <class B> B silu_batch(const B& x) { return x / (B(1.0f) + xsimd::exp(-x)); }
template <class B> B gelu_batch(const B& x) {
    const B inner = B(sqrt_2_over_pi) * x * xsimd::fma(B(gelu_coef_a), x * x, B(1.0f));
    return B(0.5f) * x * (B(1.0f) + xsimd::tanh(inner));
}

// Applies a binary functor lane-wise: f(batch, batch) for the SIMD part, f(float, float) for the rest.
template <class Arch, class F>
inline void binary_map(const float* a, const float* b, float* y, std::size_t n, F f) {
    std::size_t i = 0;
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        for (; i + B::size <= n; i += B::size)
            f(B::load_unaligned(a + i), B::load_unaligned(b + i)).store_unaligned(y + i);
    }
    for (; i < n; ++i) y[i] = f(a[i], b[i]);
}
template <class Arch, class F>
inline void unary_map(const float* x, float* y, std::size_t n, F f) {
    std::size_t i = 0;
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        for (; i + B::size <= n; i += B::size) f(B::load_unaligned(x + i)).store_unaligned(y + i);
    }
    for (; i < n; ++i) y[i] = f(x[i]);
}
}  // namespace detail

template <class Arch> void add(const float* a, const float* b, float* y, std::size_t n) {
    detail::binary_map<Arch>(a, b, y, n, [](auto p, auto q) { return p + q; });
}

template <class Arch> void mul(const float* a, const float* b, float* y, std::size_t n) {
    detail::binary_map<Arch>(a, b, y, n, [](auto p, auto q) { return p * q; });
}

template <class Arch> void scale(float* x, float s, std::size_t n) {
    detail::unary_map<Arch>(x, x, n, [s](auto p) { return p * decltype(p)(s); });
}

// y += s * x (residual streams, weighted sums of value rows).
template <class Arch> void axpy(float s, const float* x, float* y, std::size_t n) {
    detail::binary_map<Arch>(x, y, y, n, [s](auto p, auto q) { return p * decltype(p)(s) + q; });
}

template <class Arch> void silu(const float* x, float* y, std::size_t n) {
    detail::unary_map<Arch>(x, y, n, [](auto p) {
        if constexpr (std::is_same_v<decltype(p), float>) return detail::silu_scalar(p);
        else return detail::silu_batch(p);
    });
}

template <class Arch> void gelu(const float* x, float* y, std::size_t n) {
    detail::unary_map<Arch>(x, y, n, [](auto p) {
        if constexpr (std::is_same_v<decltype(p), float>) return detail::gelu_scalar(p);
        else return detail::gelu_batch(p);
    });
}

// silu(gate) * up: the FFN of LLaMA-family models.
template <class Arch> void swiglu(const float* gate, const float* up, float* y, std::size_t n) {
    detail::binary_map<Arch>(gate, up, y, n, [](auto g, auto u) {
        if constexpr (std::is_same_v<decltype(g), float>) return detail::silu_scalar(g) * u;
        else return detail::silu_batch(g) * u;
    });
}

// gelu(gate) * up: the FFN of Gemma.
template <class Arch> void geglu(const float* gate, const float* up, float* y, std::size_t n) {
    detail::binary_map<Arch>(gate, up, y, n, [](auto g, auto u) {
        if constexpr (std::is_same_v<decltype(g), float>) return detail::gelu_scalar(g) * u;
        else return detail::gelu_batch(g) * u;
    });
}

// x = cap * tanh(x / cap): Gemma-2's logit soft-capping (final logits and attention scores).
template <class Arch> void softcap(float* x, float cap, std::size_t n) {
    const float inv = 1.0f / cap;
    detail::unary_map<Arch>(x, x, n, [cap, inv](auto p) {
        if constexpr (std::is_same_v<decltype(p), float>) return cap * std::tanh(p * inv);
        else return decltype(p)(cap) * xsimd::tanh(p * decltype(p)(inv));
    });
}

}  // namespace cpu
HEARTH_NAMESPACE_END
