#version 450
// Mat-vec for devices that run invocations as SIMD lanes of a CPU (lavapipe/llvmpipe, SwiftShader):
// one invocation computes whole rows, with no shared memory and no barriers (on those devices a
// workgroup barrier costs more than the arithmetic of a row). Same results as matvec.comp.
#include "common.glsl"
#include "raw_buffer.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint W_TYPE = 0u;

RAW_BUFFER(W, 0)
layout(std430, binding = 1) restrict readonly buffer X { float x[]; };
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint w_off, w_stride;
    uint k, rows;
    uint x_off, x_stride;
    uint y_off, y_stride;
    uint n_tok;
    uint k_ext;  // k, plus the q8_1 block sums for q4_1/q5_1
} p;

#define SPLIT_MIN 1
#include "dequant.glsl"

void main() {
    const uint r = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
    if (r >= p.rows) return;
    const uint row = p.w_off + r * p.w_stride;
    vec4 a0 = vec4(0.0), a1 = vec4(0.0), a2 = vec4(0.0), a3 = vec4(0.0);
    const uint x0 = p.x_off, x1 = x0 + p.x_stride, x2 = x1 + p.x_stride, x3 = x2 + p.x_stride;
    // Whole blocks per iteration, quads unrolled: the block's scales are loaded once.
    const uint be = w_block_elems() < 4u ? 4u : w_block_elems();
    for (uint kb = 0u; kb < p.k; kb += be)
    [[unroll]] for (uint k0 = kb; k0 < kb + be; k0 += 4u) {
        if (k0 >= p.k) break;
        const vec4 w = w_quad(row, k0, p.k);
        if (w_block_elems() > 1u || k0 + 3u < p.k) {
            a0 += w * vec4(x[x0 + k0], x[x0 + k0 + 1u], x[x0 + k0 + 2u], x[x0 + k0 + 3u]);
            if (p.n_tok > 1u) a1 += w * vec4(x[x1 + k0], x[x1 + k0 + 1u], x[x1 + k0 + 2u], x[x1 + k0 + 3u]);
            if (p.n_tok > 2u) a2 += w * vec4(x[x2 + k0], x[x2 + k0 + 1u], x[x2 + k0 + 2u], x[x2 + k0 + 3u]);
            if (p.n_tok > 3u) a3 += w * vec4(x[x3 + k0], x[x3 + k0 + 1u], x[x3 + k0 + 2u], x[x3 + k0 + 3u]);
        } else {
            for (uint i = 0u; k0 + i < p.k; ++i) {
                a0[i] += w[i] * x[x0 + k0 + i];
                if (p.n_tok > 1u) a1[i] += w[i] * x[x1 + k0 + i];
                if (p.n_tok > 2u) a2[i] += w[i] * x[x2 + k0 + i];
                if (p.n_tok > 3u) a3[i] += w[i] * x[x3 + k0 + i];
            }
        }
    }
    for (uint k0 = p.k; k0 < p.k_ext; k0 += 4u) {  // q4_1/q5_1: mins times the q8_1 block sums
        const vec4 m = w_mins4(row, k0 - p.k, p.k / 32u);
        a0 += m * vec4(x[x0 + k0], x[x0 + k0 + 1u], x[x0 + k0 + 2u], x[x0 + k0 + 3u]);
        if (p.n_tok > 1u) a1 += m * vec4(x[x1 + k0], x[x1 + k0 + 1u], x[x1 + k0 + 2u], x[x1 + k0 + 3u]);
        if (p.n_tok > 2u) a2 += m * vec4(x[x2 + k0], x[x2 + k0 + 1u], x[x2 + k0 + 2u], x[x2 + k0 + 3u]);
        if (p.n_tok > 3u) a3 += m * vec4(x[x3 + k0], x[x3 + k0 + 1u], x[x3 + k0 + 2u], x[x3 + k0 + 3u]);
    }
    const uint yb = p.y_off + r;
    y[yb] = (a0.x + a0.y) + (a0.z + a0.w);
    if (p.n_tok > 1u) y[yb + p.y_stride] = (a1.x + a1.y) + (a1.z + a1.w);
    if (p.n_tok > 2u) y[yb + 2u * p.y_stride] = (a2.x + a2.y) + (a2.z + a2.w);
    if (p.n_tok > 3u) y[yb + 3u * p.y_stride] = (a3.x + a3.y) + (a3.z + a3.w);
}
