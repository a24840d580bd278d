#version 450
// Attention over the KV cache for one (head, token) per workgroup, flash style: the visible cells
// are visited in chunks of 64 with an online softmax, so nothing grows with context^2 and the
// cache is never dequantized as a whole. Visibility: same sequence, position <= the token's
// (causal), and within the sliding window when there is one. The query is first rounded to the
// format the CPU dots it in (q8_0 against q8_0/q4_0 keys, f16 against f16 keys).
// Thread i owns output dimensions i, i+64, ... (head_dim_v <= 256).
#include "common.glsl"
#include "raw_buffer.glsl"
#include "cache.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint K_TYPE = 1u;
layout(constant_id = 1) const uint V_TYPE = 1u;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) writeonly buffer O { float o[]; };
RAW_BUFFER(K, 2)
RAW_BUFFER(V, 3)
layout(std430, binding = 4) readonly buffer Meta { int meta[]; };

layout(push_constant) uniform Params {
    uint q_off, q_stride, o_off, o_stride;
    uint group;                       // query heads per kv head
    uint hd_k, hd_v;
    uint k_row, v_row, k_head, v_head;  // bytes: one cell (all kv heads), one head of a cell
    uint n_cells, window;
    uint pos_off, seq_off, cpos_off, cseq_off;  // ints, in Meta
    float kq_scale, softcap;
} p;

CACHE_READERS(K, K_TYPE)
CACHE_READERS(V, V_TYPE)

const uint MAX_HD = 256u, CHUNK = 64u;
shared float qs[MAX_HD];
shared float blk_scale[MAX_HD / 32u], blk_inv[MAX_HD / 32u];
shared float score[CHUNK];
shared float prob[CHUNK];

const float NEG_INF = -1.0 / 0.0;

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y, kvh = h / p.group;
    const int pos = meta[p.pos_off + t], seq = meta[p.seq_off + t];
    const uint qb = p.q_off + t * p.q_stride + h * p.hd_k;

    const bool q8 = K_TYPE == T_Q8_0 || K_TYPE == T_Q4_0;
    if (q8 && tid < p.hd_k / 32u) {
        float amax = 0.0;
        for (uint j = 0u; j < 32u; ++j) amax = max(amax, abs(q[qb + 32u * tid + j]));
        const float d = div_rn(amax, 127.0);
        blk_inv[tid] = d != 0.0 ? div_rn(1.0, d) : 0.0;
        blk_scale[tid] = f16_to_f32(f32_to_f16(d));
    }
    barrier();
    for (uint e = tid; e < p.hd_k; e += 64u) {
        const float v = q[qb + e];
        if (q8) {
            precise float s = v * blk_inv[e / 32u];
            qs[e] = blk_scale[e / 32u] * round_away(s);
        } else {
            qs[e] = K_TYPE == T_F16 ? f16_to_f32(f32_to_f16(v)) : v;
        }
    }
    barrier();

    const float scale = p.softcap > 0.0 ? p.kq_scale / p.softcap : p.kq_scale;
    float m = NEG_INF, l = 0.0;
    float acc[4] = float[4](0.0, 0.0, 0.0, 0.0);
    for (uint c0 = 0u; c0 < p.n_cells; c0 += CHUNK) {
        const uint c = c0 + tid;
        float s = NEG_INF;
        if (c < p.n_cells) {
            const int cp = meta[p.cpos_off + c];
            const bool visible = meta[p.cseq_off + c] == seq && cp <= pos &&
                                 (p.window == 0u || uint(pos - cp) < p.window);
            if (visible) {
                const uint kh = c * p.k_row + kvh * p.k_head;
                vec4 dot4 = vec4(0.0);
                for (uint e = 0u; e < p.hd_k; e += 4u)
                    dot4 += K_quad(kh, e) * vec4(qs[e], qs[e + 1u], qs[e + 2u], qs[e + 3u]);
                s = ((dot4.x + dot4.y) + (dot4.z + dot4.w)) * scale;
                if (p.softcap > 0.0) s = p.softcap * tanh(clamp(s, -10.0, 10.0));
            }
        }
        score[tid] = s;
        barrier();
        float cmax = NEG_INF;
        for (uint j = 0u; j < CHUNK; ++j) cmax = max(cmax, score[j]);
        if (cmax != NEG_INF) {  // the same for every thread: uniform control flow
            const float m_new = max(m, cmax);
            const float alpha = m == NEG_INF ? 0.0 : exp(m - m_new);
            prob[tid] = s == NEG_INF ? 0.0 : exp(s - m_new);
            barrier();
            float lsum = 0.0;
            for (uint j = 0u; j < CHUNK; ++j) lsum += prob[j];
            l = l * alpha + lsum;
            for (uint i = 0u; i < 4u; ++i) {
                const uint d = tid + 64u * i;
                if (d >= p.hd_v) break;
                float a = acc[i] * alpha;
                for (uint j = 0u; j < CHUNK; ++j)
                    if (prob[j] != 0.0) a += prob[j] * V_elem((c0 + j) * p.v_row + kvh * p.v_head, d);
                acc[i] = a;
            }
            m = m_new;
        }
        barrier();
    }
    const float inv = l > 0.0 ? 1.0 / l : 0.0;
    for (uint i = 0u; i < 4u; ++i) {
        const uint d = tid + 64u * i;
        if (d < p.hd_v) o[p.o_off + t * p.o_stride + h * p.hd_v + d] = acc[i] * inv;
    }
}
