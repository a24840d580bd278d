#pragma once
// Rotary position embedding with ggml's exact semantics: normal (adjacent pairs) and NeoX (split
// halves) layouts, per-pair frequency factors, linear scaling (freq_scale) and YaRN (ext_factor,
// correction dims from beta_fast/beta_slow, magnitude scale attn_factor).
//
// The angles are computed the way ggml computes them, in float: theta starts at the position and
// is multiplied by theta_scale = base^(-2/n_dims) pair after pair. A closed form (pos * base^(-2i/d))
// rounds differently and drifts away from llama.cpp at long positions; matching it keeps logits
// close to the reference.
#include <hearth/cpu/simd.hpp>
#include <hearth/error.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <string>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

struct rope_params {
    int n_dims;                 // rotated dimensions (<= head_dim); the rest pass through
    bool neox;                  // pairs (i, i + n_dims/2) instead of (2i, 2i+1)
    float freq_base;
    float freq_scale;           // 1 / linear scaling factor
    const float* freq_factors;  // nullable, n_dims/2 divisors of theta (LLaMA-3.1 long-rope)
    float ext_factor;           // YaRN extrapolation mix; 0 = off
    float attn_factor;          // magnitude scale of cos/sin
    float beta_fast;
    float beta_slow;
    int n_ctx_orig;
};

// cos/sin of every rotated pair at one position; computed once, applied to all heads.
struct rope_angles {
    static constexpr std::size_t max_pairs = 512;
    std::size_t pairs = 0;
    std::array<float, max_pairs> cos{}, sin{};
};

namespace detail {
inline float rope_yarn_corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) {
    return static_cast<float>(n_dims) *
           std::log(static_cast<float>(n_ctx_orig) / (n_rot * 2.0f * std::numbers::pi_v<float>)) /
           (2.0f * std::log(base));
}
inline void rope_yarn_corr_dims(const rope_params& p, float dims[2]) {
    const float start = std::floor(rope_yarn_corr_dim(p.n_dims, p.n_ctx_orig, p.beta_fast, p.freq_base));
    const float end = std::ceil(rope_yarn_corr_dim(p.n_dims, p.n_ctx_orig, p.beta_slow, p.freq_base));
    dims[0] = std::max(0.0f, start);
    dims[1] = std::min(static_cast<float>(p.n_dims - 1), end);
}
// 1 below the low correction dim, 0 above the high one, linear between (pair index = i0 / 2).
inline float rope_yarn_ramp(float low, float high, int i0) {
    const float y = (static_cast<float>(i0 / 2) - low) / std::max(0.001f, high - low);
    return 1.0f - std::min(1.0f, std::max(0.0f, y));
}
// ggml's C (`interp * (1 - mix) + extrap * mix`, `1 + 0.1 * log(1/scale)`) is built with FMA
// contraction on: GCC fuses the first product into the sum, as in the rotation below. Spelled out,
// so the result does not hang on -ffp-contract, and the GPU backends can use the same form.
inline float yarn_mix(float theta_interp, float theta_extrap, float mix) {
    return std::fma(theta_interp, 1.0f - mix, theta_extrap * mix);
}
inline float yarn_magnitude(float freq_scale) { return std::fma(0.1f, std::log(1.0f / freq_scale), 1.0f); }
}  // namespace detail

