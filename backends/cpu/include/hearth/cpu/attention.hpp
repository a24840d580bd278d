#pragma once
// Attention over the quantized KV cache, flash-attention style: for each token and head group one
// pass over the visible cells with an online softmax, so memory does not grow
// with context^2 and the cache is never dequantized as a whole. Queries are converted once to the dot-product format
// of the K cache (q8_0 for q4_0/q8_0 keys, f16 for f16 keys) and dotted against the key blocks
// directly. Cells go in tiles: their scores first, then each query's softmax steps, then their
// value rows, expanded once to f32, are added into each query's accumulator held in registers.
#include <hearth/backend.hpp>
#include <hearth/cpu/attention_softmax.hpp>
#include <hearth/cpu/get_rows.hpp>
#include <hearth/cpu/kernels/kernels.hpp>
#include <hearth/cpu/ops/elementwise.hpp>
#include <hearth/cpu/thread_pool.hpp>
#include <hearth/dtype.hpp>
#include <hearth/page_buffer.hpp>
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
    zeroed_buffer k, v;  // pages faulted in as cells are written, not for the whole context up front

    kv_storage() = default;
    kv_storage(dtype kt, dtype vt, std::uint32_t cells, std::uint32_t heads, std::uint32_t hdk, std::uint32_t hdv)
        : k_type(kt), v_type(vt), n_cells(cells), n_head_kv(heads), head_dim_k(hdk), head_dim_v(hdv),
          k_row_bytes(row_bytes(kt, std::size_t{heads} * hdk)), v_row_bytes(row_bytes(vt, std::size_t{heads} * hdv)),
          k_head_bytes(row_bytes(kt, hdk)), v_head_bytes(row_bytes(vt, hdv)),
          k(k_row_bytes * cells), v(v_row_bytes * cells) {}
};

// Per-thread scratch of the attention kernel, grown on demand and kept by the backend.
struct attention_scratch {
    std::vector<std::byte> q_conv;           // the queries of a head group in the K cache's dot format
    std::vector<float> acc;                  // an accumulator per query
    std::vector<float> state;                // running maximum and denominator per query
    std::vector<std::uint32_t> cells;        // a tile of cells that some token of the block sees
    std::vector<std::uint8_t> sees;          // per tile cell: bit ti set if token ti sees it
    std::vector<std::uint8_t> v_needed;      // per tile cell: some query gives it a nonzero weight
    std::vector<float> scores;               // per tile cell, then query: q.k
    std::vector<float> rescale, weight;      // per tile cell, then query: online-softmax factors
    std::vector<float> sees_table;           // which queries see a cell, per token bits (detail::make_sees_table)
    std::vector<float> v_rows;               // the tile's value rows, expanded to f32
};

namespace detail {
// Where the float value of a query goes before it meets a key row: ggml pairs each cache type
// with the format its vec_dot expects as the second operand.
inline dtype key_dot_type(dtype k) { return quant::activation_type(k); }
// Tokens of a prompt served together (their queries share every key and value read), and the
// widest score tile (queries per dot call).
inline constexpr std::size_t attention_token_block = 4;
static_assert(attention_token_block <= 8, "which tokens see a cell is one byte of bits");
inline constexpr int attention_dot_columns = 8;
// Cells per tile: their expanded value rows take 16 KiB, so they stay in L1 while every query of
// the work item adds them up.
inline std::size_t attention_tile_cells(std::size_t head_dim_v) {
    return std::max<std::size_t>(8, 4096 / std::max<std::size_t>(head_dim_v, 1));
}
}  // namespace detail

