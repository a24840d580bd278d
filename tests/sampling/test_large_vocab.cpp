// A Gemma-3-sized vocabulary (262144): the chain agrees with a brute-force full sort, and it
// stays fast because it never sorts the whole vocabulary.
#include <catch2/catch.hpp>
#include "sampling_test_helpers.hpp"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

using sampling_test::all_off;
using sampling_test::ids_of;

namespace {
constexpr int n_vocab = 262144;

// Logit-like values from an integer recipe: a long tail near -2 and a few standouts up to
// -2 + spread. A wide spread is peaked like a trained model's output; a narrow one is flat.
std::vector<float> vocab_logits(std::uint64_t seed, double spread = 4.0) {
    std::vector<float> l(n_vocab);
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (auto& v : l) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const double u = static_cast<double>(x >> 11) * 0x1.0p-53;
        v = static_cast<float>(-2.0 + spread * u * u * u * u * u * u);
    }
    return l;
}

// Ids sorted by the chain's order: logit descending, then id ascending.
std::vector<int> full_sort(const std::vector<float>& l) {
    std::vector<int> ids(l.size());
    std::iota(ids.begin(), ids.end(), 0);
    std::sort(ids.begin(), ids.end(), [&](int a, int b) {
        const float la = l[static_cast<std::size_t>(a)], lb = l[static_cast<std::size_t>(b)];
        return la > lb || (la == lb && a < b);
    });
    return ids;
}
}  // namespace

TEST_CASE("top-k over 262144 tokens equals the full sort's first k", "[sampling][large]") {
    const auto l = vocab_logits(1);
    const auto sorted = full_sort(l);
    for (int k : {1, 40, 1000}) {
        auto p = all_off();
        p.top_k = k;
        const auto got = ids_of(sampling_test::survivors(p, l));
        CHECK(got == std::vector<int>(sorted.begin(), sorted.begin() + k));
    }
}

TEST_CASE("top-p over 262144 tokens equals the full sort's nucleus", "[sampling][large]") {
    const auto l = vocab_logits(2);
    const auto sorted = full_sort(l);
    // Same arithmetic as the sampler: float expf weights, a double total summed in id order.
    float max = *std::max_element(l.begin(), l.end());
    double total = 0;
    for (float v : l) total += static_cast<double>(std::exp(v - max));
    for (float top_p : {0.01f, 0.3f, 0.9f}) {
        const double target = static_cast<double>(top_p) * total;
        double cum = 0;
        std::size_t keep = 0;
        while (keep < sorted.size()) {
            cum += static_cast<double>(std::exp(l[static_cast<std::size_t>(sorted[keep])] - max));
            ++keep;
            if (cum >= target) break;
        }
        auto p = all_off();
        p.top_p = top_p;
        const auto got = ids_of(sampling_test::survivors(p, l));
        CHECK(got.size() == keep);
        CHECK(got == std::vector<int>(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(keep)));
    }
}

TEST_CASE("sampling from 262144 logits is fast", "[sampling][large]") {
    const auto l = vocab_logits(3, 24.0);
    struct setting {
        const char* name;
        hearth::sampling_params params;
        double budget_ms;
    };
    hearth::sampling_params defaults;
    defaults.seed = 1;
    auto nucleus = defaults;  // no top-k: the top-p walk has to find the nucleus itself
    nucleus.top_k = 0;
    auto greedy = defaults;
    greedy.temperature = 0.0f;
    // Budgets are loose (sanitizer builds, a busy 2-core CI machine) but a full sort of the
    // vocabulary, ~20 ms optimized and several times that under ASan, would blow the top-k ones.
    // Without top-k the whole vocabulary's softmax is needed, as in llama.cpp, hence more room.
    for (const auto& [name, params, budget_ms] : {setting{"defaults (top_k 40)", defaults, 25.0},
                                                  setting{"greedy", greedy, 25.0},
                                                  setting{"top_k off, top_p 0.95", nucleus, 100.0}}) {
        hearth::sampler s(params);
        s.sample(l);  // first call grows the buffers
        const int runs = 20;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < runs; ++i) s.sample(l);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / runs;
        WARN(name << ": " << ms << " ms per token");
        CHECK(ms < budget_ms);
    }
}
