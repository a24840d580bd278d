#pragma once
// Host twins of the KV store and the attention kernels.
//   - kv_store: every block through the same HEARTH_CUDA_HD quantizer as the kernel: the bytes
//     must be identical (and identical to hearth::quant's reference quantizers, tested).
//   - attention: the CPU backend's algorithm, one (token, head) at a time: the query rounded to
//     the key cache's dot format, one score per visible cell (same sequence, position <= the
//     token's, inside the sliding window), an online softmax over the cells in cell order, values
//     read element by element. The kernel splits the cells over warps and blocks and merges the
//     partial softmaxes, so it agrees with this to float rounding.
#include <hearth/cuda/activations.hpp>
#include <hearth/cuda/kv_blocks.hpp>
#include <hearth/cuda/op_args.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

// Whether cell c may be attended by a token at position pos of sequence seq.
HEARTH_CUDA_HD bool cell_visible(const attention_args& a, std::uint32_t c, std::int32_t pos, std::int32_t seq) {
    const std::int32_t cp = a.cell_pos[c];
    if (a.cell_seq[c] != seq || cp > pos) return false;
    return a.window == 0 || pos - cp < static_cast<std::int32_t>(a.window);
}

// The query head rounded to the key's dot format: one activation row of hd values.
HEARTH_CUDA_HD void convert_query(dtype k_type, const float* q, std::size_t hd, std::uint8_t* row) {
    const act_kind qk = query_kind(k_type);
    const act_layout l = layout_of(qk, hd);
    if (qk == act_kind::q8_0)
        for (std::size_t g = 0; g < hd / 32; ++g) quantize_group_q8<false>(q + 32 * g, row, l, g);
    else
        for (std::size_t i = 0; i < hd; ++i) store_act_float(qk, row, i, q[i]);
}

HEARTH_CUDA_HD float cap_score(float s, float softcap) { return softcap > 0.0f ? softcap * ::tanhf(s) : s; }

namespace reference {

inline void kv_store(const kv_store_args& a) {
    const std::size_t be = kv_block_elems(a.type);
    for (std::size_t i = 0; i < a.n; ++i) {
        std::uint8_t* row = a.cache + static_cast<std::size_t>(a.slots[i]) * a.cache_row_bytes;
        for (std::size_t b = 0; b < a.width / be; ++b) store_kv_block(a.type, a.src + i * a.src_stride + b * be, row, b);
    }
}

inline void attention(const attention_args& a) {
    const std::uint32_t group = a.n_head / a.n_head_kv;
    const act_layout ql = layout_of(query_kind(a.k_type), a.head_dim_k);
    std::vector<std::uint8_t> qrow(ql.row_bytes);
    std::vector<float> acc(a.head_dim_v);
    for (std::size_t i = 0; i < a.n_tokens; ++i)
        for (std::uint32_t h = 0; h < a.n_head; ++h) {
            const std::uint32_t kvh = h / group;
            const std::int32_t pos = a.positions[i], seq = a.seq_ids[i];
            convert_query(a.k_type, a.q + i * a.q_stride + std::size_t{h} * a.head_dim_k, a.head_dim_k, qrow.data());
            float m = -std::numeric_limits<float>::infinity(), sum = 0.0f;
            std::fill(acc.begin(), acc.end(), 0.0f);
            for (std::uint32_t c = 0; c < a.n_cells; ++c) {
                if (!cell_visible(a, c, pos, seq)) continue;
                const std::uint8_t* krow = a.k + c * a.k_row_bytes + kvh * a.k_head_bytes;
                const float sc = cap_score(kv_key_dot(a.k_type, krow, qrow.data(), ql, a.head_dim_k) * a.scale, a.softcap);
                float ms = 1.0f, vs = 1.0f;
                if (sc > m) {
                    ms = std::exp(m - sc);
                    m = sc;
                    for (auto& x : acc) x *= ms;
                } else {
                    vs = std::exp(sc - m);
                }
                const std::uint8_t* vrow = a.v + c * a.v_row_bytes + kvh * a.v_head_bytes;
                for (std::uint32_t d = 0; d < a.head_dim_v; ++d) acc[d] += vs * kv_element(a.v_type, vrow, d);
                sum = sum * ms + vs;
            }
            float* o = a.out + i * a.out_stride + std::size_t{h} * a.head_dim_v;
            const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
            for (std::uint32_t d = 0; d < a.head_dim_v; ++d) o[d] = acc[d] * inv;
        }
}

}  // namespace reference
}  // namespace cuda
HEARTH_NAMESPACE_END
