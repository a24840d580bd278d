#pragma once
// Logit bias: a fixed amount added to chosen tokens' logits before anything else looks at them
// (llama.cpp applies it first too). A bias of -inf bans a token outright.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace sampling {

inline void apply_logit_bias(std::span<float> logits, std::span<const std::pair<std::int32_t, float>> bias) {
    for (const auto& [id, amount] : bias) {
        if (id < 0 || static_cast<std::size_t>(id) >= logits.size())
            throw error(errc::out_of_range, "logit_bias names token " + std::to_string(id) +
                                                ", but the logits cover ids 0.." + std::to_string(logits.size() - 1));
        float& l = logits[static_cast<std::size_t>(id)];
        l += amount;
        // +inf and -inf meeting (a banned token the model is certain of) is NaN: the ban wins.
        if (std::isnan(l)) l = -std::numeric_limits<float>::infinity();
    }
}

}  // namespace sampling
HEARTH_NAMESPACE_END
