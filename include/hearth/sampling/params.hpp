#pragma once
// What a caller sets to shape sampling, and what a draw reports back.
#include <hearth/config.hpp>
#include <cstdint>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN

// Defaults are llama.cpp's (common_params_sampling), so the same numbers mean the same thing.
// A stage whose value is "off" (top_k <= 0, top_p >= 1, min_p <= 0, typical_p >= 1,
// repeat_penalty == 1, frequency/presence == 0) costs nothing.
struct sampling_params {
    float temperature = 0.8f;        // <= 0: greedy (argmax of what the filters keep)
    int top_k = 40;                  // <= 0: off
    float top_p = 0.95f;             // >= 1: off
    float min_p = 0.05f;             // <= 0: off
    float typical_p = 1.0f;          // >= 1: off
    float repeat_penalty = 1.0f;     // 1: off; must be > 0
    float frequency_penalty = 0.0f;  // subtracted once per occurrence in the window
    float presence_penalty = 0.0f;   // subtracted once if the token occurs in the window at all
    int penalty_last_n = 64;         // window of accepted tokens the penalties look at; 0: off, -1: all since reset()
    std::uint64_t seed = 0xFFFFFFFF; // this value (llama.cpp's LLAMA_DEFAULT_SEED) => seed from std::random_device
    std::vector<std::pair<std::int32_t, float>> logit_bias;  // id -> added to its logit; -inf bans the token
    int n_probs = 0;                 // how many of the best candidates sample() reports in sampled::top
};

// Tells random_device-seeded samplers apart from reproducible ones.
inline constexpr std::uint64_t random_seed = 0xFFFFFFFF;

struct token_candidate {
    std::int32_t id;
    float logit;  // the model's logit for this token, as passed to sample()
    float prob;   // its probability under the distribution the token was drawn from
};

struct sampled {
    std::int32_t id;
    float logprob;                     // natural log of the chosen token's probability (same distribution as top)
    std::vector<token_candidate> top;  // the n_probs most probable candidates, best first (fewer if fewer survive)
};

HEARTH_NAMESPACE_END
