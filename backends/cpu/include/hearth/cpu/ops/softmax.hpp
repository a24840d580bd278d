#pragma once
// Softmax over one row in place, with the pre-processing attention needs folded in:
//   x = (softcap > 0 ? softcap * tanh(x / softcap) : x) * scale + (mask ? mask : 0)
//   x = exp(x - max) / sum
// The order (cap, then scale, then mask) is llama.cpp's graph order: Gemma-2 caps the raw scores
// and its mask must stay -inf after capping. A row that is entirely -inf becomes all zeros
// (no position may be attended) instead of NaN.
#include <hearth/cpu/simd.hpp>
#include <cmath>
#include <cstddef>
#include <limits>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

template <class Arch>
void softmax(float* x, std::size_t n, const float* mask, float scale, float softcap) {
    if (n == 0) return;
    const bool capped = softcap > 0.0f;
    const float inv_cap = capped ? 1.0f / softcap : 0.0f;
    float max_v = -std::numeric_limits<float>::infinity();
    std::size_t i = 0;
    // Pass 1: pre-process and find the maximum.
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        B vmax(max_v);
        for (; i + B::size <= n; i += B::size) {
            B v = B::load_unaligned(x + i);
            if (capped) v = B(softcap) * xsimd::tanh(v * B(inv_cap));
            v *= B(scale);
            if (mask) v += B::load_unaligned(mask + i);
            v.store_unaligned(x + i);
            vmax = xsimd::max(vmax, v);
        }
        alignas(64) float lanes[B::size];
        vmax.store_aligned(lanes);
        for (float l : lanes) max_v = l > max_v ? l : max_v;
    }
    for (; i < n; ++i) {
        float v = x[i];
        if (capped) v = softcap * std::tanh(v * inv_cap);
        v *= scale;
        if (mask) v += mask[i];
        x[i] = v;
        max_v = v > max_v ? v : max_v;
    }
    if (max_v == -std::numeric_limits<float>::infinity()) {
        for (std::size_t j = 0; j < n; ++j) x[j] = 0.0f;
        return;
    }
    // Pass 2: exponentiate and sum (double on the scalar path, like ggml; float lanes otherwise).
    double sum = 0.0;
    i = 0;
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        B vsum(0.0f);
        const B vm(max_v);
        for (; i + B::size <= n; i += B::size) {
            const B e = xsimd::exp(B::load_unaligned(x + i) - vm);
            e.store_unaligned(x + i);
            vsum += e;
        }
        sum = xsimd::hadd(vsum);
    }
    for (; i < n; ++i) {
        const float e = std::exp(x[i] - max_v);
        x[i] = e;
        sum += e;
    }
    // Pass 3: normalise.
    const float inv = static_cast<float>(1.0 / sum);
    i = 0;
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        for (; i + B::size <= n; i += B::size) (B::load_unaligned(x + i) * B(inv)).store_unaligned(x + i);
    }
    for (; i < n; ++i) x[i] *= inv;
}

}  // namespace cpu
HEARTH_NAMESPACE_END
