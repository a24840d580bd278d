#pragma once
// Perplexity of a model over a token stream, computed the way llama.cpp's perplexity tool does so
// that the two can be compared number for number: windows of n_ctx tokens (the first replaced by
// BOS when the model adds one), each evaluated from an empty cache, only the second half of each
// window scored (every scored token sees at least n_ctx/2 tokens of context).
#include <hearth/backend.hpp>
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/session.hpp>
#include <algorithm>
#include <cmath>
#include <functional>
#include <span>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN

struct perplexity_result {
    double ppl = 0.0, ppl_stderr = 0.0;
    std::size_t chunks = 0, scored = 0;
};

// Negative log-likelihood of `target` under softmax(logits), accumulated in double.
inline double token_nll(std::span<const float> logits, std::int32_t target) {
    const float mx = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits) sum += std::exp(static_cast<double>(l - mx));
    return -(static_cast<double>(logits[static_cast<std::size_t>(target)] - mx) - std::log(sum));
}

// `tokens` as the model's tokenizer produced them with its BOS rule. `on_chunk(i, ppl_so_far)` is
// called after each window (for progress output); n_batch tokens are fed per forward pass.
template <backend B>
perplexity_result perplexity(session<B>& s, std::span<const std::int32_t> tokens, std::uint32_t n_ctx,
                             std::uint32_t n_batch, bool add_bos, std::int32_t bos,
                             const std::function<void(std::size_t, double)>& on_chunk = {}) {
    const std::size_t n_vocab = s.get_model().config().n_vocab;
    const std::size_t n_chunks = tokens.size() / n_ctx;
    if (n_ctx < 2 || n_chunks == 0)
        throw error(errc::invalid_argument, "perplexity: the text has " + std::to_string(tokens.size()) +
                                                " tokens, fewer than one window of " + std::to_string(n_ctx));
    n_batch = std::max(1u, n_batch);
    const std::size_t first = n_ctx / 2;
    double nll = 0.0, nll2 = 0.0;
    std::size_t count = 0;
    std::vector<std::int32_t> window;
    for (std::size_t c = 0; c < n_chunks; ++c) {
        s.reset();
        window.assign(tokens.begin() + c * n_ctx, tokens.begin() + (c + 1) * n_ctx);
        if (add_bos) window[0] = bos;
        for (std::size_t b = 0; b < n_ctx; b += n_batch) {
            const std::size_t n = std::min<std::size_t>(n_batch, n_ctx - b);
            const bool scored_here = b + n > first;
            const auto logits = s.decode(std::span(window).subspan(b, n), scored_here);
            if (!scored_here) continue;
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t pos = b + i;  // this row predicts token pos + 1
                if (pos < first || pos + 1 >= n_ctx) continue;
                const double v = token_nll(logits.subspan(i * n_vocab, n_vocab), tokens[c * n_ctx + pos + 1]);
                nll += v, nll2 += v * v, ++count;
            }
        }
        if (on_chunk) on_chunk(c, std::exp(nll / static_cast<double>(count)));
    }
    perplexity_result r;
    const double mean = nll / static_cast<double>(count), var = nll2 / static_cast<double>(count) - mean * mean;
    r.ppl = std::exp(mean);
    r.ppl_stderr = count > 1 ? r.ppl * std::sqrt(std::max(0.0, var) / static_cast<double>(count - 1)) : 0.0;
    r.chunks = n_chunks, r.scored = count;
    return r;
}

HEARTH_NAMESPACE_END
