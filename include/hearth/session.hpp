#pragma once
// hearth::session<B>: one conversation with a model. It owns a KV cache (K and V each in their
// own dtype), the scratch of the forward pass and a sampler; generate() yields text pieces as
// they are decoded. Several sessions may share one model.
#include <hearth/backend.hpp>
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/model.hpp>
#include <hearth/sampling.hpp>
#include <hearth/tokenizer.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HEARTH_NAMESPACE_BEGIN

struct session_params {
    std::uint32_t context = 4096;  // tokens the cache holds
    cache_types cache{};           // K and V dtypes (default q4_0 / q8_0)
    // A long prompt goes through the model this many tokens at a time: the activations of a
    // batch grow with it (a 4k-token prompt in one pass would hold 4k rows of every FFN
    // activation), while a few hundred tokens already keep the matmuls on their fast path.
    std::uint32_t batch = 512;
};

// Called after each batch of a prompt: tokens fed so far, tokens in the prompt.
using progress_callback = std::function<void(std::size_t done, std::size_t total)>;

struct generate_params {
    int max_tokens = 128;
    sampling_params sampling{};
    std::vector<std::string> stop;                // generation ends before any of these strings
    bool stop_at_eog = true;                      // end at end-of-generation tokens (EOS, EOT, ...)
    bool add_special = true;                      // BOS/EOS as the file asks, for the prompt
    bool parse_special = true;                    // special-token texts in the prompt become tokens
    const std::atomic<bool>* cancel = nullptr;    // set from another thread to stop
    progress_callback on_prompt_progress;         // optional: prompt processing progress
};

struct piece {
    std::string text;                  // complete UTF-8 (may be empty while a character is split)
    token_id token = -1;
    float logprob = 0.0f;              // of the chosen token
    std::vector<token_candidate> top;  // the n_probs best alternatives, when requested
};

struct generation_stats {
    std::size_t prompt_tokens = 0, generated_tokens = 0;
    double prompt_seconds = 0.0, generate_seconds = 0.0;
    enum class end { length, eog, stop_string, cancelled, context_full } reason = end::length;
};

template <backend B>
class session {
public:
    session(std::shared_ptr<const model<B>> m, session_params p = {})
        : model_(std::move(m)), params_(p), cache_(model_->backend_ref(), model_->config(), p.context, p.cache) {}

    const model<B>& get_model() const { return *model_; }
    kv_cache<B>& cache() { return cache_; }
    std::int32_t position() const { return cache_.cells().next_position(seq_); }
    void reset() { cache_.cells().clear(seq_), history_.clear(); }
    // Drops everything from position `pos` on (e.g. to regenerate an answer).
    void truncate(std::int32_t pos) {
        cache_.cells().truncate(seq_, pos);
        if (pos < static_cast<std::int32_t>(history_.size())) history_.resize(static_cast<std::size_t>(pos));
    }
    const std::vector<token_id>& history() const { return history_; }

    // Feeds tokens; returns the logits after the last one (all tokens' with all_logits).
    std::span<const float> decode(std::span<const token_id> tokens, bool all_logits = false) {
        if (tokens.empty()) throw error(errc::invalid_argument, "decode() needs at least one token");
        if (static_cast<std::size_t>(position()) + tokens.size() > cache_.context_size())
            throw error(errc::out_of_range,
                        std::to_string(tokens.size()) + " tokens do not fit: the session holds " +
                            std::to_string(position()) + " of " + std::to_string(cache_.context_size()) +
                            " context tokens (raise the context size with -c)");
        model_->graph().forward(cache_, ws_, tokens, seq_, all_logits, logits_);
        history_.insert(history_.end(), tokens.begin(), tokens.end());
        return logits_;
    }
    std::span<const float> logits() const { return logits_; }

    // Feeds a prompt in batches of session_params::batch tokens; returns the logits after the
    // last token. `cancel` is checked between batches (returns false then, with the tokens fed so
    // far kept); `progress` is called after each batch.
    bool prefill(std::span<const token_id> tokens, const progress_callback& progress = {},
                 const std::atomic<bool>* cancel = nullptr) {
        if (tokens.empty()) throw error(errc::invalid_argument, "prefill() needs at least one token");
        if (static_cast<std::size_t>(position()) + tokens.size() > cache_.context_size())
            decode(tokens);  // throws the context-size error before any work
        const std::size_t step = std::max<std::uint32_t>(params_.batch, 1);
        for (std::size_t done = 0; done < tokens.size();) {
            if (cancel && cancel->load(std::memory_order_relaxed)) return false;
            const std::size_t n = std::min(step, tokens.size() - done);
            decode(tokens.subspan(done, n));
            done += n;
            if (progress) progress(done, tokens.size());
        }
        return true;
    }

