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
#include <array>
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
// Tokens of a prompt served together (their queries share every key and value read), and the
// widest score tile (queries per dot call).
inline constexpr std::size_t attention_token_block = 4;
inline constexpr int attention_dot_columns = 8;
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
    // A q8_0 cache row is written the way llama.cpp's CPU build writes it on this instruction set
    // (its SET_ROWS uses the SIMD quantize_row_q8_0, not the reference one): one level in 10^5
    // differs otherwise, and each such level shifts the attention output of its head.
    constexpr quant::q8_rounding cache_rounding = activation_rounding<Arch>;
    for (std::size_t i = 0; i < n_tokens; ++i) {
        const std::size_t slot = batch.slots[i];
        quant::quantize_row(kv.k_type, k.row(i), kv.k.data() + slot * kv.k_row_bytes, kw, cache_rounding);
        quant::quantize_row(kv.v_type, v.row(i), kv.v.data() + slot * kv.v_row_bytes, vw, cache_rounding);
    }

    const dtype qt = detail::key_dot_type(kv.k_type);
    const std::size_t q_bytes = row_bytes(qt, ap.head_dim_k);
    const std::uint32_t group = ap.n_head / ap.n_head_kv;
    // Work items are (block of tokens, KV head, part of its query-head group). All the queries
    // of an item meet each cell together: the key row is read from memory once and dotted against
    // all of them in a few tile calls, and the value row is expanded once for all of them. Tokens
    // are blocked only in a prompt (decode has one), and the group is split only as far as it
    // takes to give every thread work (decode: n_head_kv items, fewer than the threads for some
    // models).
    const auto work_items = [&](std::size_t tb, std::uint32_t parts) {
        return (n_tokens + tb - 1) / tb * ap.n_head_kv * parts;
    };
    std::size_t tb = detail::attention_token_block;
    while (tb > 1 && work_items(tb, 1) < 4 * std::size_t{pool.size()}) tb /= 2;
    std::uint32_t sub = group;
    while (sub % 2 == 0 && work_items(tb, group / sub) < 2 * std::size_t{pool.size()}) sub /= 2;
    const std::uint32_t splits = group / sub;
    const std::size_t n_blocks = (n_tokens + tb - 1) / tb;
    const std::size_t n_queries = tb * sub;  // per item, at most
    if (scratch.size() < pool.size()) scratch.resize(pool.size());
    for (auto& s : scratch) {
        if (s.q_conv.size() < n_queries * q_bytes) s.q_conv.resize(n_queries * q_bytes);
        if (s.v_row.size() < ap.head_dim_v) s.v_row.resize(ap.head_dim_v);
        if (s.acc.size() < n_queries * ap.head_dim_v) s.acc.resize(n_queries * ap.head_dim_v);
        if (s.scores.size() < 2 * n_queries) s.scores.resize(2 * n_queries);
        if (s.state.size() < 2 * n_queries) s.state.resize(2 * n_queries);
    }
    const float scale = ap.softcap > 0.0f ? ap.kq_scale / ap.softcap : ap.kq_scale;
    // The key type's tiles of one key row times 1..8 queries, looked up once. Each query's
    // column is summed exactly as the one-query tile sums it (the tiles keep one accumulator per
    // output), so a score does not depend on how many queries share the call.
    constexpr int max_cols = detail::attention_dot_columns;
    std::array<detail::tile_fn, max_cols> key_dot{};
    std::size_t key_units = 0;
    visit_weight_type(kv.k_type, [&](auto tc) {
        constexpr dtype T = decltype(tc)::value;
        using P = policy_of<Arch, T>;
        using table = detail::tile_table<P, 1, max_cols>;
        for (int n = 1; n <= max_cols; ++n) key_dot[n - 1] = table::get(1, n);
        key_units = P::counts_elements ? ap.head_dim_k : ap.head_dim_k / quant::traits_block_elems(T);
    });
    const float neg_inf = -std::numeric_limits<float>::infinity();

    pool.parallel_for(n_blocks * ap.n_head_kv * splits, [&](unsigned t, std::size_t begin, std::size_t end) {
        attention_scratch& s = scratch[t];
        for (std::size_t item = begin; item < end; ++item) {
            const std::size_t blk = item / (ap.n_head_kv * splits), rest = item % (ap.n_head_kv * splits);
            const std::size_t kvh = rest / splits, h0 = kvh * group + (rest % splits) * sub;
            const std::size_t i0 = blk * tb, nt = std::min(tb, n_tokens - i0), nq = nt * sub;
            // Query q = ti * sub + j: token i0 + ti, head h0 + j.
            std::int32_t max_pos = std::numeric_limits<std::int32_t>::min();
            for (std::size_t ti = 0; ti < nt; ++ti) {
                max_pos = std::max(max_pos, batch.positions[i0 + ti]);
                for (std::uint32_t j = 0; j < sub; ++j)
                    kernels<Arch>::quantize_activation(qt, q.row(i0 + ti) + (h0 + j) * ap.head_dim_k,
                                                       s.q_conv.data() + (ti * sub + j) * q_bytes, ap.head_dim_k);
            }
            float* m = s.state.data();  // running maximum per query
            float* sum = m + nq;        // running softmax denominator per query
            std::fill(m, m + nq, neg_inf);
            std::fill(sum, sum + nq, 0.0f);
            std::fill(s.acc.begin(), s.acc.begin() + nq * ap.head_dim_v, 0.0f);
            float* acc = s.acc.data();
            float* raw = s.scores.data();  // this cell's q.k per query
            float* vs = raw + nq;          // this cell's weight per query
            for (std::uint32_t c = 0; c < batch.n_cells_used; ++c) {
                const std::int32_t cp = batch.cell_pos[c], cs = batch.cell_seq[c];
                if (cp > max_pos || cs < 0) continue;
                // Which of the block's tokens this cell is visible to (causal mask, sequence, window).
                bool sees[detail::attention_token_block];
                bool any = false;
                for (std::size_t ti = 0; ti < nt; ++ti) {
                    const std::int32_t pos = batch.positions[i0 + ti];
                    sees[ti] = batch.seq_ids[i0 + ti] == cs && cp <= pos &&
                               !(ap.window && pos - cp >= static_cast<std::int32_t>(ap.window));
                    any = any || sees[ti];
                }
                if (!any) continue;
                const std::byte* krow = kv.k.data() + c * kv.k_row_bytes + kvh * kv.k_head_bytes;
                for (std::size_t q0 = 0; q0 < nq; q0 += max_cols) {
                    const std::size_t n = std::min<std::size_t>(max_cols, nq - q0);
                    key_dot[n - 1](krow, 0, s.q_conv.data() + q0 * q_bytes, q_bytes, key_units, raw + q0, 1);
                }
                // Per query, the steps of a one-query pass over the cells (same order, same
                // operations), so blocking changes no result.
                bool v_needed = false;
                for (std::size_t ti = 0; ti < nt; ++ti) {
                    if (!sees[ti]) {
                        for (std::uint32_t j = 0; j < sub; ++j) vs[ti * sub + j] = 0.0f;
                        continue;
                    }
                    for (std::size_t qi = ti * sub; qi < (ti + 1) * sub; ++qi) {
                        float sc = raw[qi] * scale;
                        if (ap.softcap > 0.0f) sc = ap.softcap * std::tanh(sc);
                        float ms = 1.0f;
                        vs[qi] = 1.0f;
                        if (sc > m[qi]) {
                            ms = std::exp(m[qi] - sc);
                            m[qi] = sc;
                            if (ms != 1.0f) cpu::scale<Arch>(acc + qi * ap.head_dim_v, ms, ap.head_dim_v);
                        } else {
                            vs[qi] = std::exp(sc - m[qi]);
                        }
                        sum[qi] = sum[qi] * ms + vs[qi];
                        v_needed = v_needed || vs[qi] != 0.0f;
                    }
                }
                if (!v_needed) continue;
                const std::byte* vrow = kv.v.data() + c * kv.v_row_bytes + kvh * kv.v_head_bytes;
                const matrix_view vhead{kv.v_type, 1, ap.head_dim_v, vrow, kv.v_head_bytes};
                const std::int32_t zero = 0;
                get_rows<Arch>(vhead, &zero, 1, s.v_row.data(), ap.head_dim_v);
                for (std::size_t ti = 0; ti < nt; ++ti) {
                    if (!sees[ti]) continue;
                    for (std::size_t qi = ti * sub; qi < (ti + 1) * sub; ++qi)
                        cpu::axpy<Arch>(vs[qi], s.v_row.data(), acc + qi * ap.head_dim_v, ap.head_dim_v);
                }
            }
            for (std::size_t ti = 0; ti < nt; ++ti)
                for (std::uint32_t j = 0; j < sub; ++j) {
                    const std::size_t qi = ti * sub + j;
                    float* o = out.row(i0 + ti) + (h0 + j) * ap.head_dim_v;
                    const float* a = acc + qi * ap.head_dim_v;
                    const float inv = sum[qi] > 0.0f ? 1.0f / sum[qi] : 0.0f;
                    for (std::uint32_t d = 0; d < ap.head_dim_v; ++d) o[d] = a[d] * inv;
                }
        }
    });
}

}  // namespace cpu
HEARTH_NAMESPACE_END
