#pragma once
// Hyperparameters of a model, read from the `<arch>.*` GGUF keys alone.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/model/arch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>

HEARTH_NAMESPACE_BEGIN

enum class rope_scaling { none, linear, yarn, longrope };

// Rope as ggml's rope_ext takes it (same names, same meaning), so results follow llama.cpp.
struct rope_config {
    int n_dims = 0;             // rotated dimensions per head (the rest pass through)
    bool neox = false;
    float freq_base = 10000.0f;
    float freq_scale = 1.0f;    // 1 / scaling factor
    float ext_factor = 0.0f;    // YaRN extrapolation mix; 0 = off
    float attn_factor = 1.0f;   // magnitude scale of the rotated values
    float beta_fast = 32.0f;
    float beta_slow = 1.0f;
    int n_ctx_orig = 0;
};

struct model_config {
    const architecture* arch = nullptr;
    std::uint32_t n_vocab = 0;
    std::uint32_t n_ctx_train = 0;
    std::uint32_t n_embd = 0;
    std::uint32_t n_layer = 0;
    std::uint32_t n_ff = 0;
    std::uint32_t n_head = 0;
    std::uint32_t n_head_kv = 0;
    std::uint32_t head_dim_k = 0;    // key (and query) width per head
    std::uint32_t head_dim_v = 0;    // value width per head
    float norm_eps = 1e-5f;
    rope_config rope;                // for global layers
    rope_config rope_swa;            // for sliding-window layers
    rope_scaling scaling = rope_scaling::none;
    std::uint32_t sliding_window = 0;   // 0: no layer slides
    float attn_logit_softcap = 0.0f;    // 0: off
    float final_logit_softcap = 0.0f;   // 0: off
    float query_scale = 0.0f;           // pre-attention query scale (0: none, kq scale 1/sqrt(d) instead)

    std::uint32_t n_embd_k_gqa() const { return n_head_kv * head_dim_k; }
    std::uint32_t n_embd_v_gqa() const { return n_head_kv * head_dim_v; }
    std::uint32_t n_embd_q() const { return n_head * head_dim_k; }
    bool layer_slides(std::uint32_t il) const {
        if (!sliding_window || !arch->swa_pattern) return false;
        return il % static_cast<std::uint32_t>(arch->swa_pattern) <
               static_cast<std::uint32_t>(arch->swa_pattern - 1);
    }
    const rope_config& rope_for(std::uint32_t il) const { return layer_slides(il) ? rope_swa : rope; }
};

namespace detail {
inline std::uint32_t positive(std::uint64_t v, const std::string& key) {
    if (v == 0 || v > 1u << 30)
        throw error(errc::bad_format, "model metadata " + key + " = " + std::to_string(v) +
                                          " is out of range (expected 1 .. 2^30)");
    return static_cast<std::uint32_t>(v);
}
}  // namespace detail

