#pragma once
// Builds the candidate set from the (biased, penalized) logits, keeping only the k best when
// top-k is on. The k best are found in one pass with a k-element heap, O(n log k) and in
// practice O(n): for a 262144-token vocabulary and k = 40 only a few hundred tokens ever enter
// the heap, and the whole vocabulary is never sorted.
#include <hearth/config.hpp>
#include <hearth/sampling/candidates.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

HEARTH_NAMESPACE_BEGIN
namespace sampling {

// Every token whose logit is not -inf (NaN has been turned into -inf before this point) is a
// candidate; such a token can never be chosen, so it never enters the set. k <= 0 keeps all.
// With k > 0 the result is sorted (best first); without, it is in id order.
inline void gather_candidates(std::span<const float> logits, int k, candidate_set& set) {
    set.clear();
    const float never = -std::numeric_limits<float>::infinity();
    if (k <= 0 || static_cast<std::size_t>(k) >= logits.size()) {
        set.items.reserve(logits.size());
        for (std::size_t i = 0; i < logits.size(); ++i)
            if (logits[i] != never) set.items.push_back({static_cast<std::int32_t>(i), logits[i]});
        if (k > 0) set.sort_prefix(set.size());
        return;
    }
    // A heap ordered by ranks_before keeps the WORST of the k best at its front, so a newcomer
    // only has to beat that one.
    auto& heap = set.items;
    const auto want = static_cast<std::size_t>(k);
    heap.reserve(want);
    // `floor` caches the worst kept logit: almost every token falls below it and costs one
    // float compare; only those at or above it take the full (logit, id) comparison.
    float floor = never;
    for (std::size_t i = 0; i < logits.size(); ++i) {
        const float l = logits[i];
        if (l < floor || l == never) continue;
        const candidate c{static_cast<std::int32_t>(i), l};
        if (heap.size() < want) {
            heap.push_back(c);
            std::push_heap(heap.begin(), heap.end(), ranks_before);
            if (heap.size() == want) floor = heap.front().logit;
        } else if (ranks_before(c, heap.front())) {
            std::pop_heap(heap.begin(), heap.end(), ranks_before);
            heap.back() = c;
            std::push_heap(heap.begin(), heap.end(), ranks_before);
            floor = heap.front().logit;
        }
    }
    std::sort_heap(heap.begin(), heap.end(), ranks_before);
    set.sorted = heap.size();
}

}  // namespace sampling
HEARTH_NAMESPACE_END
