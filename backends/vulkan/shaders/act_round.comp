#version 450
// Rounds activations the way the CPU backend (and ggml's CPU code) quantizes them before a
// matmul: to f16 / bf16 for f16 / bf16 weights, to q8_0/q8_1 for the 32-element formats, to q8_K for the
// K-quants. The result stays float (d * q, exact), so the matmul kernels dequantize the weights
// and multiply floats, yet compute the same sum of products as the CPU's integer dot products,
// up to the order of float additions. One workgroup rounds one block (32 or 256 values) of a row.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint MODE = 0u;  // T_F16, T_BF16, T_Q8_0 (also q8_1), T_Q8_K

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint x_off, x_stride, y_off, y_stride;  // floats
    uint k;                                 // row length
} p;

shared float red[256];
shared uint first[256];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint t = gl_WorkGroupID.y;
    const uint e = gl_WorkGroupID.x * 256u + tid;
    const bool inside = e < p.k;
    const float v = inside ? x[p.x_off + t * p.x_stride + e] : 0.0;
    if (MODE == T_F16) {
        if (inside) y[p.y_off + t * p.y_stride + e] = f16_to_f32(f32_to_f16(v));
        return;
    }
    if (MODE == T_BF16) {  // round to nearest even on the upper 16 bits; NaN stays NaN
        uint u = floatBitsToUint(v);
        if ((u & 0x7fffffffu) <= 0x7f800000u) u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
        if (inside) y[p.y_off + t * p.y_stride + e] = uintBitsToFloat(u);
        return;
    }
    // Max |v| over the block (32 lanes for q8_0, the whole workgroup for q8_K); order-free, exact.
    const uint width = MODE == T_Q8_K ? 256u : 32u;
    const uint lane = tid % width, base = tid - lane;
    red[tid] = abs(v);
    barrier();
    for (uint s = width / 2u; s > 0u; s >>= 1) {
        if (lane < s) red[tid] = max(red[tid], red[tid + s]);
        barrier();
    }
    const float amax = red[base];
    float q;
    if (MODE == T_Q8_K) {
        // The value of largest magnitude, with its sign: the first one if several tie (ggml).
        first[tid] = (amax > 0.0 && abs(v) == amax) ? lane : 0xffffffffu;
        barrier();
        for (uint s = 128u; s > 0u; s >>= 1) {
            if (tid < s) first[tid] = min(first[tid], first[tid + s]);
            barrier();
        }
        if (amax == 0.0) {
            if (inside) y[p.y_off + t * p.y_stride + e] = 0.0;
            return;
        }
        const float mx = x[p.x_off + t * p.x_stride + gl_WorkGroupID.x * 256u + first[0]];
        const float iscale = div_rn(-127.0, mx);
        precise float scaled = iscale * v;
        q = min(127.0, roundEven(scaled));
        if (inside) y[p.y_off + t * p.y_stride + e] = div_rn(1.0, iscale) * q;
        return;
    }
    // q8_0 / q8_1: d = amax / 127 stored as f16; q = roundf(v / d) with the unrounded d.
    const float d = div_rn(amax, 127.0);
    const float id = d != 0.0 ? div_rn(1.0, d) : 0.0;
    precise float scaled = v * id;
    q = round_away(scaled);
    if (inside) y[p.y_off + t * p.y_stride + e] = f16_to_f32(f32_to_f16(d)) * q;
}
