#pragma once
// Fuzz target body (5): arbitrary bytes as a model, run. Whatever a GGUF file claims, loading it
// into a backend (config, shape-checked weights, f32 copies of vectors), sizing a KV cache for
// it and running a forward pass (a 3-token batch with every position's logits, then one decode
// step) must end in hearth::error or in logits of the right count: never an over-read of a
// weight or activation, never an allocation sized by a claim the file's bytes do not back.
//
// The graph, cache and workspace are what model::open and session build; they are used directly
// here so the input never has to be written to a file.
#include <hearth/backend.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/model/kv_cache.hpp>
#include <hearth/model/transformer.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hearth_fuzz {

template <class B>
inline void model_one_input(B& backend, std::span<const std::byte> in) {
    const auto f = hearth::gguf::file::parse(in, "<fuzz>");
    hearth::transformer<B> graph(backend, f);
    const auto& c = graph.config();
    // f32 holds any head size; a quantized K cache too when the heads fit its blocks.
    const bool blocks_fit = c.head_dim_k % 32 == 0 && c.head_dim_v % 32 == 0;
    const hearth::cache_types types = blocks_fit ? hearth::cache_types{hearth::dtype::q4_0, hearth::dtype::q8_0}
                                                 : hearth::cache_types{hearth::dtype::f32, hearth::dtype::f32};
    hearth::kv_cache<B> cache(backend, c, 8, types);
    typename hearth::transformer<B>::workspace ws;
    std::vector<float> logits;
    const auto last = static_cast<std::int32_t>(c.n_vocab - 1);
    const std::vector<std::int32_t> prompt{0, std::min(1, last), last};
    graph.forward(cache, ws, prompt, 0, true, logits);
    if (logits.size() != prompt.size() * c.n_vocab)
        throw std::logic_error("model fuzz: " + std::to_string(logits.size()) + " logits for a batch of 3 over " +
                               std::to_string(c.n_vocab) + " tokens");
    const std::int32_t next = std::min(2, last);
    graph.forward(cache, ws, std::span<const std::int32_t>(&next, 1), 0, false, logits);
    if (logits.size() != c.n_vocab) throw std::logic_error("model fuzz: wrong logit count after a decode step");
}

}  // namespace hearth_fuzz
