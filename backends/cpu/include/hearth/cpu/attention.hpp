#pragma once
// Attention over the quantized KV cache, flash-attention style: for each token and head group one
// pass over the visible cells with an online softmax, so memory does not grow
// with context^2 and the cache is never dequantized as a whole. Queries are converted once to the dot-product format
// of the K cache (q8_0 for q4_0/q8_0 keys, f16 for f16 keys) and dotted against the key blocks
// directly; value rows are expanded one head-row at a time into the f32 accumulator.
#include <hearth/backend.hpp>
#include <hearth/cpu/get_rows.hpp>
#include <hearth/cpu/kernels/kernels.hpp>
#include <hearth/cpu/ops/elementwise.hpp>
#include <hearth/cpu/thread_pool.hpp>
#include <hearth/dtype.hpp>
#include <hearth/quant.hpp>
#include <algorithm>
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
    std::vector<std::byte> q_conv;  // the queries of a head group in the K cache's dot format
    std::vector<float> v_row, acc;  // one expanded value row; an accumulator per head
    std::vector<float> scores;      // one cell's softmax weight per head
    std::vector<float> state;       // running maximum and denominator per head
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
    const std::uint32_t group = ap.n_head / ap.n_head_kv;
    // The query heads that share a KV head are served together: each key row is read from
    // memory once for all of them, each value row expanded once. The group is split only as far
    // as it takes to give every thread work (decode has one token: n_head_kv items, fewer than
    // the threads for some models).
    std::uint32_t sub = group;
    while (sub % 2 == 0 && n_tokens * ap.n_head_kv * (group / sub) < 2 * std::size_t{pool.size()}) sub /= 2;
    const std::uint32_t splits = group / sub;
    if (scratch.size() < pool.size()) scratch.resize(pool.size());
    for (auto& s : scratch) {
        if (s.q_conv.size() < sub * q_bytes) s.q_conv.resize(sub * q_bytes);
        if (s.v_row.size() < ap.head_dim_v) s.v_row.resize(ap.head_dim_v);
        if (s.acc.size() < std::size_t{sub} * ap.head_dim_v) s.acc.resize(std::size_t{sub} * ap.head_dim_v);
        if (s.scores.size() < sub) s.scores.resize(sub);
        if (s.state.size() < 2 * std::size_t{sub}) s.state.resize(2 * std::size_t{sub});
    }
    const float scale = ap.softcap > 0.0f ? ap.kq_scale / ap.softcap : ap.kq_scale;
    // The one-row dot tile of the key type, looked up once: kernels::dot reaches the same tile
    // through the dtype switch and the row-range driver on every call, which cost more than the
    // dot of a 64-element head.
    detail::tile_fn key_dot = nullptr;
    std::size_t key_units = 0;
    visit_weight_type(kv.k_type, [&](auto tc) {
        constexpr dtype T = decltype(tc)::value;
        using P = policy_of<Arch, T>;
        key_dot = &P::template tile<1, 1>;
        key_units = P::counts_elements ? ap.head_dim_k : ap.head_dim_k / quant::traits_block_elems(T);
    });
    const float neg_inf = -std::numeric_limits<float>::infinity();

    pool.parallel_for(n_tokens * ap.n_head_kv * splits, [&](unsigned t, std::size_t begin, std::size_t end) {
        attention_scratch& s = scratch[t];
        for (std::size_t item = begin; item < end; ++item) {
            const std::size_t i = item / (ap.n_head_kv * splits), rest = item % (ap.n_head_kv * splits);
            const std::size_t kvh = rest / splits, h0 = kvh * group + (rest % splits) * sub;
            const std::int32_t pos = batch.positions[i], seq = batch.seq_ids[i];
            for (std::uint32_t j = 0; j < sub; ++j)
                kernels<Arch>::quantize_activation(qt, q.row(i) + (h0 + j) * ap.head_dim_k, s.q_conv.data() + j * q_bytes,
                                                   ap.head_dim_k);
            float* m = s.state.data();  // running maximum per head
            float* sum = m + sub;       // running softmax denominator per head
            std::fill(m, m + sub, neg_inf);
            std::fill(sum, sum + sub, 0.0f);
            std::fill(s.acc.begin(), s.acc.begin() + std::size_t{sub} * ap.head_dim_v, 0.0f);
            float* acc = s.acc.data();
            for (std::uint32_t c = 0; c < batch.n_cells_used; ++c) {
                const std::int32_t cp = batch.cell_pos[c];
                if (batch.cell_seq[c] != seq || cp > pos) continue;
                if (ap.window && pos - cp >= static_cast<std::int32_t>(ap.window)) continue;
                // The key row is read from memory once and stays in L1 for the other heads; the
                // value row is expanded once for all of them. Per head, the operations are those
                // of a one-head pass (same dot kernel, same online-softmax steps), so grouping
                // changes no result.
                const std::byte* krow = kv.k.data() + c * kv.k_row_bytes + kvh * kv.k_head_bytes;
                float* vs = s.scores.data();  // this cell's weight per head
                bool v_needed = false;
                for (std::uint32_t j = 0; j < sub; ++j) {
                    float sc = 0.0f;
                    key_dot(krow, 0, s.q_conv.data() + j * q_bytes, 0, key_units, &sc, 1);
                    sc *= scale;
                    if (ap.softcap > 0.0f) sc = ap.softcap * std::tanh(sc);
                    float ms = 1.0f;
                    vs[j] = 1.0f;
                    if (sc > m[j]) {
                        ms = std::exp(m[j] - sc);
                        m[j] = sc;
                        if (ms != 1.0f) cpu::scale<Arch>(acc + j * ap.head_dim_v, ms, ap.head_dim_v);
                    } else {
                        vs[j] = std::exp(sc - m[j]);
                    }
                    sum[j] = sum[j] * ms + vs[j];
                    v_needed = v_needed || vs[j] != 0.0f;
                }
                if (!v_needed) continue;
                const std::byte* vrow = kv.v.data() + c * kv.v_row_bytes + kvh * kv.v_head_bytes;
                const matrix_view vhead{kv.v_type, 1, ap.head_dim_v, vrow, kv.v_head_bytes};
                const std::int32_t zero = 0;
                get_rows<Arch>(vhead, &zero, 1, s.v_row.data(), ap.head_dim_v);
                for (std::uint32_t j = 0; j < sub; ++j)
                    cpu::axpy<Arch>(vs[j], s.v_row.data(), acc + j * ap.head_dim_v, ap.head_dim_v);
            }
            for (std::uint32_t j = 0; j < sub; ++j) {
                float* o = out.row(i) + (h0 + j) * ap.head_dim_v;
                const float* acc = s.acc.data() + j * ap.head_dim_v;
                const float inv = sum[j] > 0.0f ? 1.0f / sum[j] : 0.0f;
                for (std::uint32_t d = 0; d < ap.head_dim_v; ++d) o[d] = acc[d] * inv;
            }
        }
    });
}

}  // namespace cpu
HEARTH_NAMESPACE_END
