#version 450
// y = x / sqrt(mean(x^2) + eps) * w over groups of `width` values: one group per row (rms_norm)
// or one per head (rms_norm_heads, same weight for every head). One workgroup per (group, row).
// y may be x: every value is read for the sum before the barrier, then by the thread that writes it.
layout(local_size_x = 128) in;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint x_off, x_stride, y_off, y_stride;
    uint w_off;     // floats; has_w == 0: no weight
    uint has_w;
    uint width;     // values per group
    float eps;
} p;

shared float red[128];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint g = gl_WorkGroupID.x, r = gl_WorkGroupID.y;
    const uint xb = p.x_off + r * p.x_stride + g * p.width, yb = p.y_off + r * p.y_stride + g * p.width;
    float s = 0.0;
    for (uint i = tid; i < p.width; i += 128u) s += x[xb + i] * x[xb + i];
    red[tid] = s;
    barrier();
    for (uint h = 64u; h > 0u; h >>= 1) {
        if (tid < h) red[tid] += red[tid + h];
        barrier();
    }
    const float scale = 1.0 / sqrt(red[0] / float(p.width) + p.eps);
    for (uint i = tid; i < p.width; i += 128u) {
        const float v = x[xb + i] * scale;
        y[yb + i] = p.has_w != 0u ? v * w[p.w_off + i] : v;
    }
}