// One query's accumulator (d floats) over a tile of n cells: for each cell i its token sees
// (bit `token` of sees[i]), acc *= rescale[i * stride] unless that is 1, then, if v_needed[i],
// acc += weight[i * stride] * v_rows[i * d ...]. The multiply and the fused multiply-add per element of
// scale() and axpy() (what they compile to with FMA: llama.cpp's ggml_vec_scale_f32 and
// ggml_vec_mad_f32), cell by cell, but each slice of acc stays in registers for the whole tile
// instead of being loaded and stored once per cell.
template <class Arch>
void accumulate_values(float* acc, std::size_t d, const float* v_rows, std::size_t n, const std::uint8_t* sees,
                       unsigned token, const std::uint8_t* v_needed, const float* rescale, const float* weight,
                       std::size_t stride) {
    std::size_t j = 0;
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        // Slices of R batches: 8 while they last, then 4, then single batches. Each batch is a
        // chain of dependent multiply-adds, one per cell, so R = 4 waited on the FMA latency
        // (4 cycles a cell for 4 FMAs); 8 chains keep both FMA pipes busy.
        const auto slices = [&]<std::size_t R>(std::integral_constant<std::size_t, R>) {
            for (; j + R * B::size <= d; j += R * B::size) {
                B a[R];
                for (std::size_t r = 0; r < R; ++r) a[r] = B::load_unaligned(acc + j + r * B::size);
                for (std::size_t i = 0; i < n; ++i) {
                    if (!(sees[i] >> token & 1u)) continue;
                    if (const float ms = rescale[i * stride]; ms != 1.0f)
                        for (std::size_t r = 0; r < R; ++r) a[r] = a[r] * B(ms);
                    if (!v_needed[i]) continue;
                    const B vs(weight[i * stride]);
                    const float* v = v_rows + i * d + j;
                    for (std::size_t r = 0; r < R; ++r) a[r] = xsimd::fma(B::load_unaligned(v + r * B::size), vs, a[r]);
                }
                for (std::size_t r = 0; r < R; ++r) a[r].store_unaligned(acc + j + r * B::size);
            }
        };
        slices(std::integral_constant<std::size_t, 8>{});
        slices(std::integral_constant<std::size_t, 4>{});
        slices(std::integral_constant<std::size_t, 1>{});
    }
    // The rest (all of it for the scalar reference): axpy's scalar tail, element by element.
    for (; j < d; ++j) {
        float a = acc[j];
        for (std::size_t i = 0; i < n; ++i) {
            if (!(sees[i] >> token & 1u)) continue;
            if (const float ms = rescale[i * stride]; ms != 1.0f) a = a * ms;
            if (v_needed[i]) a = v_rows[i * d + j] * weight[i * stride] + a;
        }
        acc[j] = a;
    }
}

