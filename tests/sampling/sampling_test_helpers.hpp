#pragma once
// Shared helpers for the sampler tests: parameters with every stage off, so a test turns on
// exactly the stage it is about.
#include <hearth/sampling.hpp>
#include <cmath>
#include <vector>

namespace sampling_test {

inline hearth::sampling_params all_off() {
    hearth::sampling_params p;
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.typical_p = 1.0f;
    p.repeat_penalty = 1.0f;
    p.frequency_penalty = 0.0f;
    p.presence_penalty = 0.0f;
    p.seed = 1234;
    p.n_probs = 0;
    return p;
}

// Every candidate that survives the chain, best first, with its probability.
inline std::vector<hearth::token_candidate> survivors(hearth::sampling_params p, const std::vector<float>& logits) {
    p.n_probs = static_cast<int>(logits.size());
    hearth::sampler s(p);
    return s.sample(logits).top;
}

inline std::vector<int> ids_of(const std::vector<hearth::token_candidate>& top) {
    std::vector<int> ids;
    for (const auto& c : top) ids.push_back(c.id);
    return ids;
}

// softmax of a few logits in double, the reference for expected probabilities.
inline std::vector<double> softmax(const std::vector<double>& l) {
    double m = l[0];
    for (double x : l) m = std::max(m, x);
    double s = 0;
    for (double x : l) s += std::exp(x - m);
    std::vector<double> p;
    for (double x : l) p.push_back(std::exp(x - m) / s);
    return p;
}

}  // namespace sampling_test
