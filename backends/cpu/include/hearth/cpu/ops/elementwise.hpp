#pragma once
// Element-wise f32 ops: add, mul, scale, activations (SiLU, GELU), gated units, tanh soft-capping.
//
// Every op has one body: a SIMD loop over whole batches when Arch has float SIMD, then the scalar
// loop, which handles the tail and is the whole kernel for the scalar reference tag.
// In-place use (y == a or y == x) is allowed everywhere: each element is read before it is written.
#include <hearth/cpu/simd.hpp>
#include <hearth/fp16.hpp>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

namespace detail {
// GELU, tanh approximation, the form ggml uses: 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))).
inline constexpr float gelu_coef_a = 0.044715f;
inline constexpr float sqrt_2_over_pi = 0.79788456080286535587989211986876f;

// exp(x) the way ggml's vectorised SiLU computes it on AVX2 and NEON (the expf of Arm's
// optimized-routines, at most ~2 ulp from the true value): n = x/ln2 rounded by the 1.5*2^23
// shift, b = x - n ln2 with ln2 in two parts, exp(b) - 1 by a degree-5 polynomial j, and
// 2^n * (1 + j) from the exponent bits. |n| > 126 scales by two factors so the exponent cannot
// overflow; |n| > 192 saturates to 0 or inf. Same operations in the same order as llama.cpp, so
// silu/swiglu lanes are bit-identical to its (xsimd::exp is more exact, but an ulp off in a
// quarter of them, and those ulps flip 8-bit activation levels of the next matmul).
// One body for a float (the scalar twin) and for an xsimd batch.
template <class V> V exp_optimized_routines(const V& x) {
    constexpr bool is_batch = !std::is_same_v<V, float>;
    using I = std::conditional_t<is_batch, xsimd::as_integer_t<V>, std::uint32_t>;  // unsigned: wraps, no UB
    auto to_int = [](const V& v) { if constexpr (is_batch) return xsimd::bitwise_cast<I>(v); else return std::bit_cast<I>(v); };
    auto to_float = [](const I& v) { if constexpr (is_batch) return xsimd::bitwise_cast<V>(v); else return std::bit_cast<float>(v); };
    auto fma = [](const V& a, const V& b, const V& c) { if constexpr (is_batch) return fused_mul_add(a, b, c); else return std::fma(a, b, c); };
    auto fnma = [](const V& a, const V& b, const V& c) { if constexpr (is_batch) return fused_mul_add(-a, b, c); else return std::fma(-a, b, c); };
    auto abs = [](const V& v) { if constexpr (is_batch) return xsimd::abs(v); else return std::fabs(v); };
    auto pick = [](const auto& mask, const V& a, const V& b) { if constexpr (is_batch) return xsimd::select(mask, a, b); else return mask ? a : b; };

    const V shift(0x1.8p23f);
    const V z = fma(x, V(0x1.715476p+0f), shift);
    const V n = z - shift;
    const V b = fnma(n, V(0x1.7f7d1cp-20f), fnma(n, V(0x1.62e4p-1f), x));
    const I e = to_int(z) << 23;
    const V k = to_float(e + to_int(V(1.0f)));
    const V u = b * b;
    const V j = fma(fma(fma(V(0x1.0e4020p-7f), b, V(0x1.573e2ep-5f)), u, fma(V(0x1.555e66p-3f), b, V(0x1.fffdb6p-2f))), u,
                    V(0x1.ffffecp-1f) * b);
    const auto scaled = abs(n) > V(126.0f);
    bool any_scaled;
    if constexpr (is_batch) any_scaled = xsimd::any(scaled); else any_scaled = scaled;
    if (!any_scaled) return fma(j, k, k);
    // 2^n = s1 * s2 with s1 = 2^+-127 (the sign of n picks), s2 carrying the rest of the exponent.
    const I g = to_int(pick(n <= V(0.0f), V(std::bit_cast<float>(0x82000000u)), V(0.0f)));  // selects bits
    const V s1 = to_float(g + I(0x7f000000));
    const V s2 = to_float(e - g);
    return pick(abs(n) > V(192.0f), s1 * s1, pick(scaled, fma(s2, j, s2) * s1, fma(k, j, k)));
}

inline float silu_scalar(float x) noexcept { return x / (1.0f + std::exp(-x)); }
inline float gelu_scalar(float x) noexcept {
    return 0.5f * x * (1.0f + std::tanh(sqrt_2_over_pi * x * (1.0f + gelu_coef_a * x * x)));
}
// GELU the way llama.cpp's CPU build computes it (GGML_GELU_FP16, used by every CPU arch): x is
// rounded to fp16 and looked up in a table that holds, for each of the 65536 fp16 values, its
// GELU rounded to fp16; x <= -10 gives 0 and x >= 10 gives x. The result is thus within about
// 2^-11 relative of gelu_scalar, but it is llama.cpp's: Gemma's FFN output then matches its
// bit for bit instead of differing in nearly every element. (llama.cpp's GPU builds compute
// GELU in f32, and so do hearth's.)
inline const f16_bits* gelu_fp16_table() {
    static const std::vector<f16_bits> table = [] {
        std::vector<f16_bits> t(std::size_t{1} << 16);
        for (std::size_t i = 0; i < t.size(); ++i)
            t[i] = fp32_to_fp16(gelu_scalar(fp16_to_fp32(static_cast<f16_bits>(i))));
        return t;
    }();
    return table.data();
}
inline float gelu_fp16(float x, const f16_bits* table) noexcept {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    return fp16_to_fp32(table[fp32_to_fp16(x)]);
}
// ggml's vectorised SiLU: x / (1 + exp(-x)) with the exp above, -x as 0 - x. (Its scalar tail,
// like silu_scalar, uses the C library's expf.)
template <class B> B silu_batch(const B& x) { return x / (B(1.0f) + exp_optimized_routines(B(0.0f) - x)); }

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

// GELU and GEGLU go through the fp16 table for every arch, as in llama.cpp (a lookup, so there
// is no SIMD body to keep apart from the scalar one).
template <class Arch> void gelu(const float* x, float* y, std::size_t n) {
    const f16_bits* table = detail::gelu_fp16_table();
    for (std::size_t i = 0; i < n; ++i) y[i] = detail::gelu_fp16(x[i], table);
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
    const f16_bits* table = detail::gelu_fp16_table();
    for (std::size_t i = 0; i < n; ++i) y[i] = detail::gelu_fp16(gate[i], table) * up[i];
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
