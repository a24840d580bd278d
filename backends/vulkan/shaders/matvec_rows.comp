#version 450
// y = x * W^T for devices that run invocations as SIMD lanes of a CPU (lavapipe/llvmpipe,
// SwiftShader), any number of tokens. There a storage-buffer read is a loop over the lanes, one
// lane at a time and bounds-checked, and a workgroup barrier costs more than the arithmetic of a
// row; what counts is how many reads the kernel issues and how. So W and x are bound as texel
// buffers of 32-bit words (raw_buffer.glsl, TEXEL), whose fetches are vector gathers there, and,
// with no shared memory and no barriers:
//  - an invocation computes R weight rows for T tokens: one activation read serves R rows, one
//    weight read T tokens (T is a specialization constant: the host dispatches groups of 4
//    tokens with T = 4, the rest with T = 1);
//  - activations are read 32 at a time, one per lane, and handed to every lane with
//    subgroupBroadcast (a register shuffle there), not read 32 times by every lane;
//  - a block's quads are unrolled with constant offsets from one block address, so each scale
//    and each word of quants is read once per block. K-quant blocks (256 values) are unrolled
//    whole too: walked 32 values at a time in a loop they ran 1.5 to 2.3 times slower on
//    llvmpipe (measured, 2048 x 2048), and with texel fetches the unrolled code compiles in
//    about 0.1 s.
// Same products as matvec.comp and matmat.comp (w_quad's dequantization, min times q8_1 block
// sum for q4_1/q5_1); only the order of the float additions differs.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#include "common.glsl"
#include "raw_buffer.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint W_TYPE = 0u;
layout(constant_id = 1) const uint T = 1u;   // tokens per invocation: 1 or 4
layout(constant_id = 2) const uint SG = 8u;  // subgroup size: 4, 8, 16 or 32

RAW_BUFFER(W, 0)
// x as 32-bit words too (R32_UINT: the floats' bits pass unchanged, no format conversion).
layout(binding = 1) uniform utextureBuffer X_texels;
float x_at(uint i) { return uintBitsToFloat(texelFetch(X_texels, int(i)).x); }
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant) uniform Params {
    uint w_off, w_stride;
    uint k, rows;
    uint x_off, x_stride;  // x_off: the first token of this dispatch
    uint y_off, y_stride;
    uint n_tok;            // unused: T tokens per workgroup row (gl_WorkGroupID.y)
    uint k_ext;            // k, plus the q8_1 block sums for q4_1/q5_1
} p;

#define SPLIT_MIN 1
#include "dequant.glsl"

const uint R = 2u, MAX_T = 4u;  // R: more rows per invocation compile slowly on llvmpipe

// xs[i] = x[xb + i], i < 32: one read per lane, then broadcast.
void load32(uint xb, out float xs[32]) {
    const uint lane = gl_SubgroupInvocationID;
    [[unroll]] for (uint j = 0u; j < 32u; j += SG) {
        const float v = x_at(xb + j + lane);
#define B(L) if (L < SG) xs[j + L] = subgroupBroadcast(v, L);
        B(0u) B(1u) B(2u) B(3u) B(4u) B(5u) B(6u) B(7u) B(8u) B(9u) B(10u) B(11u) B(12u) B(13u) B(14u) B(15u)
        B(16u) B(17u) B(18u) B(19u) B(20u) B(21u) B(22u) B(23u) B(24u) B(25u) B(26u) B(27u) B(28u) B(29u) B(30u) B(31u)
#undef B
    }
}

void main() {
    // No early return: subgroupBroadcast needs every lane; lanes past the last row compute a copy
    // of it and store nothing.
    const uint r0 = gl_GlobalInvocationID.x * R;
    const uint xt = p.x_off + gl_WorkGroupID.y * T * p.x_stride, yt = p.y_off + gl_WorkGroupID.y * T * p.y_stride;
    uint row[R];
    vec4 acc[R][MAX_T];
    [[unroll]] for (uint i = 0u; i < R; ++i) {
        row[i] = p.w_off + min(r0 + i, p.rows - 1u) * p.w_stride;
        [[unroll]] for (uint t = 0u; t < MAX_T; ++t) acc[i][t] = vec4(0.0);
    }
    const bool quant = w_block_elems() > 1u;
    const uint BE = quant ? w_block_elems() : 32u;  // a block, or 32 values of a float row
    for (uint kb = 0u; kb < p.k; kb += BE) {
        if (!quant && kb + 32u > p.k) {  // the last, partial 32 values of a float row, one by one
            [[dont_unroll]] for (uint k0 = kb; k0 < p.k; ++k0) {
                float w[R];
                [[unroll]] for (uint i = 0u; i < R; ++i)
                    w[i] = W_TYPE == T_F32 ? uintBitsToFloat(W_u32(row[i] + 4u * k0))
                         : W_TYPE == T_F16 ? f16_to_f32(W_u16(row[i] + 2u * k0)) : bf16_to_f32(W_u16(row[i] + 2u * k0));
                [[unroll]] for (uint t = 0u; t < T; ++t) {
                    const float xv = x_at(xt + t * p.x_stride + k0);
                    [[unroll]] for (uint i = 0u; i < R; ++i) acc[i][t].x += w[i] * xv;
                }
            }
            break;
        }
        [[unroll]] for (uint c = 0u; c < BE; c += 32u) {
            float xs[MAX_T][32];
            [[unroll]] for (uint t = 0u; t < T; ++t) load32(xt + t * p.x_stride + kb + c, xs[t]);
            [[unroll]] for (uint i = 0u; i < R; ++i)
                [[unroll]] for (uint e = 0u; e < 32u; e += 4u) {
                    const vec4 w = quant ? w_quad_in(row[i] + (kb / BE) * w_block_bytes(), c + e) : w_quad_float(row[i], kb + c + e);
                    [[unroll]] for (uint t = 0u; t < T; ++t)
                        acc[i][t] += w * vec4(xs[t][e], xs[t][e + 1u], xs[t][e + 2u], xs[t][e + 3u]);
                }
        }
        if (w_has_min()) {  // q4_1/q5_1: + the block's min times its q8_1 sum (stored after the row)
            [[unroll]] for (uint t = 0u; t < T; ++t) {
                const float sum = x_at(xt + t * p.x_stride + p.k + kb / 32u);
                [[unroll]] for (uint i = 0u; i < R; ++i)
                    acc[i][t].x += f16_to_f32(W_u16(row[i] + (kb / 32u) * w_block_bytes() + 2u)) * sum;
            }
        }
    }
    [[unroll]] for (uint i = 0u; i < R; ++i)
        if (r0 + i < p.rows)
            [[unroll]] for (uint t = 0u; t < T; ++t)
                y[yt + t * p.y_stride + r0 + i] = (acc[i][t].x + acc[i][t].y) + (acc[i][t].z + acc[i][t].w);
}
