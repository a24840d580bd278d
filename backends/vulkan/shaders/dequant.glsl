// Dequantization of weight rows straight from GGUF blocks (binding W, type W_TYPE), four
// consecutive elements at a time: every format keeps 4 consecutive elements in one 32-bit group
// of bytes under one (sub-)block scale, so a "quad" is the common unit of all kernels.
// Products that ggml rounds before an addition are `precise`, so get_rows equals the CPU's
// dequantize_row bit for bit. Needs common.glsl, RAW_BUFFER(W, ...) and the constant W_TYPE.

const float kvalues_iq4nl[16] = float[16](-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0,
                                          1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0);

uint w_block_elems() {
    if (W_TYPE == T_F32 || W_TYPE == T_F16 || W_TYPE == T_BF16) return 1u;
    if (W_TYPE >= T_Q2_K && W_TYPE <= T_Q6_K) return 256u;
    return 32u;
}
uint w_block_bytes() {
    switch (W_TYPE) {
    case T_F32: return 4u;
    case T_F16: case T_BF16: return 2u;
    case T_Q4_0: case T_IQ4_NL: return 18u;
    case T_Q4_1: return 20u;
    case T_Q5_0: return 22u;
    case T_Q5_1: return 24u;
    case T_Q8_0: return 34u;
    case T_Q2_K: return 84u;
    case T_Q3_K: return 110u;
    case T_Q4_K: return 144u;
    case T_Q5_K: return 176u;
    default: return 210u;  // T_Q6_K
    }
}

vec4 nibbles(uint w, uint shift) {
    return vec4(float((w >> shift) & 15u), float((w >> (shift + 8u)) & 15u),
                float((w >> (shift + 16u)) & 15u), float((w >> (shift + 24u)) & 15u));
}
vec4 crumbs(uint w, uint shift) {  // four 2-bit fields, one per byte
    return vec4(float((w >> shift) & 3u), float((w >> (shift + 8u)) & 3u),
                float((w >> (shift + 16u)) & 3u), float((w >> (shift + 24u)) & 3u));
}
vec4 bits_of_bytes(uint w, uint bit) {  // bit `bit` of each byte
    return vec4(float((w >> bit) & 1u), float((w >> (bit + 8u)) & 1u),
                float((w >> (bit + 16u)) & 1u), float((w >> (bit + 24u)) & 1u));
}
vec4 int8s(uint w) {
    return vec4(float(int(w << 24) >> 24), float(int(w << 16) >> 24), float(int(w << 8) >> 24), float(int(w) >> 24));
}
vec4 bits4(uint mask, uint first) {  // bits first..first+3 of a 32-bit mask
    return vec4(float((mask >> first) & 1u), float((mask >> (first + 1u)) & 1u),
                float((mask >> (first + 2u)) & 1u), float((mask >> (first + 3u)) & 1u));
}

// 6-bit scale and min of sub-block j of a q4_K/q5_K block whose 12 packed bytes start at `off`.
void k4_scale_min(uint off, uint j, out float sc, out float m) {
    if (j < 4u) {
        sc = float(W_u8(off + j) & 63u);
        m = float(W_u8(off + j + 4u) & 63u);
    } else {
        sc = float((W_u8(off + j + 4u) & 15u) | ((W_u8(off + j - 4u) >> 6) << 4));
        m = float((W_u8(off + j + 4u) >> 4) | ((W_u8(off + j) >> 6) << 4));
    }
}

// q4_1/q5_1 in a matmul (SPLIT_MIN defined to 1): w_quad leaves out the min m, and w_mins4 gives
// the mins of four blocks, which the matmul multiplies with q8_1's block sums the way ggml's dot
// product does (its min term uses the fp16 sum s, not the sum of the rounded values).
#ifndef SPLIT_MIN
#define SPLIT_MIN 0
#endif
bool w_has_min() { return SPLIT_MIN != 0 && (W_TYPE == T_Q4_1 || W_TYPE == T_Q5_1); }