inline model_config read_model_config(const gguf::file& f) {
    model_config c;
    const auto arch_name = f.get<std::string>("general.architecture");
    c.arch = &find_architecture(arch_name);
    const std::string p = arch_name + ".";
    auto req = [&](const std::string& k) { return detail::positive(f.get<std::uint64_t>(p + k), p + k); };
    auto opt_u = [&](const std::string& k, std::uint32_t d) {
        auto v = f.get_optional<std::uint64_t>(p + k);
        return v ? detail::positive(*v, p + k) : d;
    };
    auto opt_f = [&](const std::string& k, float d) { return f.get_optional<float>(p + k).value_or(d); };

    c.n_ctx_train = req("context_length");
    c.n_embd = req("embedding_length");
    c.n_layer = req("block_count");
    c.n_ff = req("feed_forward_length");
    c.n_head = req("attention.head_count");
    c.n_head_kv = opt_u("attention.head_count_kv", c.n_head);
    if (c.n_head % c.n_head_kv != 0)
        throw error(errc::bad_format, p + "attention.head_count (" + std::to_string(c.n_head) +
                                          ") is not a multiple of head_count_kv (" +
                                          std::to_string(c.n_head_kv) + ")");
    c.head_dim_k = opt_u("attention.key_length", c.n_embd / c.n_head);
    c.head_dim_v = opt_u("attention.value_length", c.n_embd / c.n_head);
    // n_embd_q() and friends multiply two of these in 32 bits. Each may be up to 2^30, so a hostile
    // file could make the product wrap to a small width that matches its (tiny) tensors while the
    // attention still walks n_head x head_dim floats per row: refuse products past 2^30.
    for (const auto& [n, dim, what] : {std::tuple{c.n_head, c.head_dim_k, "key_length"},
                                       std::tuple{c.n_head, c.head_dim_v, "value_length"}})
        if (std::uint64_t{n} * dim > (std::uint64_t{1} << 30))
            throw error(errc::bad_format, p + "attention.head_count (" + std::to_string(n) + ") x " + p + "attention." +
                                              what + " (" + std::to_string(dim) + ") is out of range (expected at most 2^30)");
    c.norm_eps = opt_f("attention.layer_norm_rms_epsilon", 1e-5f);
    c.sliding_window = opt_u("attention.sliding_window", 0);
    c.attn_logit_softcap = opt_f("attn_logit_softcapping", 0.0f);
    c.final_logit_softcap = opt_f("final_logit_softcapping", 0.0f);

    if (auto v = f.get_optional<std::uint64_t>(p + "vocab_size")) c.n_vocab = detail::positive(*v, p + "vocab_size");
    else if (const auto* t = f.find_tensor("token_embd.weight")) c.n_vocab = static_cast<std::uint32_t>(t->ne[1]);

    rope_config& r = c.rope;
    r.n_dims = static_cast<int>(opt_u("rope.dimension_count", c.head_dim_k));
    if (r.n_dims > static_cast<int>(c.head_dim_k) || r.n_dims % 2)
        throw error(errc::bad_format, p + "rope.dimension_count = " + std::to_string(r.n_dims) +
                                          " must be even and at most the head size " +
                                          std::to_string(c.head_dim_k));
    r.neox = c.arch->rope_neox;
    r.freq_base = opt_f("rope.freq_base", 10000.0f);
    r.n_ctx_orig = static_cast<int>(opt_u("rope.scaling.original_context_length", c.n_ctx_train));

    const auto type = f.get_optional<std::string>(p + "rope.scaling.type").value_or("none");
    float factor = opt_f("rope.scaling.factor", 0.0f);
    if (factor == 0.0f) factor = opt_f("rope.scale_linear", 0.0f);  // older files
    if (type == "linear" || (type == "none" && factor > 0.0f && !f.contains(p + "rope.scaling.type"))) {
        c.scaling = factor > 0.0f ? rope_scaling::linear : rope_scaling::none;
    } else if (type == "yarn") {
        c.scaling = rope_scaling::yarn;
        r.ext_factor = opt_f("rope.scaling.yarn_ext_factor", 1.0f);
        r.attn_factor = opt_f("rope.scaling.attn_factor", 1.0f);
        r.beta_fast = opt_f("rope.scaling.yarn_beta_fast", 32.0f);
        r.beta_slow = opt_f("rope.scaling.yarn_beta_slow", 1.0f);
    } else if (type == "longrope") {
        c.scaling = rope_scaling::longrope;
        r.attn_factor = opt_f("rope.scaling.attn_factor", 1.0f);
    } else if (type != "none") {
        throw error(errc::unsupported, p + "rope.scaling.type '" + type +
                                           "' is not supported (hearth knows none, linear, yarn, longrope)");
    }
    if ((c.scaling == rope_scaling::linear || c.scaling == rope_scaling::yarn) && factor > 0.0f)
        r.freq_scale = 1.0f / factor;

    c.rope_swa = r;
    if (c.sliding_window && c.arch->swa_pattern) {
        c.rope_swa.freq_base = opt_f("rope.freq_base_swa", c.arch->swa_default_rope_base);
        c.rope_swa.freq_scale = 1.0f;  // scaling applies to the global layers only
        c.rope_swa.ext_factor = 0.0f;
    }
    if (c.arch->attn_scale_from_head_dim)
        c.query_scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim_k));
    return c;
}

HEARTH_NAMESPACE_END
