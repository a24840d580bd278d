#version 450
// y[t][r] = sum_k W[r][k] * x[t][k] for a few tokens (decode): one workgroup per weight row, its
// threads stride over the row's quads and dequantize each once for every token, then reduce in
// shared memory. Memory-bound: each weight byte is read once per call.
#include "common.glsl"
#include "raw_buffer.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint W_TYPE = 0u;

RAW_BUFFER(W, 0)
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint w_off, w_stride;  // bytes: first row of this weight segment, row to row
    uint k, rows;          // row length (elements), rows in the segment
    uint x_off, x_stride;  // floats
    uint y_off, y_stride;  // floats (y_off already points at this segment's first column)
    uint n_tok;            // 1..MAX_TOK
    uint k_ext;            // k, plus the q8_1 block sums for q4_1/q5_1 (x rows are k_ext apart)
} p;

#define SPLIT_MIN 1
#include "dequant.glsl"

const uint MAX_TOK = 4u;
shared vec4 partial[MAX_TOK][64];

void main() {
    const uint r = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    if (r >= p.rows) return;  // whole workgroup leaves together: no barrier is skipped by some only
    const uint tid = gl_LocalInvocationID.x;
    const uint row = p.w_off + r * p.w_stride;
    vec4 acc[MAX_TOK];
    for (uint t = 0u; t < MAX_TOK; ++t) acc[t] = vec4(0.0);
    for (uint k0 = 4u * tid; k0 < p.k_ext; k0 += 256u) {
        const vec4 w = w_quad_ext(row, k0, p.k);
        for (uint t = 0u; t < p.n_tok; ++t) {
            const uint xb = p.x_off + t * p.x_stride + k0;
            vec4 xv = vec4(x[xb], 0.0, 0.0, 0.0);
            if (k0 + 3u < p.k_ext) xv = vec4(x[xb], x[xb + 1u], x[xb + 2u], x[xb + 3u]);
            else for (uint i = 1u; k0 + i < p.k_ext; ++i) xv[i] = x[xb + i];
            acc[t] += w * xv;
        }
    }
    for (uint t = 0u; t < MAX_TOK; ++t) partial[t][tid] = acc[t];
    barrier();
    for (uint s = 32u; s > 0u; s >>= 1) {
        if (tid < s)
            for (uint t = 0u; t < MAX_TOK; ++t) partial[t][tid] += partial[t][tid + s];
        barrier();
    }
    if (tid < p.n_tok) {
        const vec4 v = partial[tid][0];
        y[p.y_off + tid * p.y_stride + r] = (v.x + v.y) + (v.z + v.w);
    }
}