vec4 w_quad_in(uint blk, uint e);

// Elements k0..k0+3 of the row starting at byte `row`; k0 is a multiple of 4. Elements at or past
// `k` (only possible for the float types, whose rows may have any length) read as 0.
// Elements k0..k0+3 of a float row (f32, f16, bf16), all four inside the row.
vec4 w_quad_float(uint row, uint k0) {
    if (W_TYPE == T_F32)
        return vec4(uintBitsToFloat(W_u32(row + 4u * k0)), uintBitsToFloat(W_u32(row + 4u * k0 + 4u)),
                    uintBitsToFloat(W_u32(row + 4u * k0 + 8u)), uintBitsToFloat(W_u32(row + 4u * k0 + 12u)));
    const uint a = W_u32(row + 2u * k0), b = W_u32(row + 2u * k0 + 4u);  // two 32-bit reads, four values
    if (W_TYPE == T_F16) return vec4(f16_to_f32(a & 0xffffu), f16_to_f32(a >> 16), f16_to_f32(b & 0xffffu), f16_to_f32(b >> 16));
    return vec4(bf16_to_f32(a & 0xffffu), bf16_to_f32(a >> 16), bf16_to_f32(b & 0xffffu), bf16_to_f32(b >> 16));
}

vec4 w_quad(uint row, uint k0, uint k) {
    if (W_TYPE == T_F32 || W_TYPE == T_F16 || W_TYPE == T_BF16) {
        if (k0 + 4u <= k) return w_quad_float(row, k0);
        vec4 v = vec4(0.0);
        for (uint i = 0u; i < 4u; ++i) {
            if (k0 + i >= k) break;
            if (W_TYPE == T_F32) v[i] = uintBitsToFloat(W_u32(row + 4u * (k0 + i)));
            else if (W_TYPE == T_F16) v[i] = f16_to_f32(W_u16(row + 2u * (k0 + i)));
            else v[i] = bf16_to_f32(W_u16(row + 2u * (k0 + i)));
        }
        return v;
    }
    return w_quad_in(row + (k0 / w_block_elems()) * w_block_bytes(), k0 % w_block_elems());
}

