// NaN, infinities, all-equal and empty logits; bad parameters.
#include <catch2/catch.hpp>
#include "sampling_test_helpers.hpp"
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <vector>

using sampling_test::all_off;

namespace {
const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

hearth::errc kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const hearth::error& e) {
        return e.kind();
    }
    FAIL("expected hearth::error");
    return hearth::errc::io;
}
}  // namespace

TEST_CASE("a NaN logit is never chosen", "[sampling][robust]") {
    for (float temperature : {0.0f, 1.0f, 100.0f}) {
        auto p = hearth::sampling_params{};  // the defaults, every usual stage on
        p.temperature = temperature;
        p.seed = 5;
        p.n_probs = 3;
        hearth::sampler s(p);
        for (int i = 0; i < 200; ++i) {
            const auto r = s.sample(std::vector<float>{kNaN, -50.0f, kNaN, -60.0f, kNaN});
            CHECK((r.id == 1 || r.id == 3));
            for (const auto& c : r.top) CHECK(!std::isnan(c.logit));
        }
    }
}

TEST_CASE("when nothing can be chosen, or nothing is given, sample() throws", "[sampling][robust]") {
    hearth::sampler s(all_off());
    CHECK(kind_of([&] { s.sample(std::vector<float>{}); }) == hearth::errc::invalid_argument);
    CHECK(kind_of([&] { s.sample(std::vector<float>{kNaN, kNaN}); }) == hearth::errc::invalid_argument);
    CHECK(kind_of([&] { s.sample(std::vector<float>{-kInf, kNaN}); }) == hearth::errc::invalid_argument);
    auto p = all_off();
    p.logit_bias = {{0, -kInf}, {1, -kInf}};
    hearth::sampler banned(p);
    CHECK(kind_of([&] { banned.sample(std::vector<float>{1, 2}); }) == hearth::errc::invalid_argument);
}

TEST_CASE("+inf logits are certain and share the mass", "[sampling][robust]") {
    auto p = hearth::sampling_params{};
    p.seed = 11;
    p.n_probs = 4;
    hearth::sampler s(p);
    std::set<int> seen;
    for (int i = 0; i < 200; ++i) {
        const auto r = s.sample(std::vector<float>{0.0f, kInf, 5.0f, kInf});
        CHECK((r.id == 1 || r.id == 3));
        CHECK(r.logprob == Approx(std::log(0.5)).epsilon(1e-6));
        seen.insert(r.id);
    }
    CHECK(seen.size() == 2);
    // Greedy picks the lower id among them.
    p.temperature = 0.0f;
    CHECK(hearth::sampler(p).sample(std::vector<float>{0.0f, kInf, 5.0f, kInf}).id == 1);
}

TEST_CASE("all-equal logits give a uniform distribution", "[sampling][robust]") {
    auto p = all_off();
    p.n_probs = 8;
    hearth::sampler s(p);
    const std::vector<float> flat(8, 3.25f);
    const auto r = s.sample(flat);
    REQUIRE(r.top.size() == 8);
    for (int i = 0; i < 8; ++i) {
        CHECK(r.top[static_cast<std::size_t>(i)].id == i);  // ties in id order
        CHECK(r.top[static_cast<std::size_t>(i)].prob == Approx(0.125).epsilon(1e-12));
    }
    CHECK(r.logprob == Approx(std::log(0.125)).epsilon(1e-6));
    // Every token turns up over many draws.
    std::set<int> seen;
    for (int i = 0; i < 400; ++i) seen.insert(s.sample(flat).id);
    CHECK(seen.size() == 8);
    // A one-token vocabulary always yields that token, with log-probability 0.
    CHECK(s.sample(std::vector<float>{-7.0f}).id == 0);
    CHECK(s.sample(std::vector<float>{-7.0f}).logprob == 0.0f);
}

TEST_CASE("n_probs reports at most the survivors, best first", "[sampling][robust]") {
    auto p = all_off();
    p.top_k = 3;
    p.n_probs = 10;
    hearth::sampler s(p);
    const auto r = s.sample(std::vector<float>{0, 4, 1, 3, 2});
    REQUIRE(r.top.size() == 3);
    CHECK(r.top[0].id == 1);
    CHECK(r.top[1].id == 3);
    CHECK(r.top[2].id == 4);
    double total = 0;
    for (const auto& c : r.top) total += c.prob;
    CHECK(total == Approx(1.0).epsilon(1e-6));
    // n_probs = 0 reports nothing.
    p.n_probs = 0;
    CHECK(hearth::sampler(p).sample(std::vector<float>{0, 1}).top.empty());
}

TEST_CASE("bad parameters are refused up front", "[sampling][robust]") {
    auto bad = [](auto change) {
        auto p = hearth::sampling_params{};
        change(p);
        return kind_of([&] { hearth::sampler s(p); });
    };
    using P = hearth::sampling_params;
    CHECK(bad([](P& p) { p.temperature = kNaN; }) == hearth::errc::invalid_argument);
    CHECK(bad([](P& p) { p.top_p = kNaN; }) == hearth::errc::invalid_argument);
    CHECK(bad([](P& p) { p.repeat_penalty = 0.0f; }) == hearth::errc::invalid_argument);
    CHECK(bad([](P& p) { p.repeat_penalty = kInf; }) == hearth::errc::invalid_argument);
    CHECK(bad([](P& p) { p.penalty_last_n = -2; }) == hearth::errc::invalid_argument);
    CHECK(bad([](P& p) { p.n_probs = -1; }) == hearth::errc::invalid_argument);
    CHECK(bad([](P& p) { p.logit_bias = {{-1, 1.0f}}; }) == hearth::errc::invalid_argument);
    CHECK(bad([](P& p) { p.logit_bias = {{1, kNaN}}; }) == hearth::errc::invalid_argument);
    hearth::sampler s(all_off());
    CHECK(kind_of([&] { s.accept(-3); }) == hearth::errc::invalid_argument);
}
