#pragma once
// Row normalisations: RMSNorm (LLaMA, Gemma, Qwen...) and LayerNorm (GPT-2 style), with the
// per-channel weight fused in so the row is read once and written once.
#include <hearth/cpu/simd.hpp>
#include <cmath>
#include <cstddef>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

namespace detail {
// Sum of x[i]*x[i] (or of x[i] when square == false). The scalar tag accumulates in double as
// ggml does; SIMD lanes accumulate in float, which for rows of a few thousand values of similar
// magnitude stays within ~1e-6 relative of the double sum.
template <class Arch, bool square>
inline float row_sum(const float* x, std::size_t n, float shift = 0.0f) {
    std::size_t i = 0;
    double total = 0.0;
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        B acc0(0.0f), acc1(0.0f);
        const B sh(shift);
        for (; i + 2 * B::size <= n; i += 2 * B::size) {
            const B a = B::load_unaligned(x + i) - sh, b = B::load_unaligned(x + i + B::size) - sh;
            if constexpr (square) {
                acc0 = xsimd::fma(a, a, acc0);
                acc1 = xsimd::fma(b, b, acc1);
            } else {
                acc0 += a;
                acc1 += b;
            }
        }
        total = xsimd::hadd(acc0 + acc1);
    }
    for (; i < n; ++i) {
        const float v = x[i] - shift;
        total += square ? static_cast<double>(v * v) : static_cast<double>(v);
    }
    return static_cast<float>(total);
}

// y = (x - shift) * s * (weight ? weight : 1) + (bias ? bias : 0)
template <class Arch>
inline void normalize_row(const float* x, const float* weight, const float* bias, float* y, std::size_t n,
                          float shift, float s) {
    std::size_t i = 0;
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        const B vs(s), sh(shift);
        for (; i + B::size <= n; i += B::size) {
            B v = (B::load_unaligned(x + i) - sh) * vs;
            if (weight) v *= B::load_unaligned(weight + i);
            if (bias) v += B::load_unaligned(bias + i);
            v.store_unaligned(y + i);
        }
    }
    for (; i < n; ++i) {
        float v = (x[i] - shift) * s;
        if (weight) v *= weight[i];
        if (bias) v += bias[i];
        y[i] = v;
    }
}

// ggml's RMSNorm statistic, for every arch: each square rounded to float, summed in double, the
// mean divided in double and rounded once. A float sum (in any lane order) lands an ulp away in
// about half the rows, and that ulp is enough to flip some 8-bit activation levels downstream.
// Four accumulators keep the adds independent; in double their order changes the float result
// only for sums within 2^-29 of a rounding boundary.
inline float mean_of_squares(const float* x, std::size_t n) {
    double acc[4] = {0.0, 0.0, 0.0, 0.0};
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (std::size_t j = 0; j < 4; ++j) acc[j] += static_cast<double>(x[i + j] * x[i + j]);
    for (; i < n; ++i) acc[0] += static_cast<double>(x[i] * x[i]);
    return static_cast<float>(((acc[0] + acc[1]) + (acc[2] + acc[3])) / static_cast<double>(n));
}
}  // namespace detail

// y = x / sqrt(mean(x^2) + eps) * weight   (weight may be null: no per-channel scale)
template <class Arch>
void rms_norm(const float* x, const float* weight, float* y, std::size_t n, float eps) {
    if (n == 0) return;
    const float mean = detail::mean_of_squares(x, n);
    const float s = 1.0f / std::sqrt(mean + eps);
    detail::normalize_row<Arch>(x, weight, nullptr, y, n, 0.0f, s);
}

// y = (x - mean) / sqrt(var + eps) * weight + bias   (weight, bias may be null)
template <class Arch>
void layer_norm(const float* x, const float* weight, const float* bias, float* y, std::size_t n, float eps) {
    if (n == 0) return;
    const float mean = detail::row_sum<Arch, false>(x, n) / static_cast<float>(n);
    const float var = detail::row_sum<Arch, true>(x, n, mean) / static_cast<float>(n);
    const float s = 1.0f / std::sqrt(var + eps);
    detail::normalize_row<Arch>(x, weight, bias, y, n, mean, s);
}

}  // namespace cpu
HEARTH_NAMESPACE_END
