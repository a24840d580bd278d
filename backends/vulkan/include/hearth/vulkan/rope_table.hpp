#pragma once
// cos/sin of every rotated pair at every position of a batch, computed on the host in float the
// way ggml's CPU code computes them (theta multiplied by base^(-2/n_dims) pair after pair, YaRN
// ramp, frequency factors), then uploaded for the rope shader. GPU sin/cos are only required to
// be accurate to ~1e-3 absolute and their angle reduction differs by vendor; a table of
// n_tokens x n_dims/2 pairs costs microseconds and is shared by every layer of a forward.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/model/config.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

namespace detail {
inline float rope_corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) {
    return static_cast<float>(n_dims) *
           std::log(static_cast<float>(n_ctx_orig) / (n_rot * 2.0f * std::numbers::pi_v<float>)) / (2.0f * std::log(base));
}
}  // namespace detail

// Appends (cos, sin) for pairs 0..n_dims/2-1 of each position to `out`.
inline void rope_table(const rope_config& r, std::span<const std::int32_t> positions, const float* freq_factors,
                       std::vector<float>& out) {
    if (r.n_dims <= 0 || r.n_dims % 2 != 0)
        throw error(errc::invalid_argument, "rope: n_dims must be even and positive, got " + std::to_string(r.n_dims));
    const int pairs = r.n_dims / 2;
    const float theta_scale = std::pow(r.freq_base, -2.0f / static_cast<float>(r.n_dims));
    const float start = std::floor(detail::rope_corr_dim(r.n_dims, r.n_ctx_orig, r.beta_fast, r.freq_base));
    const float end = std::ceil(detail::rope_corr_dim(r.n_dims, r.n_ctx_orig, r.beta_slow, r.freq_base));
    const float low = std::max(0.0f, start), high = std::min(static_cast<float>(r.n_dims - 1), end);
    out.reserve(out.size() + positions.size() * 2 * static_cast<std::size_t>(pairs));
    for (const std::int32_t pos : positions) {
        float theta = static_cast<float>(pos);
        for (int i = 0; i < pairs; ++i) {
            const float theta_extrap = theta / (freq_factors ? freq_factors[i] : 1.0f);
            const float theta_interp = r.freq_scale * theta_extrap;
            float t = theta_interp, mscale = r.attn_factor;
            if (r.ext_factor != 0.0f) {
                const float y = (static_cast<float>(i) - low) / std::max(0.001f, high - low);
                const float mix = (1.0f - std::min(1.0f, std::max(0.0f, y))) * r.ext_factor;
                // The CPU's fused forms (cpu/ops/rope.hpp yarn_mix, yarn_magnitude).
                t = std::fma(theta_interp, 1.0f - mix, theta_extrap * mix);
                mscale *= std::fma(0.1f, std::log(1.0f / r.freq_scale), 1.0f);
            }
            out.push_back(std::cos(t) * mscale);
            out.push_back(std::sin(t) * mscale);
            theta *= theta_scale;
        }
    }
}

}  // namespace vulkan
HEARTH_NAMESPACE_END
