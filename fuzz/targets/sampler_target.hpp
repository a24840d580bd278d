#pragma once
// Fuzz target body (4): the sampler chain on arbitrary logits (NaN, inf, ties, empty, huge) with
// arbitrary parameters, logit biases and penalty history.
//
// Input layout (all little-endian; a float is one selector byte: 0..15 pick special_floats,
// 255 is followed by 4 raw bytes, anything else is (b - 128) / 8):
//   temperature f, top_k i32, top_p f, min_p f, typical_p f, repeat_penalty f,
//   frequency_penalty f, presence_penalty f, penalty_last_n i32, seed u64, n_probs u8,
//   n_bias u8, n_bias x (id u32, bias f), n_accept u8, n_accept x id u32, then logits f... to the end.
// Ids with the top bit clear are folded into [0, n_logits + 2) (mostly valid, some just past the
// end); with it set they are taken as they are (negative ids).
// Missing bytes read as zero, so every input is a complete request.
//
// What must hold: the parameters are accepted or refused with hearth::error; a draw returns an id
// inside the logits whose logit is not NaN, a finite log-probability <= 0, at most n_probs
// alternatives, best first, with probabilities in [0, 1]; greedy picks the best of them; the
// same seed and history give the same token.
#include <hearth/error.hpp>
#include <hearth/sampling.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hearth_fuzz {

inline constexpr float special_floats[16] = {
    0.0f, 1.0f, -1.0f, 0.5f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
    -std::numeric_limits<float>::infinity(), 1e-30f, 1e30f, 0.95f, 0.05f, 2.0f, -0.0f,
    std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(), 0.8f,
};

class byte_cursor {
public:
    explicit byte_cursor(std::span<const std::byte> in) : in_(in) {}
    bool empty() const noexcept { return pos_ >= in_.size(); }
    template <class T>
    T take() noexcept {
        unsigned char b[sizeof(T)] = {};
        const std::size_t n = std::min(sizeof(T), in_.size() - std::min(pos_, in_.size()));
        if (n) std::memcpy(b, in_.data() + pos_, n);
        pos_ += sizeof(T);
        T v;
        std::memcpy(&v, b, sizeof v);
        return v;
    }
    float take_float() noexcept {
        const auto sel = take<std::uint8_t>();
        if (sel < 16) return special_floats[sel];
        if (sel == 255) return take<float>();
        return (static_cast<float>(sel) - 128.0f) / 8.0f;
    }
    std::int32_t take_id(std::size_t n_logits) noexcept {
        const auto v = take<std::uint32_t>();
        if (v & 0x80000000u) return static_cast<std::int32_t>(v);
        return static_cast<std::int32_t>(v % (n_logits + 2));
    }

private:
    std::span<const std::byte> in_;
    std::size_t pos_ = 0;
};

inline void sampler_one_input(std::span<const std::byte> in) {
    const auto broken = [](const std::string& what) { throw std::logic_error("sampler fuzz: " + what); };
    byte_cursor c(in);
    hearth::sampling_params p;
    p.temperature = c.take_float();
    p.top_k = c.take<std::int32_t>();
    p.top_p = c.take_float();
    p.min_p = c.take_float();
    p.typical_p = c.take_float();
    p.repeat_penalty = c.take_float();
    p.frequency_penalty = c.take_float();
    p.presence_penalty = c.take_float();
    p.penalty_last_n = c.take<std::int32_t>();
    p.seed = c.take<std::uint64_t>();
    if (p.seed == hearth::random_seed) p.seed = 0;  // keep every run reproducible
    p.n_probs = c.take<std::uint8_t>();
    // Biases and history name ids relative to the logits, which come last: read the raw parts
    // first, then fold them once the count of logits is known.
    const auto n_bias = c.take<std::uint8_t>();
    std::vector<std::pair<std::uint32_t, float>> raw_bias;
    for (unsigned i = 0; i < n_bias; ++i) {
        const auto id = c.take<std::uint32_t>();
        raw_bias.emplace_back(id, c.take_float());
    }
    const auto n_accept = c.take<std::uint8_t>();
    std::vector<std::uint32_t> raw_accept;
    for (unsigned i = 0; i < n_accept; ++i) raw_accept.push_back(c.take<std::uint32_t>());
    std::vector<float> logits;
    while (!c.empty()) logits.push_back(c.take_float());

    const auto fold = [&](std::uint32_t v) {
        return (v & 0x80000000u) ? static_cast<std::int32_t>(v) : static_cast<std::int32_t>(v % (logits.size() + 2));
    };
    for (const auto& [id, bias] : raw_bias) p.logit_bias.emplace_back(fold(id), bias);

    hearth::sampler a(p), b(p);  // throws hearth::error for parameters it refuses
    for (auto v : raw_accept) {
        const std::int32_t id = fold(v);
        try {
            a.accept(id);
            b.accept(id);
        } catch (const hearth::error&) {
            if (id >= 0) broken("accept() refused id " + std::to_string(id));
        }
    }

    for (int round = 0; round < 2; ++round) {  // twice: the second call reuses every buffer
        const hearth::sampled s = a.sample(logits);
        if (s.id < 0 || static_cast<std::size_t>(s.id) >= logits.size())
            broken("sampled id " + std::to_string(s.id) + " outside " + std::to_string(logits.size()) + " logits");
        if (std::isnan(logits[static_cast<std::size_t>(s.id)])) broken("a NaN logit was chosen");
        if (!(s.logprob <= 1e-4f) || std::isinf(s.logprob))
            broken("logprob " + std::to_string(s.logprob) + " of the chosen token is not a finite value <= 0");
        if (s.top.size() > static_cast<std::size_t>(p.n_probs)) broken("more alternatives than n_probs");
        for (std::size_t i = 0; i < s.top.size(); ++i) {
            const auto& t = s.top[i];
            if (t.id < 0 || static_cast<std::size_t>(t.id) >= logits.size()) broken("an alternative outside the logits");
            if (!(t.prob >= 0.0f && t.prob <= 1.0f + 1e-5f)) broken("alternative probability " + std::to_string(t.prob));
            if (i > 0 && t.prob > s.top[i - 1].prob * (1.0f + 1e-5f) + 1e-30f) broken("alternatives are not best first");
        }
        if (p.temperature <= 0.0f && !s.top.empty() && s.top[0].id != s.id) broken("greedy did not pick the best candidate");
        const hearth::sampled t = b.sample(logits);
        if (t.id != s.id) broken("the same seed and history gave different tokens");
        a.accept(s.id);
        b.accept(t.id);
    }
}

inline int sampler_entry(const std::uint8_t* data, std::size_t size) {
    try {
        sampler_one_input({reinterpret_cast<const std::byte*>(data), size});
    } catch (const hearth::error&) {
    }
    return 0;
}

}  // namespace hearth_fuzz
