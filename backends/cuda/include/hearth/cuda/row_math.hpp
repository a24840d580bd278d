#pragma once
// Float math of the row ops, shared by the kernels and the host twins (HEARTH_CUDA_HD): the
// activation functions and the rotary angle of one pair. The transcendental functions (exp, tanh,
// cos, sin) are the platform's: CUDA's are within 2 ulp of the C library's, so results of these
// ops agree with the CPU backend to a few ulp, not bit for bit (the tests state their tolerances).
#include <hearth/cuda/portable.hpp>
#include <hearth/cuda/op_args.hpp>
#include <cmath>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

HEARTH_CUDA_HD float silu(float x) { return x / (1.0f + ::expf(-x)); }

// GELU, tanh approximation, as ggml (and the CPU backend) compute it.
HEARTH_CUDA_HD float gelu(float x) {
    constexpr float a = 0.044715f, sqrt_2_over_pi = 0.79788456080286535587989211986876f;
    return 0.5f * x * (1.0f + ::tanhf(sqrt_2_over_pi * x * (1.0f + a * x * x)));
}

HEARTH_CUDA_HD float eltwise_value(eltwise_op op, float a, float b, float s) {
    switch (op) {
    case eltwise_op::add:
    case eltwise_op::bias: return a + b;
    case eltwise_op::scale: return a * s;
    case eltwise_op::swiglu: return silu(a) * b;
    case eltwise_op::geglu: return gelu(a) * b;
    }
    return a;
}

// cos and sin (times the magnitude scale) of pair i0/2 whose unscaled angle is theta (the position
// times theta_scale^(i0/2), accumulated by repeated multiplication as the CPU does).
HEARTH_CUDA_HD void rope_pair(const rope_args& r, float theta, int i0, float& c, float& s) {
    const float ff = r.freq_factors ? r.freq_factors[i0 / 2] : 1.0f;
    const float theta_extrap = theta / ff;
    const float theta_interp = r.freq_scale * theta_extrap;
    float t = theta_interp;
    if (r.ext_factor != 0.0f) {
        const float y = (static_cast<float>(i0 / 2) - r.corr_low) / ::fmaxf(0.001f, r.corr_high - r.corr_low);
        const float ramp = 1.0f - ::fminf(1.0f, ::fmaxf(0.0f, y));
        const float mix = ramp * r.ext_factor;
        // The CPU's fused form (cpu/ops/rope.hpp yarn_mix), not left to nvcc's contraction.
        t = ::fmaf(theta_interp, 1.0f - mix, fmul(theta_extrap, mix));
    }
    c = ::cosf(t) * r.mscale;
    s = ::sinf(t) * r.mscale;
}

// Rotates pair i (i < n_dims/2) of one head with its cos/sin.
HEARTH_CUDA_HD void rope_rotate(float* head, int i, int n_dims, bool neox, float c, float s) {
    const int j0 = neox ? i : 2 * i, j1 = neox ? i + n_dims / 2 : 2 * i + 1;
    const float x0 = head[j0], x1 = head[j1];
    // The CPU's fused forms (cpu/ops/rope.hpp rotate_first/rotate_second), whatever nvcc contracts.
    head[j0] = ::fmaf(x0, c, -fmul(x1, s));
    head[j1] = ::fmaf(x0, s, fmul(x1, c));
}

}  // namespace cuda
HEARTH_NAMESPACE_END
