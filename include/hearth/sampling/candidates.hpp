#pragma once
// The working set every stage of the sampler chain narrows: (token id, logit) pairs, plus the
// softmax over them. One buffer is reused from call to call, so a draw allocates nothing once
// the buffers have grown to the vocabulary size.
#include <hearth/config.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace sampling {

struct candidate {
    std::int32_t id;
    float logit;  // the working logit: after bias and penalties, and after temperature once applied
};

// The one order every stage uses: higher logit first, and among equal logits the lower id. No NaN
// ever enters a set, so this order is total: every sort and selection has one right answer, and
// the result does not depend on which standard library's nth_element or sort produced it.
inline bool ranks_before(const candidate& a, const candidate& b) noexcept {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// items[0, sorted) are the best `sorted` candidates in ranks_before order, and every candidate
// after them ranks below all of them. Stages that need the best few (top-p) extend the prefix
// as far as they need instead of sorting the whole vocabulary.
struct candidate_set {
    std::vector<candidate> items;
    std::size_t sorted = 0;

    std::size_t size() const noexcept { return items.size(); }
    bool empty() const noexcept { return items.empty(); }
    void clear() noexcept { items.clear(); sorted = 0; }

    // Makes items[0, n) the n best candidates in order (n is clamped to the size).
    void sort_prefix(std::size_t n) {
        n = std::min(n, items.size());
        if (n <= sorted) return;
        const auto first = items.begin() + static_cast<std::ptrdiff_t>(sorted);
        const auto nth = items.begin() + static_cast<std::ptrdiff_t>(n);
        if (nth != items.end()) std::nth_element(first, nth, items.end(), ranks_before);
        std::sort(first, nth, ranks_before);
        sorted = n;
    }

    // Makes the candidates with logit >= floor the sorted prefix, in one partition pass and a
    // sort of just those. Everything left behind has a lower logit, so it ranks below them.
    void sort_above(float floor) {
        if (sorted > 0) return;
        const auto mid = std::partition(items.begin(), items.end(), [floor](const candidate& c) { return c.logit >= floor; });
        std::sort(items.begin(), mid, ranks_before);
        sorted = static_cast<std::size_t>(mid - items.begin());
    }

    // Keeps the first n candidates.
    void truncate(std::size_t n) {
        if (n >= items.size()) return;
        items.resize(n);
        sorted = std::min(sorted, n);
    }

    // Keeps the candidates `keep` accepts, in their present order. Dropping members of the
    // sorted prefix leaves the survivors in order and still ahead of everything else.
    template <class Predicate>
    void keep_if(Predicate keep) {
        std::size_t out = 0, out_sorted = 0;
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (!keep(items[i])) continue;
            if (i < sorted) ++out_sorted;
            items[out++] = items[i];
        }
        items.resize(out);
        sorted = out_sorted;
    }

    // Index of the best candidate (the set must not be empty).
    std::size_t best() const noexcept {
        if (sorted > 0) return 0;
        std::size_t b = 0;
        for (std::size_t i = 1; i < items.size(); ++i)
            if (ranks_before(items[i], items[b])) b = i;
        return b;
    }
};

inline float max_logit(std::span<const candidate> items) noexcept {
    float m = -std::numeric_limits<float>::infinity();
    for (const auto& c : items) m = std::max(m, c.logit);
    return m;
}

// Softmax over a candidate set, kept unnormalized: weight[i] = exp(logit[i] - max), total their
// sum. Sums run in the set's own order, which every stage keeps canonical, so the same logits
// give the same bits. A +inf logit makes its token certain: the +inf tokens share the mass
// equally and every finite one gets none (exp(inf - inf) would be NaN).
class distribution {
public:
    void compute(std::span<const candidate> items) {
        max_ = max_logit(items);
        weight_.resize(items.size());
        total_ = 0.0;
        const bool infinite = std::isinf(max_) && max_ > 0;
        for (std::size_t i = 0; i < items.size(); ++i) {
            const float l = items[i].logit;
            const double w = infinite ? (l == max_ ? 1.0 : 0.0) : static_cast<double>(std::exp(l - max_));
            weight_[i] = w;
            total_ += w;
        }
    }

    std::size_t size() const noexcept { return weight_.size(); }
    double weight(std::size_t i) const noexcept { return weight_[i]; }
    double total() const noexcept { return total_; }
    double prob(std::size_t i) const noexcept { return weight_[i] / total_; }

    // log p_i of the candidate whose working logit is `logit`, from the logit rather than the
    // weight: exact where the weight has lost precision or underflowed to zero.
    double logprob(float logit) const noexcept {
        if (std::isinf(max_) && max_ > 0)
            return logit == max_ ? -std::log(total_) : -std::numeric_limits<double>::infinity();
        return (static_cast<double>(logit) - static_cast<double>(max_)) - std::log(total_);
    }

    // The candidate a uniform draw u in [0, 1) lands on: walk the cumulative weights until they
    // pass u * total. Rounding can leave the walk just short of the target at the very end; the
    // last candidate with any weight then takes it.
    std::size_t draw(double u) const noexcept {
        const double target = u * total_;
        double cumulative = 0.0;
        for (std::size_t i = 0; i < weight_.size(); ++i) {
            cumulative += weight_[i];
            if (cumulative > target) return i;
        }
        for (std::size_t i = weight_.size(); i-- > 0;)
            if (weight_[i] > 0.0) return i;
        return 0;
    }

private:
    std::vector<double> weight_;
    double total_ = 0.0;
    float max_ = 0.0f;
};

}  // namespace sampling
HEARTH_NAMESPACE_END
