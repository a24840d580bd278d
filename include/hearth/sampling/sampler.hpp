#pragma once
// hearth::sampler: turns one logits vector into one token.
//
// The chain, in llama.cpp's default order (common_sampler_init: logit bias, then the samplers
// list "penalties; top_k; typ_p; top_p; min_p; temperature", then dist):
//   1. logit bias            (logit_bias)
//   2. penalties             (repeat_penalty, frequency_penalty, presence_penalty over penalty_last_n)
//   3. top-k                 (top_k)
//   4. typical               (typical_p)
//   5. top-p                 (top_p)
//   6. min-p                 (min_p)
//   7. temperature           (temperature)
//   8. draw from the softmax of what is left, or the argmax when temperature <= 0.
// Stages set to "off" are skipped. NaN and -inf logits never become candidates, so a NaN is
// never chosen; when nothing at all can be chosen sample() throws.
//
// Reported probabilities (sampled::logprob, sampled::top) are those of the distribution the
// token is drawn from: the softmax of the surviving candidates after temperature. Greedy
// decoding has no such distribution (its draw is certain), so it reports the survivors'
// softmax at temperature 1: the model's own confidence after the filters, not a useless 1.0.
//
// Reproducibility: the random numbers are std::mt19937_64's (bit-exact by the standard) turned
// into [0, 1) by hand; candidate sets are kept in one total order (see ranks_before). The same
// seed, logits and accepted tokens therefore give the same tokens on every platform, up to
// the last bit of the C library's expf, which can only matter when a draw lands within an ulp
// of a boundary between two tokens.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/sampling/candidates.hpp>
#include <hearth/sampling/logit_bias.hpp>
#include <hearth/sampling/min_p.hpp>
#include <hearth/sampling/params.hpp>
#include <hearth/sampling/penalties.hpp>
#include <hearth/sampling/rng.hpp>
#include <hearth/sampling/temperature.hpp>
#include <hearth/sampling/top_k.hpp>
#include <hearth/sampling/top_p.hpp>
#include <hearth/sampling/typical.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN

class sampler {
public:
    explicit sampler(sampling_params params)
        : params_(validated(std::move(params))), seed_(sampling::resolve_seed(params_.seed)), rng_(seed_),
          window_(params_.penalty_last_n) {}

    // One token from `logits` (one entry per vocabulary id). Does not feed the penalty window:
    // call accept() with the token the caller keeps (it may keep another, e.g. a forced one).
    sampled sample(std::span<const float> logits) {
        if (logits.empty())
            throw error(errc::invalid_argument, "sampler::sample: the logits vector is empty (expected one logit per vocabulary token)");
        // A private copy the stages may change; NaN becomes -inf so it can never be chosen.
        work_.resize(logits.size());
        for (std::size_t i = 0; i < logits.size(); ++i)
            work_[i] = std::isnan(logits[i]) ? -std::numeric_limits<float>::infinity() : logits[i];

        sampling::apply_logit_bias(work_, params_.logit_bias);
        window_.apply(work_, params_.repeat_penalty, params_.frequency_penalty, params_.presence_penalty);
        sampling::gather_candidates(work_, params_.top_k, set_);
        if (set_.empty())
            throw error(errc::invalid_argument, "sampler::sample: no token can be chosen: all " + std::to_string(logits.size()) +
                                                    " logits are NaN or -inf after logit bias and penalties");
        sampling::apply_typical(set_, params_.typical_p, dist_, typical_scratch_);
        sampling::apply_top_p(set_, params_.top_p, dist_);
        sampling::apply_min_p(set_, params_.min_p);

        std::size_t chosen;
        if (params_.temperature <= 0.0f) {
            chosen = set_.best();
            dist_.compute(set_.items);
        } else {
            sampling::apply_temperature(set_, params_.temperature);
            dist_.compute(set_.items);
            chosen = dist_.draw(rng_.uniform01());
        }

        sampled out;
        out.id = set_.items[chosen].id;
        out.logprob = static_cast<float>(dist_.logprob(set_.items[chosen].logit));
        report_top(logits, out.top);
        return out;
    }

    // Feeds the penalty window with the token the caller kept.
    void accept(std::int32_t id) {
        if (id < 0) throw error(errc::invalid_argument, "sampler::accept: token id " + std::to_string(id) + " is negative");
        window_.accept(id);
    }

    // Forgets the accepted tokens and restarts the random sequence: a fixed seed repeats its
    // draws; a random_device seed (params.seed == random_seed) picks fresh entropy, as llama.cpp does.
    void reset() {
        window_.clear();
        seed_ = sampling::resolve_seed(params_.seed);
        rng_.reseed(seed_);
    }

    const sampling_params& params() const noexcept { return params_; }
    std::uint64_t seed() const noexcept { return seed_; }  // the seed in use (resolved when random)

private:
    static sampling_params validated(sampling_params p) {
        auto fail = [](const std::string& what) { throw error(errc::invalid_argument, "sampling_params: " + what); };
        auto finite_or_fail = [&](float v, const char* name) {
            if (!std::isfinite(v)) fail(std::string(name) + " is " + std::to_string(v) + ", expected a finite number");
        };
        finite_or_fail(p.temperature, "temperature");
        finite_or_fail(p.top_p, "top_p");
        finite_or_fail(p.min_p, "min_p");
        finite_or_fail(p.typical_p, "typical_p");
        finite_or_fail(p.repeat_penalty, "repeat_penalty");
        finite_or_fail(p.frequency_penalty, "frequency_penalty");
        finite_or_fail(p.presence_penalty, "presence_penalty");
        if (p.repeat_penalty <= 0.0f)
            fail("repeat_penalty is " + std::to_string(p.repeat_penalty) + ", expected > 0 (1 turns it off)");
        if (p.penalty_last_n < -1)
            fail("penalty_last_n is " + std::to_string(p.penalty_last_n) + ", expected -1 (all), 0 (off) or a window size");
        if (p.n_probs < 0) fail("n_probs is " + std::to_string(p.n_probs) + ", expected >= 0");
        for (const auto& [id, bias] : p.logit_bias) {
            if (id < 0) fail("logit_bias names token " + std::to_string(id) + ", expected an id >= 0");
            if (std::isnan(bias)) fail("logit_bias for token " + std::to_string(id) + " is NaN");
        }
        return p;
    }

    // The n_probs most probable survivors, best first. Only indices are sorted, and only as
    // many as asked for.
    void report_top(std::span<const float> logits, std::vector<token_candidate>& top) {
        const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(params_.n_probs), set_.size());
        if (n == 0) return;
        order_.resize(set_.size());
        for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
        const auto by_rank = [this](std::size_t a, std::size_t b) { return sampling::ranks_before(set_.items[a], set_.items[b]); };
        std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(n), order_.end(), by_rank);
        top.reserve(n);
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = order_[k];
            const auto id = set_.items[i].id;
            top.push_back({id, logits[static_cast<std::size_t>(id)], static_cast<float>(dist_.prob(i))});
        }
    }

    sampling_params params_;
    std::uint64_t seed_;
    sampling::seeded_rng rng_;
    sampling::penalty_window window_;
    // Buffers reused by every call: after the first, sample() allocates only its result.
    std::vector<float> work_;
    sampling::candidate_set set_;
    sampling::distribution dist_;
    std::vector<sampling::typical_entry> typical_scratch_;
    std::vector<std::size_t> order_;
};

HEARTH_NAMESPACE_END
