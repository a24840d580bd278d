#version 450
// Rounds activations the way the CPU backend (and ggml's CPU code) quantizes them before a
// matmul: to f16 / bf16 for f16 / bf16 weights, to q8_0 for the 32-element formats, q8_1 for the
// ones with a min (q4_1, q5_1), q8_K for the K-quants. The result stays float (d * q, exact), so
// the matmul kernels dequantize the weights and multiply floats, yet compute the CPU's integer
// dot products up to the order of float additions. For q8_1 each row is followed by its blocks'
// sums s = fp16(d * sum(q)), which the q4_1/q5_1 dot takes its min term from.
// One invocation rounds one block (32 values; 256 for q8_K): no shared memory, no barriers.
#include "common.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MODE = 0u;  // T_F16, T_BF16, T_Q8_0, T_Q8_1, T_Q8_K

layout(std430, binding = 0) restrict readonly buffer X { float x[]; };
layout(std430, binding = 1) restrict writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint x_off, x_stride, y_off, y_stride;  // floats
    uint k;                                 // row length; q8_1 block sums follow at y row + k
} p;

void main() {
    const uint B = MODE == T_Q8_K ? 256u : 32u;
    const uint b = gl_GlobalInvocationID.x, t = gl_GlobalInvocationID.y;
    if (b * B >= p.k) return;
    const uint xb = p.x_off + t * p.x_stride + b * B, yb = p.y_off + t * p.y_stride + b * B;
    const uint n = min(B, p.k - b * B);
    if (MODE == T_F16) {
        for (uint i = 0u; i < n; ++i) y[yb + i] = f16_to_f32(f32_to_f16(x[xb + i]));
        return;
    }
    if (MODE == T_BF16) {  // round to nearest even on the upper 16 bits; NaN stays NaN
        for (uint i = 0u; i < n; ++i) {
            uint u = floatBitsToUint(x[xb + i]);
            if ((u & 0x7fffffffu) <= 0x7f800000u) u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
            y[yb + i] = uintBitsToFloat(u);
        }
        return;
    }
    // The value of largest magnitude; for q8_K with its sign, the first one if several tie (ggml).
    float amax = 0.0, mx = 0.0;
    for (uint i = 0u; i < B; ++i) {
        const float v = x[xb + i];
        if (abs(v) > amax) amax = abs(v), mx = v;
    }
    if (MODE == T_Q8_K) {
        if (amax == 0.0) {
            for (uint i = 0u; i < B; ++i) y[yb + i] = 0.0;
            return;
        }
        const float iscale = div_rn(-127.0, mx), d = div_rn(1.0, iscale);
        for (uint i = 0u; i < B; ++i) {
            precise float s = iscale * x[xb + i];
            y[yb + i] = d * min(127.0, roundEven(s));
        }
        return;
    }
    // q8_0 / q8_1: d = amax / 127 stored as f16; q = roundf(v / d) with the unrounded d.
    const float d = div_rn(amax, 127.0);
    const float id = d != 0.0 ? div_rn(1.0, d) : 0.0;
    const float d16 = f16_to_f32(f32_to_f16(d));
    int sum = 0;
    for (uint i = 0u; i < B; ++i) {
        precise float s = x[xb + i] * id;
        const float q = round_away(s);
        sum += int(q);
        y[yb + i] = d16 * q;
    }
    if (MODE == T_Q8_1) y[p.y_off + t * p.y_stride + p.k + b] = f16_to_f32(f32_to_f16(float(sum) * d));
}
