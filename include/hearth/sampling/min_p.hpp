#pragma once
// Min-p: keep the tokens at least p times as probable as the most probable one, i.e. with
// logit >= max_logit + log(p). At least the best token always stays.
#include <hearth/config.hpp>
#include <hearth/sampling/candidates.hpp>
#include <cmath>

HEARTH_NAMESPACE_BEGIN
namespace sampling {

inline void apply_min_p(candidate_set& set, float p) {
    if (p <= 0.0f || set.size() <= 1) return;
    const float max = max_logit(set.items);
    // With a +inf logit, log(p) would not move the threshold: keep just the certain tokens.
    const float threshold = std::isinf(max) ? max : max + std::log(p);
    if (threshold > max) {  // p > 1 asks for more than the best token has: keep only the best
        const candidate best = set.items[set.best()];
        set.clear();
        set.items.push_back(best);
        set.sorted = 1;
        return;
    }
    set.keep_if([threshold](const candidate& c) { return c.logit >= threshold; });
}

}  // namespace sampling
HEARTH_NAMESPACE_END
