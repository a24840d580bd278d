#pragma once
// Locally typical sampling (Meister et al. 2022, as llama.cpp implements it): keep the tokens
// whose surprise -log p is closest to the distribution's entropy, adding them in that order
// until their probability mass exceeds p.
#include <hearth/config.hpp>
#include <hearth/sampling/candidates.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace sampling {

struct typical_entry {
    double distance;  // | -log p - entropy |
    double prob;
    candidate c;
};

// `scratch` is the caller's reusable buffer. Leaves the set in typicality order (not sorted by
// logit), as llama.cpp does.
inline void apply_typical(candidate_set& set, float p, distribution& dist, std::vector<typical_entry>& scratch) {
    if (p >= 1.0f || set.size() <= 1) return;
    dist.compute(set.items);
    double entropy = 0.0;
    for (std::size_t i = 0; i < set.size(); ++i) {
        const double pi = dist.prob(i);
        if (pi > 0.0) entropy -= pi * std::log(pi);  // 0 log 0 = 0, not NaN
    }
    scratch.clear();
    for (std::size_t i = 0; i < set.size(); ++i) {
        const double pi = dist.prob(i);
        const double distance = pi > 0.0 ? std::fabs(-std::log(pi) - entropy) : std::numeric_limits<double>::infinity();
        scratch.push_back({distance, pi, set.items[i]});
    }
    // Ties in distance (equal probabilities) fall back to the chain's order: a total order.
    std::sort(scratch.begin(), scratch.end(), [](const typical_entry& a, const typical_entry& b) {
        if (a.distance != b.distance) return a.distance < b.distance;
        return ranks_before(a.c, b.c);
    });
    double cumulative = 0.0;
    std::size_t keep = scratch.size();
    for (std::size_t i = 0; i < scratch.size(); ++i) {
        cumulative += scratch[i].prob;
        if (cumulative > static_cast<double>(p)) {
            keep = i + 1;
            break;
        }
    }
    for (std::size_t i = 0; i < keep; ++i) set.items[i] = scratch[i].c;
    set.items.resize(keep);
    set.sorted = 0;
}

}  // namespace sampling
HEARTH_NAMESPACE_END