// Elements e..e+3 (e a multiple of 4) of the quantized block that starts at byte `blk`. Kernels
// that unroll a block's quads call it with one `blk` and constant `e`, so the compiler loads each
// scale once per block.
vec4 w_quad_in(uint blk, uint e) {
    // q4_0, iq4_nl, q5_0 and q8_0 read through the offset readers (raw_buffer.glsl): their blocks
    // straddle 32-bit words. q4_1 and q5_1 blocks stay word-aligned, and K-quants are read sparsely.
    if (W_TYPE == T_Q4_0 || W_TYPE == T_IQ4_NL) {
        float d = f16_to_f32(W_u16c(blk, 0u));
        vec4 q = nibbles(W_u32c(blk, 2u + (e & 15u)), e >= 16u ? 4u : 0u);
        if (W_TYPE == T_IQ4_NL)
            return d * vec4(kvalues_iq4nl[uint(q.x)], kvalues_iq4nl[uint(q.y)], kvalues_iq4nl[uint(q.z)],
                            kvalues_iq4nl[uint(q.w)]);
        return (q - 8.0) * d;
    }
    if (W_TYPE == T_Q4_1) {
        float d = f16_to_f32(W_u16(blk)), m = f16_to_f32(W_u16(blk + 2u));
        precise vec4 p = nibbles(W_u32(blk + 4u + (e & 15u)), e >= 16u ? 4u : 0u) * d;
        if (w_has_min()) return p;
        precise vec4 r = p + m;
        return r;
    }
    if (W_TYPE == T_Q5_0 || W_TYPE == T_Q5_1) {
        const uint qh_at = W_TYPE == T_Q5_0 ? 2u : 4u;
        float d = f16_to_f32(W_u16c(blk, 0u));
        uint qh = W_u32c(blk, qh_at);
        vec4 q = nibbles(W_u32c(blk, qh_at + 4u + (e & 15u)), e >= 16u ? 4u : 0u) + 16.0 * bits4(qh, e);
        if (W_TYPE == T_Q5_0) return (q - 16.0) * d;
        float m = f16_to_f32(W_u16c(blk, 2u));
        precise vec4 p = q * d;
        if (w_has_min()) return p;
        precise vec4 r = p + m;
        return r;
    }
    if (W_TYPE == T_Q8_0) return int8s(W_u32c(blk, 2u + e)) * f16_to_f32(W_u16c(blk, 0u));
    if (W_TYPE == T_Q2_K) {
        uint sc = W_u8(blk + e / 16u);
        precise float dl = f16_to_f32(W_u16(blk + 80u)) * float(sc & 15u);
        precise float ml = f16_to_f32(W_u16(blk + 82u)) * float(sc >> 4);
        precise vec4 p = dl * crumbs(W_u32(blk + 16u + 32u * (e / 128u) + e % 32u), 2u * ((e % 128u) / 32u));
        precise vec4 r = p - ml;
        return r;
    }
    if (W_TYPE == T_Q3_K) {
        uint j = e / 16u;
        uint low = j < 8u ? W_u8(blk + 96u + j) & 15u : W_u8(blk + 96u + j - 8u) >> 4;
        uint high = (W_u8(blk + 104u + j % 4u) >> (2u * (j / 4u))) & 3u;
        precise float dl = f16_to_f32(W_u16(blk + 108u)) * float(int(low | (high << 4)) - 32);
        vec4 q = crumbs(W_u32(blk + 32u + 32u * (e / 128u) + e % 32u), 2u * ((e % 128u) / 32u)) -
                 4.0 * (1.0 - bits_of_bytes(W_u32(blk + e % 32u), e / 32u));
        return dl * q;
    }
    if (W_TYPE == T_Q4_K || W_TYPE == T_Q5_K) {
        uint j = e / 32u;
        float sc, m;
        k4_scale_min(blk + 4u, j, sc, m);
        precise float dj = f16_to_f32(W_u16(blk)) * sc;
        precise float mj = f16_to_f32(W_u16(blk + 2u)) * m;
        const uint qs_at = W_TYPE == T_Q4_K ? 16u : 48u;
        vec4 q = nibbles(W_u32(blk + qs_at + 32u * (j / 2u) + e % 32u), 4u * (j % 2u));
        if (W_TYPE == T_Q5_K) q += 16.0 * bits_of_bytes(W_u32(blk + 16u + e % 32u), j);
        precise vec4 p = dj * q;
        precise vec4 r = p - mj;
        return r;
    }
    // T_Q6_K
    uint h = e / 128u, l = e % 128u, g = l / 32u, i = l % 32u;
    vec4 lo = nibbles(W_u32(blk + 64u * h + i + 32u * (g & 1u)), 4u * (g >> 1));
    vec4 hi = crumbs(W_u32(blk + 128u + 32u * h + i), 2u * g);
    precise float ds = f16_to_f32(W_u16(blk + 208u)) * float(int(W_u8(blk + 192u + 8u * h + i / 16u + 2u * g) << 24) >> 24);
    return ds * (lo + 16.0 * hi - 32.0);
}

// Mins of blocks b0..b0+3 of a q4_1/q5_1 row (0 past the row's `nb` blocks).
vec4 w_mins4(uint row, uint b0, uint nb) {
    vec4 m = vec4(0.0);
    for (uint i = 0u; i < 4u; ++i)
        if (b0 + i < nb) m[i] = f16_to_f32(W_u16(row + (b0 + i) * w_block_bytes() + 2u));
    return m;
}

// A matmul's view of a row: k values, then (q4_1/q5_1) one min per block up to k_ext.
vec4 w_quad_ext(uint row, uint k0, uint k) {
    if (k0 < k) return w_quad(row, k0, k);
    return w_mins4(row, k0 - k, k / 32u);
}
