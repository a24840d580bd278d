#version 450
// Stores the batch's K (or V) rows into their cache cells, quantizing in the shader with ggml's
// reference quantizers, byte for byte: q8_0 (d = amax/127, roundf) and q4_0 (d = max/-8, +8.5
// truncated), or f16 (round to nearest even) / f32. Cells are rows of `row_bytes` bytes that need
// not start on a 4-byte boundary (q8_0 blocks are 34 bytes), and the buffer is written as 32-bit
// words so that no 8-bit storage is needed: one invocation builds one word of one cell's row; the
// at most two words a row shares with its neighbours are merged with atomics.
#include "common.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint TYPE = 1u;

layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) buffer Dst { uint dst[]; };
layout(std430, binding = 2) readonly buffer Slots { int slots[]; };

layout(push_constant) uniform Params {
    uint src_off, src_stride;  // floats: the batch's k or v tensor
    uint n_tok;
    uint row_bytes;            // one cell, all kv heads
    uint slots_off;            // ints
} p;

uint cur_block = 0xffffffffu;
uint blk_d16;
float blk_id;

// Scale of block b of the row at `row` (floats), computed once per block and invocation.
void block_stats(uint row, uint b) {
    if (b == cur_block) return;
    cur_block = b;
    const uint base = row + 32u * b;
    if (TYPE == T_Q8_0) {
        float amax = 0.0;
        for (uint j = 0u; j < 32u; ++j) amax = max(amax, abs(src[base + j]));
        const float d = div_rn(amax, 127.0);
        blk_id = d != 0.0 ? div_rn(1.0, d) : 0.0;
        blk_d16 = f32_to_f16(d);
    } else {  // q4_0: the signed value of largest magnitude (first on ties) maps to -8
        float amax = 0.0, mx = 0.0;
        for (uint j = 0u; j < 32u; ++j) {
            const float v = src[base + j];
            if (amax < abs(v)) amax = abs(v), mx = v;
        }
        const float d = mx * -0.125;  // mx / -8, exact
        blk_id = d != 0.0 ? div_rn(1.0, d) : 0.0;
        blk_d16 = f32_to_f16(d);
    }
}

uint q4_level(float v) {
    precise float s = v * blk_id;
    precise float t = s + 8.5;
    return uint(min(15, int(t)));
}

// Byte `at` of the row whose values start at float index `row`.
uint row_byte(uint row, uint at) {
    if (TYPE == T_F32) return (floatBitsToUint(src[row + at / 4u]) >> (8u * (at % 4u))) & 0xffu;
    if (TYPE == T_F16) return (f32_to_f16(src[row + at / 2u]) >> (8u * (at % 2u))) & 0xffu;
    const uint bb = TYPE == T_Q8_0 ? 34u : 18u;
    const uint b = at / bb, w = at % bb;
    block_stats(row, b);
    if (w < 2u) return (blk_d16 >> (8u * w)) & 0xffu;
    if (TYPE == T_Q8_0) {
        precise float s = src[row + 32u * b + w - 2u] * blk_id;
        return uint(int(round_away(s))) & 0xffu;
    }
    const uint j = w - 2u;
    return q4_level(src[row + 32u * b + j]) | (q4_level(src[row + 32u * b + j + 16u]) << 4);
}

void main() {
    const uint t = gl_GlobalInvocationID.y;
    if (t >= p.n_tok) return;
    const uint start = uint(slots[p.slots_off + t]) * p.row_bytes, end = start + p.row_bytes;
    const uint word = start / 4u + gl_GlobalInvocationID.x;
    if (4u * word >= end) return;
    const uint row = p.src_off + t * p.src_stride;
    uint value = 0u, mask = 0u;
    for (uint i = 0u; i < 4u; ++i) {
        const uint at = 4u * word + i;
        if (at < start || at >= end) continue;
        value |= row_byte(row, at - start) << (8u * i);
        mask |= 0xffu << (8u * i);
    }
    if (mask == 0xffffffffu) {
        dst[word] = value;
    } else {
        atomicAnd(dst[word], ~mask);
        atomicOr(dst[word], value);
    }
}
