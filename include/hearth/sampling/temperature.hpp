#pragma once
// Temperature: logits divided by t (t < 1 sharpens, t > 1 flattens). Greedy decoding
// (t <= 0) is the sampler's business, not this stage's.
#include <hearth/config.hpp>
#include <hearth/sampling/candidates.hpp>
#include <cmath>

HEARTH_NAMESPACE_BEGIN
namespace sampling {

inline void apply_temperature(candidate_set& set, float t) {
    if (t == 1.0f || t <= 0.0f || set.empty()) return;
    const float max = max_logit(set.items);
    if (std::isinf(max)) return;  // +inf tokens are certain at any temperature
    // Shifting by the maximum first changes no probability but keeps a tiny t from turning
    // every logit into -inf (or +inf) and the softmax into NaN: the best token stays at 0.
    for (auto& c : set.items) c.logit = (c.logit - max) / t;
    // Division can round two distinct logits to one value and so reorder ties; the prefix
    // order is no longer promised.
    set.sorted = 0;
}

}  // namespace sampling
HEARTH_NAMESPACE_END
