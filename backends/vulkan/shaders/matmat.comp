#version 450
// y = x * W^T for many tokens (prefill): 64 weight rows x 64 tokens per workgroup, k in steps of
// 16. Each weight quad is dequantized once per tile into shared memory and reused by 64 tokens;
// each thread accumulates a 4x4 block of outputs (rows tm + 16i, tokens tn + 16j, interleaved so
// neighbouring threads read neighbouring shared words).
#include "common.glsl"
#include "raw_buffer.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint W_TYPE = 0u;

RAW_BUFFER(W, 0)
layout(std430, binding = 1) readonly buffer X { float x[]; };
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

const uint BM = 64u, BN = 64u, BK = 16u;
shared float ws[BK][BM + 1u];
shared float xs[BK][BN + 1u];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint m0 = gl_WorkGroupID.x * BM, n0 = gl_WorkGroupID.y * BN;
    const uint lm = tid / 4u, lq = tid % 4u;  // loader: tile row / token, quad within BK
    const uint tm = tid % 16u, tn = tid / 16u;
    float acc[4][4];
    for (uint i = 0u; i < 4u; ++i)
        for (uint j = 0u; j < 4u; ++j) acc[i][j] = 0.0;

    for (uint k0 = 0u; k0 < p.k_ext; k0 += BK) {
        const uint kq = k0 + 4u * lq;
        vec4 w = vec4(0.0);
        if (m0 + lm < p.rows && kq < p.k_ext) w = w_quad_ext(p.w_off + (m0 + lm) * p.w_stride, kq, p.k);
        vec4 xv = vec4(0.0);
        if (n0 + lm < p.n_tok) {
            const uint xb = p.x_off + (n0 + lm) * p.x_stride + kq;
            for (uint i = 0u; i < 4u; ++i)
                if (kq + i < p.k_ext) xv[i] = x[xb + i];
        }
        for (uint i = 0u; i < 4u; ++i) {
            ws[4u * lq + i][lm] = w[i];
            xs[4u * lq + i][lm] = xv[i];
        }
        barrier();
        for (uint kk = 0u; kk < BK; ++kk) {
            float a[4], b[4];
            for (uint i = 0u; i < 4u; ++i) a[i] = ws[kk][tm + 16u * i];
            for (uint j = 0u; j < 4u; ++j) b[j] = xs[kk][tn + 16u * j];
            for (uint i = 0u; i < 4u; ++i)
                for (uint j = 0u; j < 4u; ++j) acc[i][j] += a[i] * b[j];
        }
        barrier();
    }
    for (uint i = 0u; i < 4u; ++i) {
        const uint m = m0 + tm + 16u * i;
        if (m >= p.rows) continue;
        for (uint j = 0u; j < 4u; ++j) {
            const uint n = n0 + tn + 16u * j;
            if (n < p.n_tok) y[p.y_off + n * p.y_stride + m] = acc[i][j];
        }
    }
}
