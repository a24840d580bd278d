#pragma once
// A session's KV cache: cell bookkeeping in host memory, K and V bytes in the backend's memory,
// each with its own dtype (default K = q4_0, V = q8_0). Sized once, up front, from the config.
#include <hearth/backend.hpp>
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <hearth/kv_cells.hpp>
#include <hearth/model/config.hpp>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN

struct cache_types {
    dtype k = dtype::q4_0;
    dtype v = dtype::q8_0;
    // Store quantized K and V Walsh-Hadamard rotated (see kv_rotation_for). Off only to compare
    // with engines that store them plain (llama.cpp with LLAMA_ATTN_ROT_DISABLE=1).
    bool rotate = true;
};

// Block widths of the Walsh-Hadamard rotations applied around a quantized cache; 0 = none.
// Block quantization (q4_0 keeps one scale per 32 values) loses most where a few channels carry
// outliers; an orthonormal rotation spreads them over the block first. For K, q and k are both
// rotated, which leaves every q.k unchanged; for V, v is rotated before it is stored and the
// attention output is rotated back (H*H = I). The rule is llama.cpp's (its default since April
// 2026), so a quantized cache gives the same numbers in both engines: K uses the largest power of
// two >= 64 that divides the head size, V uses 64; either needs its head size to be a multiple of
// 64 and its type to be quantized (f16/f32 gain nothing).
struct kv_rotation {
    std::uint32_t k = 0, v = 0;
};

inline kv_rotation kv_rotation_for(const model_config& c, cache_types types) {
    kv_rotation r;
    if (!types.rotate) return r;
    auto quantized = [](dtype t) { return traits(t).block_elems > 1; };
    if (quantized(types.k) && c.head_dim_k % 64 == 0) {
        r.k = 64;
        while (c.head_dim_k % (2 * r.k) == 0) r.k *= 2;
    }
    if (quantized(types.v) && c.head_dim_v % 64 == 0) r.v = 64;
    return r;
}

inline bool is_cache_dtype(dtype t) {
    return t == dtype::f32 || t == dtype::f16 || t == dtype::q8_0 || t == dtype::q4_0;
}

// Throws unless K and V of this model can be stored in the requested types.
inline void check_cache_types(const model_config& c, cache_types types) {
    auto check = [&](dtype t, std::uint32_t head_dim, const char* which) {
        if (!is_cache_dtype(t))
            throw error(errc::invalid_argument,
                        std::string(which) + " cache type " + std::string(name(t)) +
                            " is not supported: use one of f32, f16, q8_0, q4_0");
        const auto block = traits(t).block_elems;
        if (head_dim % block != 0)
            throw error(errc::invalid_argument,
                        std::string(which) + " cache type " + std::string(name(t)) +
                            " stores blocks of " + std::to_string(block) +
                            " values, but this model's " + which + " head dimension is " +
                            std::to_string(head_dim) + ", not a multiple of " + std::to_string(block) +
                            ": use f16 or f32 for the " + which + " cache (-ctk/-ctv f16)");
    };
    check(types.k, c.head_dim_k, "K");
    check(types.v, c.head_dim_v, "V");
}

template <backend B>
class kv_cache {
public:
    kv_cache(B& b, const model_config& c, std::uint32_t n_ctx, cache_types types)
        : cells_(n_ctx), types_(types), rotation_(kv_rotation_for(c, types)), n_ctx_(n_ctx) {
        if (n_ctx == 0) throw error(errc::invalid_argument, "the context size must be at least 1");
        check_cache_types(c, types);
        layers_.reserve(c.n_layer);
        for (std::uint32_t il = 0; il < c.n_layer; ++il)
            layers_.push_back(b.alloc_kv(types.k, types.v, n_ctx, c.n_head_kv, c.head_dim_k, c.head_dim_v));
        bytes_per_token_ = static_cast<std::size_t>(c.n_layer) *
                           (row_bytes(types.k, c.n_embd_k_gqa()) + row_bytes(types.v, c.n_embd_v_gqa()));
    }
    kv_cells& cells() { return cells_; }
    const kv_cells& cells() const { return cells_; }
    typename B::kv_layer& layer(std::uint32_t il) { return layers_[il]; }
    cache_types types() const { return types_; }
    kv_rotation rotation() const { return rotation_; }
    std::uint32_t context_size() const { return n_ctx_; }
    std::size_t bytes_per_token() const { return bytes_per_token_; }
    std::size_t bytes() const { return bytes_per_token_ * n_ctx_; }

private:
    kv_cells cells_;
    std::vector<typename B::kv_layer> layers_;
    cache_types types_;
    kv_rotation rotation_;
    std::uint32_t n_ctx_;
    std::size_t bytes_per_token_ = 0;
};

HEARTH_NAMESPACE_END