// Stores the batch's k/v rows in their cells, then computes out = softmax(q k^T * scale) v per
// head, over the cells of the token's sequence that the causal (and sliding-window) mask allows.
// q/k/v/out: row pointers per token via the accessor functions. Scores use the arch's SIMD dot
// kernel (the same one the matmul uses), values are expanded with dequantize_row.
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
    // Query slots of a tile's arrays (cell-major): whole batches of the softmax steps.
    constexpr std::size_t lanes = detail::softmax_lanes<Arch>();
    const std::size_t ld = (n_queries + lanes - 1) / lanes * lanes;
    const std::size_t tile_cells = detail::attention_tile_cells(ap.head_dim_v);
    if (scratch.size() < pool.size()) scratch.resize(pool.size());
    const auto grow = [](auto& v, std::size_t n) {
        if (v.size() < n) v.resize(n);
    };
    for (auto& s : scratch) {
        grow(s.q_conv, n_queries * q_bytes);
        grow(s.acc, n_queries * ap.head_dim_v);
        grow(s.state, 2 * ld);
        grow(s.cells, tile_cells);
        grow(s.sees, tile_cells);
        grow(s.v_needed, tile_cells);
        grow(s.scores, tile_cells * ld);
        grow(s.rescale, tile_cells * ld);
        grow(s.weight, tile_cells * ld);
        grow(s.v_rows, tile_cells * ap.head_dim_v);
    }
    // Shared by all threads, read-only while they run (scratch[0] only keeps its storage).
    grow(scratch[0].sees_table, (std::size_t{1} << tb) * ld);
    detail::make_sees_table(tb, sub, ld, scratch[0].sees_table.data());
    const float* sees_table = scratch[0].sees_table.data();
    const float scale = ap.softcap > 0.0f ? ap.kq_scale / ap.softcap : ap.kq_scale;
    // The key type's tiles of one key row times 1..8 queries, looked up once. Each query's
    // column is summed exactly as the one-query tile sums it (the tiles keep one accumulator per
    // output), so a score does not depend on how many queries share the call.
    constexpr int max_cols = detail::attention_dot_columns;
    std::array<detail::tile_fn, max_cols> key_dot{};
    std::size_t key_units = 0;
    visit_weight_type(kv.k_type, [&](auto tc) {
        constexpr dtype T = decltype(tc)::value;
        using P = key_policy_of<Arch, T>;
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
            float* m = s.state.data();  // running maximum per query slot
            float* sum = m + ld;        // running softmax denominator per query slot
            std::fill(m, m + ld, neg_inf);
            std::fill(sum, sum + ld, 0.0f);
            std::fill(s.acc.begin(), s.acc.begin() + nq * ap.head_dim_v, 0.0f);
            float* acc = s.acc.data();
            for (std::uint32_t c = 0; c < batch.n_cells_used;) {
                // The next tile of cells that some token of the block sees (causal mask,
                // sequence, window), with which of the block's tokens see each.
                std::size_t n = 0;
                for (; c < batch.n_cells_used && n < tile_cells; ++c) {
                    const std::int32_t cp = batch.cell_pos[c], cs = batch.cell_seq[c];
                    if (cp > max_pos || cs < 0) continue;
                    std::uint8_t mask = 0;
                    for (std::size_t ti = 0; ti < nt; ++ti) {
                        const std::int32_t pos = batch.positions[i0 + ti];
                        const bool sees = batch.seq_ids[i0 + ti] == cs && cp <= pos &&
                                          !(ap.window && pos - cp >= static_cast<std::int32_t>(ap.window));
                        mask |= static_cast<std::uint8_t>(sees) << ti;
                    }
                    if (mask) s.cells[n] = c, s.sees[n++] = mask;
                }
                if (n == 0) break;
                // Per tile cell, its queries: q.k, then the factors below, for query q at q.
                float* raw = s.scores.data();
                for (std::size_t i = 0; i < n; ++i) {
                    const std::byte* krow = kv.k.data() + s.cells[i] * kv.k_row_bytes + kvh * kv.k_head_bytes;
                    for (std::size_t q0 = 0; q0 < nq; q0 += max_cols) {
                        const std::size_t nc = std::min<std::size_t>(max_cols, nq - q0);
                        key_dot[nc - 1](krow, 0, s.q_conv.data() + q0 * q_bytes, q_bytes, key_units,
                                        raw + i * ld + q0, 1);
                    }
                }
                // Each query's online-softmax steps over the tile's cells, in cell order: its
                // running maximum and sum, and per cell the factor its accumulator is rescaled by
                // (1: none) and the cell's weight. The accumulators are updated afterwards with
                // exactly these factors, in the same order, so tiling changes no result.
                const std::uint8_t* sees = s.sees.data();
                std::uint8_t* v_needed = s.v_needed.data();
                const detail::softmax_tile st{n, ld, sees, sees_table, raw, s.rescale.data(), s.weight.data(), v_needed};
                detail::softmax_steps<Arch>(st, scale, ap.softcap, m, sum);
                for (std::size_t i = 0; i < n; ++i) {
                    if (!v_needed[i]) continue;
                    const std::byte* vrow = kv.v.data() + s.cells[i] * kv.v_row_bytes + kvh * kv.v_head_bytes;
                    dequantize_row(kv.v_type, vrow, s.v_rows.data() + i * ap.head_dim_v, ap.head_dim_v);
                }
                for (std::size_t qi = 0; qi < nq; ++qi)
                    accumulate_values<Arch>(acc + qi * ap.head_dim_v, ap.head_dim_v, s.v_rows.data(), n,
                                            sees, static_cast<unsigned>(qi / sub), v_needed,
                                            st.rescale + qi, st.weight + qi, ld);
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
