#pragma once
// Nucleus (top-p) sampling: keep the fewest most probable tokens whose mass reaches p.
// The nucleus is usually a small part of the vocabulary, so the set is sorted only as far as
// the walk needs: a histogram of the weights bounds the nucleus from below, only the tokens
// above that bound are sorted, and should rounding leave the walk short, the sorted prefix
// grows 4x at a time.
#include <hearth/config.hpp>
#include <hearth/sampling/candidates.hpp>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>

HEARTH_NAMESPACE_BEGIN
namespace sampling {

// Finds a logit the nucleus cannot extend below, from one pass over the weights: logits are
// binned by their distance below the maximum (1/8 nat per bin) and the bins' mass summed from
// the top until it reaches the target. The nucleus ends inside that bin; one bin more of
// margin absorbs the difference between summing by bins and summing token by token.
inline float nucleus_floor(std::span<const candidate> items, const distribution& dist, float max, double target) {
    constexpr int bins = 512;
    constexpr float per_nat = 8.0f;
    std::array<double, bins> mass{};
    for (std::size_t i = 0; i < items.size(); ++i) {
        const float below = (max - items[i].logit) * per_nat;
        const int b = below < static_cast<float>(bins - 1) ? static_cast<int>(below) : bins - 1;
        mass[static_cast<std::size_t>(b)] += dist.weight(i);
    }
    double cumulative = 0.0;
    for (int b = 0; b < bins - 2; ++b) {
        cumulative += mass[static_cast<std::size_t>(b)];
        if (cumulative >= target) return max - static_cast<float>(b + 2) / per_nat;
    }
    return -std::numeric_limits<float>::infinity();  // the nucleus reaches into the far tail
}

inline void apply_top_p(candidate_set& set, float p, distribution& dist) {
    if (p >= 1.0f || set.size() <= 1) return;
    // The softmax total comes first, in the set's present (canonical) order; the reordering
    // below only moves candidates, and only the sorted prefix's weights are read after it.
    dist.compute(set.items);
    const float max = max_logit(set.items);
    const double target = static_cast<double>(p) * dist.total();
    const bool infinite = std::isinf(max) && max > 0;
    if (!infinite && set.sorted == 0 && set.size() > 1024) set.sort_above(nucleus_floor(set.items, dist, max, target));
    double cumulative = 0.0;
    std::size_t i = 0;
    for (std::size_t reach = 64;; reach *= 4) {
        set.sort_prefix(reach);
        const std::size_t end = set.sorted;
        for (; i < end; ++i) {
            const float l = set.items[i].logit;
            cumulative += infinite ? (l == max ? 1.0 : 0.0) : static_cast<double>(std::exp(l - max));
            // >= (not >) as in llama.cpp: p = 0.5 with one token at exactly 0.5 keeps that one.
            if (cumulative >= target) {
                set.truncate(i + 1);
                return;
            }
        }
        if (end == set.size()) return;  // rounding kept the sum just short of p: keep everything
    }
}

}  // namespace sampling
HEARTH_NAMESPACE_END
