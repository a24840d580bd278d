#pragma once
// One small description per model family: everything the shared graph needs to know about an
// architecture that the GGUF metadata does not say itself. Adding a family means adding a row
// here, not writing model code.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <array>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN

enum class ffn_activation { silu, gelu };

struct architecture {
    std::string_view name;        // general.architecture
    bool rope_neox;               // rotate pairs (i, i + n/2) instead of (2i, 2i + 1)
    bool qkv_bias;                // attn_q/k/v carry .bias tensors (qwen2)
    bool qk_norm;                 // per-head RMS norm of q and k before rope (qwen3, gemma3)
    bool fused_qkv;               // one attn_qkv tensor instead of three (phi3)
    bool fused_gate_up;           // ffn_up holds gate and up stacked (phi3)
    bool post_norms;              // extra norms after attention and after the FFN (gemma3)
    bool embed_scale_sqrt;        // embeddings multiplied by sqrt(n_embd) (gemma)
    ffn_activation activation;
    int swa_pattern;              // every n-th layer is global, the rest slide (gemma3: 6); 0 = none
    float swa_default_rope_base;  // rope base of sliding layers when the file does not say (gemma3: 10000)
    bool attn_scale_from_head_dim;// queries pre-scaled by 1/sqrt(head_dim) and kq_scale = 1 (gemma3)
};

inline constexpr std::array<architecture, 5> known_architectures{{
    //  name     neox   qkvb   qkn    fqkv   fgu    post   embs   act                    swa  swa_base  gscale
    {"llama",  false, false, false, false, false, false, false, ffn_activation::silu, 0, 0.0f,     false},
    {"qwen2",  true,  true,  false, false, false, false, false, ffn_activation::silu, 0, 0.0f,     false},
    {"qwen3",  true,  false, true,  false, false, false, false, ffn_activation::silu, 0, 0.0f,     false},
    {"gemma3", true,  false, true,  false, false, true,  true,  ffn_activation::gelu, 6, 10000.0f, true},
    {"phi3",   true,  false, false, true,  true,  false, false, ffn_activation::silu, 0, 0.0f,     false},
}};

inline const architecture& find_architecture(std::string_view name) {
    for (const auto& a : known_architectures)
        if (a.name == name) return a;
    std::string known;
    for (const auto& a : known_architectures) known += (known.empty() ? "" : ", ") + std::string(a.name);
    throw error(errc::unsupported, "unsupported model architecture '" + std::string(name) +
                                       "' (general.architecture); hearth runs: " + known);
}

HEARTH_NAMESPACE_END
