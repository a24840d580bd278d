#version 450
// out[t] = dequantized row ids[t] of a weight table (embeddings), one invocation per quad.
// A table stored in several segments is gathered one segment per dispatch: ids outside
// [first, first + rows) belong to another segment's dispatch.
#include "common.glsl"
#include "raw_buffer.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint W_TYPE = 0u;

RAW_BUFFER(W, 0)
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint w_off, w_stride, k;
    uint first, rows;
    uint ids_off;  // ints
    uint y_off, y_stride, n_tok;
} p;

#include "dequant.glsl"

void main() {
    const uint k0 = 4u * gl_GlobalInvocationID.x, t = gl_GlobalInvocationID.y;
    if (k0 >= p.k || t >= p.n_tok) return;
    const uint id = uint(ids[p.ids_off + t]);
    if (id < p.first || id >= p.first + p.rows) return;
    const vec4 v = w_quad(p.w_off + (id - p.first) * p.w_stride, k0, p.k);
    const uint yb = p.y_off + t * p.y_stride + k0;
    for (uint i = 0u; i < 4u && k0 + i < p.k; ++i) y[yb + i] = v[i];
}
