#pragma once
// The named tensors of a model, located and shape-checked in the GGUF file. Views only: the
// bytes stay in the mapping. A missing or mis-shaped tensor is an error naming the tensor, the
// expected shape and the shape found.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/model/config.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN

struct layer_tensors {
    const gguf::tensor_view* attn_norm = nullptr;
    const gguf::tensor_view* wq = nullptr;   // separate projections ...
    const gguf::tensor_view* wk = nullptr;
    const gguf::tensor_view* wv = nullptr;
    const gguf::tensor_view* wqkv = nullptr; // ... or one fused projection (phi3)
    const gguf::tensor_view* bq = nullptr;
    const gguf::tensor_view* bk = nullptr;
    const gguf::tensor_view* bv = nullptr;
    const gguf::tensor_view* q_norm = nullptr;
    const gguf::tensor_view* k_norm = nullptr;
    const gguf::tensor_view* wo = nullptr;
    const gguf::tensor_view* post_attn_norm = nullptr;
    const gguf::tensor_view* ffn_norm = nullptr;
    const gguf::tensor_view* ffn_gate = nullptr;  // absent when fused into ffn_up (phi3)
    const gguf::tensor_view* ffn_up = nullptr;
    const gguf::tensor_view* ffn_down = nullptr;
    const gguf::tensor_view* post_ffn_norm = nullptr;
};

struct model_tensors {
    const gguf::tensor_view* tok_embd = nullptr;
    const gguf::tensor_view* output_norm = nullptr;
    const gguf::tensor_view* output = nullptr;        // == tok_embd when the embeddings are tied
    const gguf::tensor_view* rope_freqs = nullptr;    // llama3 frequency factors
    const gguf::tensor_view* rope_factors_long = nullptr;   // phi3 long-context factors
    const gguf::tensor_view* rope_factors_short = nullptr;
    std::vector<layer_tensors> layers;
};

namespace detail {
inline std::string shape_string(const std::vector<std::uint64_t>& s) {
    std::string r = "[";
    for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

class tensor_finder {
public:
    tensor_finder(const gguf::file& f, const model_config& c) : f_(f), c_(c) {}

    // ggml order: shape[0] is the row length (input features), shape[1] the rows (outputs).
    const gguf::tensor_view* require(const std::string& name, std::vector<std::uint64_t> shape) const {
        const auto* t = f_.find_tensor(name);
        if (!t)
            throw error(errc::not_found, "model '" + std::string(c_.arch->name) + "' needs tensor " +
                                             name + " with shape " + shape_string(shape) +
                                             ", which the file does not contain");
        check(*t, shape);
        return t;
    }
    const gguf::tensor_view* optional(const std::string& name, std::vector<std::uint64_t> shape) const {
        const auto* t = f_.find_tensor(name);
        if (t) check(*t, shape);
        return t;
    }

private:
    void check(const gguf::tensor_view& t, const std::vector<std::uint64_t>& shape) const {
        std::vector<std::uint64_t> found(t.ne.begin(), t.ne.begin() + t.n_dims);
        while (found.size() > shape.size() && found.back() == 1) found.pop_back();
        std::vector<std::uint64_t> want = shape;
        while (found.size() < want.size()) found.push_back(1);
        if (found != want)
            throw error(errc::bad_format, "tensor " + std::string(t.name) + " has shape " +
                                              shape_string(found) + ", expected " + shape_string(want) +
                                              " for this '" + std::string(c_.arch->name) + "' model");
        if (!traits(t.type).computable)
            throw error(errc::unsupported, "tensor " + std::string(t.name) + " uses type " +
                                               std::string(name(t.type)) +
                                               ", which hearth cannot compute with yet");
    }
    const gguf::file& f_;
    const model_config& c_;
};
}  // namespace detail

inline model_tensors find_model_tensors(const gguf::file& f, const model_config& c) {
    detail::tensor_finder find(f, c);
    const std::uint64_t e = c.n_embd, q = c.n_embd_q(), k = c.n_embd_k_gqa(), v = c.n_embd_v_gqa();
    model_tensors m;
    m.tok_embd = find.require("token_embd.weight", {e, c.n_vocab});
    m.output_norm = find.require("output_norm.weight", {e});
    m.output = find.optional("output.weight", {e, c.n_vocab});
    if (!m.output) m.output = m.tok_embd;  // tied embeddings
    const std::uint64_t half_rot = static_cast<std::uint64_t>(c.rope.n_dims / 2);
    m.rope_freqs = find.optional("rope_freqs.weight", {half_rot});
    m.rope_factors_long = find.optional("rope_factors_long.weight", {half_rot});
    m.rope_factors_short = find.optional("rope_factors_short.weight", {half_rot});

    // Grow one layer at a time: block_count is the file's claim (up to 2^30), and a layer is only
    // kept once its tensors were found, so a hostile count fails at the first missing tensor
    // instead of allocating 2^30 layers up front (found by fuzz_gguf).
    m.layers.reserve(std::min<std::size_t>(c.n_layer, f.tensors().size()));
    for (std::uint32_t il = 0; il < c.n_layer; ++il) {
        auto& L = m.layers.emplace_back();
        const std::string b = "blk." + std::to_string(il) + ".";
        L.attn_norm = find.require(b + "attn_norm.weight", {e});
        if (c.arch->fused_qkv) {
            L.wqkv = find.require(b + "attn_qkv.weight", {e, q + k + v});
        } else {
            L.wq = find.require(b + "attn_q.weight", {e, q});
            L.wk = find.require(b + "attn_k.weight", {e, k});
            L.wv = find.require(b + "attn_v.weight", {e, v});
        }
        if (c.arch->qkv_bias) {
            L.bq = find.require(b + "attn_q.bias", {q});
            L.bk = find.require(b + "attn_k.bias", {k});
            L.bv = find.require(b + "attn_v.bias", {v});
        }
        if (c.arch->qk_norm) {
            L.q_norm = find.require(b + "attn_q_norm.weight", {c.head_dim_k});
            L.k_norm = find.require(b + "attn_k_norm.weight", {c.head_dim_k});
        }
        L.wo = find.require(b + "attn_output.weight", {c.n_head * c.head_dim_v, e});
        if (c.arch->post_norms) {
            L.post_attn_norm = find.require(b + "post_attention_norm.weight", {e});
            L.post_ffn_norm = find.require(b + "post_ffw_norm.weight", {e});
        }
        L.ffn_norm = find.require(b + "ffn_norm.weight", {e});
        if (c.arch->fused_gate_up) {
            L.ffn_up = find.require(b + "ffn_up.weight", {e, 2ull * c.n_ff});
        } else {
            L.ffn_gate = find.require(b + "ffn_gate.weight", {e, c.n_ff});
            L.ffn_up = find.require(b + "ffn_up.weight", {e, c.n_ff});
        }
        L.ffn_down = find.require(b + "ffn_down.weight", {c.n_ff, e});
    }
    return m;
}

HEARTH_NAMESPACE_END