    // Tokenizes `prompt`, feeds it, then samples up to max_tokens, calling on_piece for each one
    // (return false from it to stop). The prompt must fit the context: checked before any work.
    generation_stats generate(std::string_view prompt, const generate_params& gp,
                              const std::function<bool(const piece&)>& on_piece) {
        using clock = std::chrono::steady_clock;
        const tokenizer& tok = model_->vocab();
        std::vector<token_id> ids = tok.encode(prompt, gp.add_special && history_.empty(), gp.parse_special);
        if (ids.empty()) throw error(errc::invalid_argument, "the prompt is empty after tokenization");
        generation_stats st;
        if (static_cast<std::size_t>(position()) + ids.size() >= cache_.context_size())
            throw error(errc::out_of_range, "the prompt has " + std::to_string(ids.size()) +
                                                " tokens, which does not fit the context of " +
                                                std::to_string(cache_.context_size()) + " tokens (" +
                                                std::to_string(position()) + " already used)");
        st.prompt_tokens = ids.size();
        auto t0 = clock::now();
        const bool fed = prefill(ids, gp.on_prompt_progress, gp.cancel);
        st.prompt_seconds = std::chrono::duration<double>(clock::now() - t0).count();
        if (!fed) {
            st.reason = generation_stats::end::cancelled;
            return st;
        }

        sampler smp(gp.sampling);
        for (auto id : history_) smp.accept(id);
        detokenizer detok(tok);
        std::string pending;  // text held back while it could be the start of a stop string
        t0 = clock::now();
        auto finish = [&](generation_stats::end why) {
            st.reason = why;
            st.generate_seconds = std::chrono::duration<double>(clock::now() - t0).count();
            return st;
        };
        for (int n = 0; n < gp.max_tokens; ++n) {
            if (gp.cancel && gp.cancel->load(std::memory_order_relaxed)) return finish(generation_stats::end::cancelled);
            const sampled s = smp.sample(logits_);
            smp.accept(s.id);
            if (gp.stop_at_eog && tok.is_eog(s.id)) {
                if (!pending.empty()) on_piece(piece{pending, s.id, s.logprob, {}});
                return finish(generation_stats::end::eog);
            }
            ++st.generated_tokens;
            pending += detok.push(s.id);
            const auto cut = find_stop(pending, gp.stop);
            if (cut.found) {
                pending.resize(cut.at);
                if (!pending.empty()) on_piece(piece{pending, s.id, s.logprob, s.top});
                return finish(generation_stats::end::stop_string);
            }
            // Emit everything that can no longer become part of a stop string.
            const std::size_t keep = cut.partial;
            piece p{pending.substr(0, pending.size() - keep), s.id, s.logprob, s.top};
            pending.erase(0, pending.size() - keep);
            if (!on_piece(p)) return finish(generation_stats::end::cancelled);
            if (static_cast<std::uint32_t>(position()) >= cache_.context_size())
                return finish(generation_stats::end::context_full);
            const token_id next = s.id;
            decode(std::span<const token_id>(&next, 1));
        }
        pending += detok.flush();
        if (!pending.empty()) on_piece(piece{pending, -1, 0.0f, {}});
        return finish(generation_stats::end::length);
    }

private:
    struct stop_match { bool found = false; std::size_t at = 0; std::size_t partial = 0; };
    // Finds the earliest complete stop string, or else the longest tail of `text` that is a
    // prefix of some stop string (that much must be held back).
    static stop_match find_stop(const std::string& text, const std::vector<std::string>& stops) {
        stop_match r;
        for (const auto& s : stops) {
            if (s.empty()) continue;
            const auto at = text.find(s);
            if (at != std::string::npos && (!r.found || at < r.at)) r.found = true, r.at = at;
            for (std::size_t len = std::min(s.size() - 1, text.size()); len > r.partial; --len)
                if (text.compare(text.size() - len, len, s, 0, len) == 0) { r.partial = len; break; }
        }
        return r;
    }

    std::shared_ptr<const model<B>> model_;
    session_params params_;
    kv_cache<B> cache_;
    typename transformer<B>::workspace ws_;
    std::vector<float> logits_;
    std::vector<token_id> history_;
    std::int32_t seq_ = 0;
};

HEARTH_NAMESPACE_END
