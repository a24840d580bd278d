#pragma once
// Attention over the quantized KV cache, flash-attention style: for each query (token, head) one
// pass over the visible cells with an online softmax, so memory does not grow with context^2 and
// the cache is never dequantized as a whole. Queries are converted once to the dot-product format
// of the K cache (q8_0 for q4_0/q8_0 keys, f16 for f16 keys) and dotted against the key blocks
// directly; value rows are expanded one head-row at a time into the f32 accumulator.
#include <hearth/backend.hpp>
#include <hearth/cpu/get_rows.hpp>
#include <hearth/cpu/kernels/kernels.hpp>
#include <hearth/cpu/ops/elementwise.hpp>
#include <hearth/cpu/thread_pool.hpp>
#include <hearth/dtype.hpp>
#include <hearth/quant.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

// K and V of one layer for every cell: row c holds all kv heads of the token in cell c.
struct kv_storage {
    dtype k_type = dtype::f16, v_type = dtype::f16;
    std::uint32_t n_cells = 0, n_head_kv = 0, head_dim_k = 0, head_dim_v = 0;
    std::size_t k_row_bytes = 0, v_row_bytes = 0;    // one cell, all heads
    std::size_t k_head_bytes = 0, v_head_bytes = 0;  // one head of one cell
    std::vector<std::byte> k, v;

    kv_storage() = default;
    kv_storage(dtype kt, dtype vt, std::uint32_t cells, std::uint32_t heads, std::uint32_t hdk, std::uint32_t hdv)
        : k_type(kt), v_type(vt), n_cells(cells), n_head_kv(heads), head_dim_k(hdk), head_dim_v(hdv),
          k_row_bytes(row_bytes(kt, std::size_t{heads} * hdk)), v_row_bytes(row_bytes(vt, std::size_t{heads} * hdv)),
          k_head_bytes(row_bytes(kt, hdk)), v_head_bytes(row_bytes(vt, hdv)),
          k(k_row_bytes * cells), v(v_row_bytes * cells) {}
};

// Per-thread scratch of the attention kernel, grown on demand and kept by the backend.
struct attention_scratch {
    std::vector<std::byte> q_conv;  // the query in the K cache's dot format
    std::vector<float> v_row, acc;
};

namespace detail {
// Where the float value of a query goes before it meets a key row: ggml pairs each cache type
// with the format its vec_dot expects as the second operand.
inline dtype key_dot_type(dtype k) { return quant::activation_type(k); }
}  // namespace detail

// Stores the batch's k/v rows in their cells, then computes out = softmax(q k^T * scale) v per
// head, over the cells of the token's sequence that the causal (and sliding-window) mask allows.
// q/k/v/out: row pointers per token via the accessor functions. Scores use the arch's SIMD dot
// kernel (the same one the matmul uses), values are expanded with its get_rows kernel.
template <class Arch, class Tensor>
void attention(thread_pool& pool, std::vector<attention_scratch>& scratch, kv_storage& kv,
                         const Tensor& q, const Tensor& k, const Tensor& v, const attention_batch& batch,
                         const attention_params& ap, Tensor& out) {
    const std::size_t n_tokens = batch.positions.size();
    const std::size_t kw = std::size_t{ap.n_head_kv} * ap.head_dim_k;
    const std::size_t vw = std::size_t{ap.n_head_kv} * ap.head_dim_v;
    for (std::size_t i = 0; i < n_tokens; ++i) {
        const std::size_t slot = batch.slots[i];
        quant::quantize_row(kv.k_type, k.row(i), kv.k.data() + slot * kv.k_row_bytes, kw);
        quant::quantize_row(kv.v_type, v.row(i), kv.v.data() + slot * kv.v_row_bytes, vw);
    }

    const dtype qt = detail::key_dot_type(kv.k_type);
    const std::size_t q_bytes = row_bytes(qt, ap.head_dim_k);
    if (scratch.size() < pool.size()) scratch.resize(pool.size());
    for (auto& s : scratch) {
        if (s.q_conv.size() < q_bytes) s.q_conv.resize(q_bytes);
        if (s.v_row.size() < ap.head_dim_v) s.v_row.resize(ap.head_dim_v), s.acc.resize(ap.head_dim_v);
    }
    const std::uint32_t group = ap.n_head / ap.n_head_kv;
    const float scale = ap.softcap > 0.0f ? ap.kq_scale / ap.softcap : ap.kq_scale;

    pool.parallel_for(n_tokens * ap.n_head, [&](unsigned t, std::size_t begin, std::size_t end) {
        attention_scratch& s = scratch[t];
        float* acc = s.acc.data();
        for (std::size_t item = begin; item < end; ++item) {
            const std::size_t i = item / ap.n_head, h = item % ap.n_head, kvh = h / group;
            const std::int32_t pos = batch.positions[i], seq = batch.seq_ids[i];
            kernels<Arch>::quantize_activation(qt, q.row(i) + h * ap.head_dim_k, s.q_conv.data(), ap.head_dim_k);
            float m = -std::numeric_limits<float>::infinity(), sum = 0.0f;
            std::fill(acc, acc + ap.head_dim_v, 0.0f);
            for (std::uint32_t c = 0; c < batch.n_cells_used; ++c) {
                const std::int32_t cp = batch.cell_pos[c];
                if (batch.cell_seq[c] != seq || cp > pos) continue;
                if (ap.window && pos - cp >= static_cast<std::int32_t>(ap.window)) continue;
                const std::byte* krow = kv.k.data() + c * kv.k_row_bytes + kvh * kv.k_head_bytes;
                float sc = kernels<Arch>::dot(kv.k_type, krow, s.q_conv.data(), ap.head_dim_k) * scale;
                if (ap.softcap > 0.0f) sc = ap.softcap * std::tanh(sc);
                float ms = 1.0f, vs = 1.0f;
                if (sc > m) {
                    ms = std::exp(m - sc);
                    m = sc;
                    if (ms != 1.0f) cpu::scale<Arch>(acc, ms, ap.head_dim_v);
                } else {
                    vs = std::exp(sc - m);
                }
                const std::byte* vrow = kv.v.data() + c * kv.v_row_bytes + kvh * kv.v_head_bytes;
                const matrix_view vhead{kv.v_type, 1, ap.head_dim_v, vrow, kv.v_head_bytes};
                const std::int32_t zero = 0;
                get_rows<Arch>(vhead, &zero, 1, s.v_row.data(), ap.head_dim_v);
                cpu::axpy<Arch>(vs, s.v_row.data(), acc, ap.head_dim_v);
                sum = sum * ms + vs;
            }
            float* o = out.row(i) + h * ap.head_dim_v;
            const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
            for (std::uint32_t d = 0; d < ap.head_dim_v; ++d) o[d] = acc[d] * inv;
        }
    });
}

}  // namespace cpu
HEARTH_NAMESPACE_END
