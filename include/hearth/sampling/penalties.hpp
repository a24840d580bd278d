#pragma once
// Repetition, frequency and presence penalties over a window of recently accepted tokens, with
// llama.cpp's semantics: the repetition penalty divides a positive logit and multiplies a
// negative one (dividing a negative logit would make the token MORE likely), then
// count * frequency + (count > 0) * presence is subtracted.
#include <hearth/config.hpp>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <unordered_map>

HEARTH_NAMESPACE_BEGIN
namespace sampling {

class penalty_window {
public:
    // last_n: how many accepted tokens the window holds; 0 keeps none, -1 keeps every token
    // since the last clear().
    explicit penalty_window(int last_n) : last_n_(last_n) {}

    void accept(std::int32_t id) {
        if (last_n_ == 0) return;
        recent_.push_back(id);
        ++counts_[id];
        if (last_n_ > 0 && recent_.size() > static_cast<std::size_t>(last_n_)) {
            const auto oldest = recent_.front();
            recent_.pop_front();
            if (auto it = counts_.find(oldest); it != counts_.end() && --it->second == 0) counts_.erase(it);
        }
    }

    void clear() {
        recent_.clear();
        counts_.clear();
    }

    std::size_t size() const noexcept { return recent_.size(); }

    // How often `id` occurs in the window.
    int count(std::int32_t id) const {
        const auto it = counts_.find(id);
        return it == counts_.end() ? 0 : it->second;
    }

    // Touches only the tokens in the window: O(window), not O(vocabulary). Each token's new
    // logit depends on nothing but its own count, so the map's iteration order cannot matter.
    // Ids outside the logits (a window filled under another vocabulary) are skipped.
    void apply(std::span<float> logits, float repeat, float frequency, float presence) const {
        if (repeat == 1.0f && frequency == 0.0f && presence == 0.0f) return;
        for (const auto& [id, n] : counts_) {
            if (id < 0 || static_cast<std::size_t>(id) >= logits.size()) continue;
            float& l = logits[static_cast<std::size_t>(id)];
            l = l <= 0.0f ? l * repeat : l / repeat;
            l -= static_cast<float>(n) * frequency + presence;
            if (std::isnan(l)) l = -std::numeric_limits<float>::infinity();  // inf - inf: leave it unchoosable
        }
    }

private:
    int last_n_;
    std::deque<std::int32_t> recent_;
    std::unordered_map<std::int32_t, int> counts_;
};

}  // namespace sampling
HEARTH_NAMESPACE_END
