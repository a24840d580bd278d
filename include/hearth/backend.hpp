#pragma once
// The contract between the shared model graph and a backend. The graph (transformer<B>) is
// straight-line code over these ops; a backend decides how they run: the CPU backend runs each at
// once on its thread pool, a GPU backend records or enqueues them. Tensors are f32 activation
// matrices (rows = tokens, cols = features, rows may be strided views); weights are whatever the
// backend keeps for a GGUF tensor (the CPU backend: a view into the mapping).
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/gguf.hpp>
#include <hearth/model/config.hpp>
#include <concepts>
#include <cstdint>
#include <span>

HEARTH_NAMESPACE_BEGIN

// Which cells of the KV cache each token of a batch writes and may read.
struct attention_batch {
    std::span<const std::int32_t> positions;  // per token
    std::span<const std::int32_t> seq_ids;    // per token
    std::span<const std::uint32_t> slots;     // per token: the cell its K and V are stored in
    std::span<const std::int32_t> cell_pos;   // per cell: position held, -1 = free
    std::span<const std::int32_t> cell_seq;   // per cell: owning sequence, -1 = free
    std::uint32_t n_cells_used;               // cells past this index are all free
};

struct attention_params {
    float kq_scale = 1.0f;          // applied to q.k before the softmax
    float softcap = 0.0f;           // 0: off; else s = softcap * tanh(s / softcap)
    std::uint32_t window = 0;       // 0: full causal; else a key is visible if q_pos - k_pos < window
    std::uint32_t n_head = 0;
    std::uint32_t n_head_kv = 0;
    std::uint32_t head_dim_k = 0;
    std::uint32_t head_dim_v = 0;
};

template <class B>
concept backend = requires(B& b, typename B::tensor& t, const typename B::tensor& ct,
                           const typename B::weight& w, typename B::kv_layer& kv,
                           const gguf::tensor_view& view, std::span<const std::int32_t> ids,
                           const rope_config& rope, const attention_batch& batch,
                           const attention_params& ap, std::span<float> host) {
    typename B::tensor;
    typename B::weight;
    typename B::kv_layer;
    { b.name() } -> std::convertible_to<const char*>;
    // memory
    { b.load(view) } -> std::same_as<typename B::weight>;                // weight from the mapping
    { b.alloc(std::size_t{}, std::size_t{}) } -> std::same_as<typename B::tensor>;  // rows x cols f32
    { b.rows(ct, std::size_t{}, std::size_t{}) } -> std::same_as<typename B::tensor>;  // row range view
    { b.cols(ct, std::size_t{}, std::size_t{}) } -> std::same_as<typename B::tensor>;  // column range view
    { b.alloc_kv(dtype{}, dtype{}, std::uint32_t{}, std::uint32_t{}, std::uint32_t{}, std::uint32_t{}) }
        -> std::same_as<typename B::kv_layer>;   // k type, v type, cells, kv heads, head dim k, head dim v
    b.read(ct, host);                            // copy a tensor to host memory (row-major, packed)
    // ops (outputs may alias inputs only where noted)
    b.get_rows(w, ids, t);                       // t[i] = dequantized row ids[i] of w
    b.matmul(w, ct, t);                          // t = ct * w^T  (t.cols = w rows)
    b.add_bias(t, w);                            // t[i] += w  (in place)
    b.rms_norm(ct, &w, t, float{});              // t = ct / rms(ct) * w, per row (t may be ct)
    b.rms_norm_heads(t, w, std::uint32_t{}, float{});   // in place, per head of the given width
    b.rope(t, std::uint32_t{}, ids, rope, &w);   // in place, per head; positions; freq factors or null
    b.add(t, ct);                                // t += ct
    b.scale(t, float{});                         // t *= s
    b.hadamard(t, std::uint32_t{});              // in place, per block: orthonormal Walsh-Hadamard
    b.swiglu(ct, ct, t);                         // t = silu(gate) * up
    b.geglu(ct, ct, t);                          // t = gelu(gate) * up
    b.attention(kv, ct, ct, ct, batch, ap, t);   // store k, v of the batch in its slots, then attend
};

HEARTH_NAMESPACE_END