inline void rope_compute_angles(int pos, const rope_params& p, rope_angles& out) {
    if (p.n_dims <= 0 || p.n_dims % 2 != 0 || static_cast<std::size_t>(p.n_dims / 2) > rope_angles::max_pairs)
        throw error(errc::invalid_argument,
                    "rope: n_dims must be even, positive and <= " + std::to_string(2 * rope_angles::max_pairs) +
                        ", got " + std::to_string(p.n_dims));
    out.pairs = static_cast<std::size_t>(p.n_dims / 2);
    const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_dims));
    float corr[2] = {0.0f, 0.0f};
    detail::rope_yarn_corr_dims(p, corr);
    float theta = static_cast<float>(pos);
    for (int i0 = 0; i0 < p.n_dims; i0 += 2) {
        const float ff = p.freq_factors ? p.freq_factors[i0 / 2] : 1.0f;
        const float theta_extrap = theta / ff;
        const float theta_interp = p.freq_scale * theta_extrap;
        float t = theta_interp;
        float mscale = p.attn_factor;
        if (p.ext_factor != 0.0f) {
            const float mix = detail::rope_yarn_ramp(corr[0], corr[1], i0) * p.ext_factor;
            t = detail::yarn_mix(theta_interp, theta_extrap, mix);
            mscale *= detail::yarn_magnitude(p.freq_scale);
        }
        out.cos[static_cast<std::size_t>(i0 / 2)] = std::cos(t) * mscale;
        out.sin[static_cast<std::size_t>(i0 / 2)] = std::sin(t) * mscale;
        theta *= theta_scale;
    }
}

// The rotated pair, with the fused multiply-adds spelled out: (x0 cos - x1 sin, x0 sin + x1 cos)
// each rounded once after the x0 product, which is what ggml's rope compiles to on an FMA target
// (checked bit for bit against llama.cpp's Q and K). Left to the compiler, the contraction (or
// none) would differ between builds, and a one-ulp change in a key can flip its 4-bit level.
inline float rotate_first(float x0, float x1, float c, float s) { return std::fma(x0, c, -(x1 * s)); }
inline float rotate_second(float x0, float x1, float c, float s) { return std::fma(x0, s, x1 * c); }

// Rotates one head (head_dim floats) in place with precomputed angles.
template <class Arch>
void rope_apply(float* head, std::size_t head_dim, const rope_angles& a, bool neox) {
    const std::size_t pairs = std::min(a.pairs, head_dim / 2);
    if (neox) {
        // Halves are contiguous: the compiler vectorises this loop (fma included) for any Arch.
        float* lo = head;
        float* hi = head + a.pairs;
        for (std::size_t i = 0; i < pairs; ++i) {
            const float x0 = lo[i], x1 = hi[i];
            lo[i] = rotate_first(x0, x1, a.cos[i], a.sin[i]);
            hi[i] = rotate_second(x0, x1, a.cos[i], a.sin[i]);
        }
    } else {
        for (std::size_t i = 0; i < pairs; ++i) {
            const float x0 = head[2 * i], x1 = head[2 * i + 1];
            head[2 * i] = rotate_first(x0, x1, a.cos[i], a.sin[i]);
            head[2 * i + 1] = rotate_second(x0, x1, a.cos[i], a.sin[i]);
        }
    }
}

// Rotates one head in place at position pos.
template <class Arch>
void rope(float* head, std::size_t head_dim, int pos, const rope_params& p) {
    if (static_cast<std::size_t>(p.n_dims) > head_dim)
        throw error(errc::invalid_argument, "rope: n_dims " + std::to_string(p.n_dims) + " exceeds head_dim " +
                                                std::to_string(head_dim));
    rope_angles a;
    rope_compute_angles(pos, p, a);
    rope_apply<Arch>(head, head_dim, a, p.neox);
}

// Rotates n_heads heads (head_stride floats apart) of one token at position pos: angles once.
template <class Arch>
void rope_heads(float* x, std::size_t n_heads, std::size_t head_stride, std::size_t head_dim, int pos,
                const rope_params& p) {
    if (static_cast<std::size_t>(p.n_dims) > head_dim)
        throw error(errc::invalid_argument, "rope: n_dims " + std::to_string(p.n_dims) + " exceeds head_dim " +
                                                std::to_string(head_dim));
    rope_angles a;
    rope_compute_angles(pos, p, a);
    for (std::size_t h = 0; h < n_heads; ++h) rope_apply<Arch>(x + h * head_stride, head_dim, a, p.neox);
}

}  // namespace cpu
HEARTH_NAMESPACE_END
