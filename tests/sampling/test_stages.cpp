// Each stage of the chain on hand-made logits, called directly and through the sampler with
// every other stage off. Expected values are worked out by hand in the comments.
#include <catch2/catch.hpp>
#include "sampling_test_helpers.hpp"
#include <cmath>
#include <limits>
#include <vector>

using namespace hearth::sampling;
using sampling_test::all_off;
using sampling_test::ids_of;
using sampling_test::survivors;
using Catch::Matchers::Equals;

namespace {
const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<int> set_ids(const candidate_set& s) {
    std::vector<int> ids;
    for (const auto& c : s.items) ids.push_back(c.id);
    return ids;
}
candidate_set gather_all(const std::vector<float>& logits) {
    candidate_set s;
    gather_candidates(logits, 0, s);
    return s;
}
}  // namespace

TEST_CASE("top-k keeps the k best, best first, ties to the lower id", "[sampling][top_k]") {
    candidate_set s;
    gather_candidates(std::vector<float>{1, 5, 3, 4, 2}, 2, s);
    CHECK_THAT(set_ids(s), Equals(std::vector<int>{1, 3}));
    CHECK(s.sorted == 2);

    gather_candidates(std::vector<float>{2, 7, 2, 2, 1}, 3, s);
    CHECK_THAT(set_ids(s), Equals(std::vector<int>{1, 0, 2}));

    // k = 0 (off) keeps every token in id order; -kInf (banned) tokens are never candidates.
    gather_candidates(std::vector<float>{1, -kInf, 3}, 0, s);
    CHECK_THAT(set_ids(s), Equals(std::vector<int>{0, 2}));
    CHECK(s.sorted == 0);
    // k larger than the vocabulary keeps everything, sorted.
    gather_candidates(std::vector<float>{1, 3, 2}, 10, s);
    CHECK_THAT(set_ids(s), Equals(std::vector<int>{1, 2, 0}));

    // Through the sampler: logits 5 and 4 survive, p = softmax(5, 4) = (1/(1+e^-1), e^-1/(1+e^-1)).
    auto p = all_off();
    p.top_k = 2;
    const auto top = survivors(p, {1, 5, 3, 4, 2});
    REQUIRE(top.size() == 2);
    CHECK(top[0].id == 1);
    CHECK(top[0].logit == 5.0f);
    CHECK(top[0].prob == Approx(1.0 / (1.0 + std::exp(-1.0))).epsilon(1e-6));
    CHECK(top[1].id == 3);
    CHECK(top[1].prob == Approx(std::exp(-1.0) / (1.0 + std::exp(-1.0))).epsilon(1e-6));
}

TEST_CASE("top-p keeps the fewest best tokens whose mass reaches p", "[sampling][top_p]") {
    // probabilities 0.5, 0.3, 0.15, 0.05 (ids shuffled so order comes from the logits)
    const std::vector<float> logits{std::log(0.15f), std::log(0.5f), std::log(0.05f), std::log(0.3f)};
    auto p = all_off();
    p.top_p = 0.4f;  // 0.5 >= 0.4 at once
    CHECK_THAT(ids_of(survivors(p, logits)), Equals(std::vector<int>{1}));
    p.top_p = 0.7f;  // 0.5 < 0.7, 0.8 >= 0.7
    CHECK_THAT(ids_of(survivors(p, logits)), Equals(std::vector<int>{1, 3}));
    p.top_p = 0.9f;  // 0.95 >= 0.9
    const auto top = survivors(p, logits);
    CHECK_THAT(ids_of(top), Equals(std::vector<int>{1, 3, 0}));
    // Renormalized over the three survivors: 0.5/0.95, 0.3/0.95, 0.15/0.95.
    CHECK(top[0].prob == Approx(0.5 / 0.95).epsilon(1e-6));
    CHECK(top[1].prob == Approx(0.3 / 0.95).epsilon(1e-6));
    CHECK(top[2].prob == Approx(0.15 / 0.95).epsilon(1e-6));
    p.top_p = 0.0f;  // nothing is needed: the best alone
    CHECK_THAT(ids_of(survivors(p, logits)), Equals(std::vector<int>{1}));

    // 1000 equal logits: every weight is exactly 1 and the total exactly 1000, so p = 0.5
    // keeps exactly 500, the lowest ids. The walk has to grow its sorted prefix past 64 and 256.
    auto s = gather_all(std::vector<float>(1000, 0.25f));
    distribution d;
    apply_top_p(s, 0.5f, d);
    REQUIRE(s.size() == 500);
    for (int i = 0; i < 500; ++i) CHECK(s.items[static_cast<std::size_t>(i)].id == i);
}

TEST_CASE("min-p keeps tokens at least p times as likely as the best", "[sampling][min_p]") {
    // logits 0, -1, -2, -3 (shuffled); threshold = 0 + log p.
    const std::vector<float> logits{-2, 0, -3, -1};
    auto p = all_off();
    p.min_p = 0.3f;  // log 0.3 = -1.20: keeps 0 and -1
    CHECK_THAT(ids_of(survivors(p, logits)), Equals(std::vector<int>{1, 3}));
    p.min_p = 0.1f;  // log 0.1 = -2.30: keeps 0, -1, -2
    const auto top = survivors(p, logits);
    CHECK_THAT(ids_of(top), Equals(std::vector<int>{1, 3, 0}));
    const auto ref = sampling_test::softmax({0, -1, -2});
    for (std::size_t i = 0; i < 3; ++i) CHECK(top[i].prob == Approx(ref[i]).epsilon(1e-6));
    p.min_p = 2.0f;  // asks for more than the best has: the best alone stays
    CHECK_THAT(ids_of(survivors(p, logits)), Equals(std::vector<int>{1}));

    // Directly: order and the sorted prefix survive the filter.
    auto s = gather_all({-2, 0, -3, -1});
    apply_min_p(s, 0.3f);
    CHECK_THAT(set_ids(s), Equals(std::vector<int>{1, 3}));
}

TEST_CASE("typical keeps the tokens whose surprise is nearest the entropy", "[sampling][typical]") {
    // p = 0.5, 0.3, 0.15, 0.05 at ids 0..3. Entropy H = 1.14212 nats; -log p = 0.693, 1.204,
    // 1.897, 2.996; |-log p - H| = 0.449, 0.062, 0.755, 1.854: typicality order 1, 0, 2, 3.
    const std::vector<float> logits{std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
    auto p = all_off();
    p.typical_p = 0.2f;  // 0.3 > 0.2
    CHECK_THAT(ids_of(survivors(p, logits)), Equals(std::vector<int>{1}));
    p.typical_p = 0.5f;  // 0.3, then 0.8 > 0.5
    CHECK_THAT(ids_of(survivors(p, logits)), Equals(std::vector<int>{0, 1}));
    p.typical_p = 0.9f;  // 0.3, 0.8, 0.95 > 0.9
    const auto top = survivors(p, logits);
    CHECK_THAT(ids_of(top), Equals(std::vector<int>{0, 1, 2}));
    CHECK(top[0].prob == Approx(0.5 / 0.95).epsilon(1e-6));

    // Directly: the set is left in typicality order.
    auto s = gather_all(logits);
    distribution d;
    std::vector<typical_entry> scratch;
    apply_typical(s, 0.9f, d, scratch);
    CHECK_THAT(set_ids(s), Equals(std::vector<int>{1, 0, 2}));
}

TEST_CASE("temperature divides the logits", "[sampling][temperature]") {
    auto p = all_off();
    p.temperature = 0.5f;  // softmax(2, 0)
    auto top = survivors(p, {1, 0});
    CHECK(top[0].prob == Approx(1.0 / (1.0 + std::exp(-2.0))).epsilon(1e-6));
    p.temperature = 2.0f;  // softmax(0.5, 0)
    top = survivors(p, {1, 0});
    CHECK(top[0].prob == Approx(1.0 / (1.0 + std::exp(-0.5))).epsilon(1e-6));
    // A temperature so small that (l - max)/t overflows: the best token is certain, no NaN.
    p.temperature = 1e-30f;
    top = survivors(p, {1, 0, 0.5f});
    CHECK(top[0].id == 0);
    CHECK(top[0].prob == 1.0f);
    CHECK(top[1].prob == 0.0f);
}

TEST_CASE("greedy takes the argmax and reports the temperature-1 softmax", "[sampling][greedy]") {
    auto p = all_off();
    p.temperature = 0.0f;
    p.n_probs = 2;
    hearth::sampler s(p);
    for (int i = 0; i < 5; ++i) {  // no randomness at all
        const auto r = s.sample(std::vector<float>{0.5f, 2.0f, 1.0f});
        CHECK(r.id == 1);
        const auto ref = sampling_test::softmax({0.5, 2.0, 1.0});
        CHECK(r.logprob == Approx(std::log(ref[1])).epsilon(1e-6));
        REQUIRE(r.top.size() == 2);
        CHECK(r.top[1].id == 2);
        CHECK(r.top[1].prob == Approx(ref[2]).epsilon(1e-6));
    }
    // Ties go to the lowest id; negative temperatures are greedy too.
    p.temperature = -1.0f;
    hearth::sampler t(p);
    CHECK(t.sample(std::vector<float>{1, 3, 3, 3}).id == 1);
}

TEST_CASE("repetition, frequency and presence penalties follow llama.cpp", "[sampling][penalties]") {
    penalty_window w(3);
    for (int id : {2, 0, 1, 1}) w.accept(id);  // window holds the last 3: 0, 1, 1
    CHECK(w.size() == 3);
    CHECK(w.count(2) == 0);
    CHECK(w.count(1) == 2);
    std::vector<float> logits{2.0f, -2.0f, 1.0f, 0.5f};
    w.apply(logits, 2.0f, 0.5f, 0.25f);
    // id 0 (count 1, positive): 2 / 2 - 1*0.5 - 0.25 = 0.25
    // id 1 (count 2, negative): -2 * 2 - 2*0.5 - 0.25 = -5.25
    // id 2 fell out of the window; id 3 was never seen.
    CHECK(logits[0] == 0.25f);
    CHECK(logits[1] == -5.25f);
    CHECK(logits[2] == 1.0f);
    CHECK(logits[3] == 0.5f);

    // Zero logits are multiplied (0 stays 0), as in llama.cpp's `logit <= 0` branch.
    std::vector<float> zero{0.0f, 1.0f, 1.0f, 1.0f};
    w.apply(zero, 1.5f, 0.0f, 0.0f);
    CHECK(zero[0] == 0.0f);

    // Window 0 remembers nothing; -1 remembers everything.
    penalty_window off(0), all(-1);
    for (int i = 0; i < 100; ++i) {
        off.accept(5);
        all.accept(5);
    }
    CHECK(off.size() == 0);
    CHECK(all.count(5) == 100);

    // Through the sampler: a strong repetition penalty moves greedy off the repeated token.
    auto p = all_off();
    p.temperature = 0.0f;
    p.repeat_penalty = 4.0f;
    p.penalty_last_n = 8;
    hearth::sampler s(p);
    const std::vector<float> l{3.0f, 2.0f, 1.0f};
    CHECK(s.sample(l).id == 0);
    s.accept(0);  // 3 / 4 = 0.75 < 2
    CHECK(s.sample(l).id == 1);
    s.accept(1);  // 2 / 4 = 0.5 < 1
    CHECK(s.sample(l).id == 2);
    s.reset();  // window forgotten
    CHECK(s.sample(l).id == 0);
}

TEST_CASE("logit bias adds to chosen logits and -kInf bans", "[sampling][logit_bias]") {
    std::vector<float> l{1, 2, 3};
    const std::vector<std::pair<std::int32_t, float>> bias{{0, 5.0f}, {2, -kInf}, {0, 0.5f}};
    apply_logit_bias(l, bias);
    CHECK(l[0] == 6.5f);  // repeated ids add up
    CHECK(l[1] == 2.0f);
    CHECK(l[2] == -kInf);

    // +kInf meeting a -kInf ban is NaN: the ban wins.
    std::vector<float> certain{kInf, 0.0f};
    apply_logit_bias(certain, std::vector<std::pair<std::int32_t, float>>{{0, -kInf}});
    CHECK(certain[0] == -kInf);

    auto p = all_off();
    p.temperature = 0.0f;
    p.logit_bias = {{2, -kInf}};
    CHECK(hearth::sampler(p).sample(std::vector<float>{1, 2, 3}).id == 1);
    p.logit_bias = {{0, 10.0f}};
    CHECK(hearth::sampler(p).sample(std::vector<float>{1, 2, 3}).id == 0);

    p.logit_bias = {{3, 1.0f}};  // id 3 does not exist in a 3-token vocabulary
    hearth::sampler bad(p);
    try {
        bad.sample(std::vector<float>{1, 2, 3});
        FAIL("expected hearth::error");
    } catch (const hearth::error& e) {
        CHECK(e.kind() == hearth::errc::out_of_range);
        CHECK_THAT(e.what(), Catch::Matchers::Contains("token 3"));
    }
}

TEST_CASE("the chain runs in llama.cpp's order", "[sampling][chain]") {
    // Bias before penalties: (1 + 3) / 2 = 2 for token 0, whereas penalty-then-bias would give
    // 1/2 + 3 = 3.5 and beat token 1's 3.
    auto p = all_off();
    p.temperature = 0.0f;
    p.logit_bias = {{0, 3.0f}};
    p.repeat_penalty = 2.0f;
    hearth::sampler s(p);
    s.accept(0);
    CHECK(s.sample(std::vector<float>{1.0f, 3.0f}).id == 1);

    // top-k before top-p: with k = 2 the nucleus is computed over the two survivors only.
    // softmax(0, -1) = 0.731, 0.269: top_p = 0.7 keeps just the first. Without top-k,
    // softmax(0, -1, -1.5, ...) puts the best under 0.7 and keeps two.
    auto q = all_off();
    q.top_k = 2;
    q.top_p = 0.7f;
    const std::vector<float> l{0.0f, -1.0f, -1.5f, -1.5f};
    CHECK(ids_of(survivors(q, l)).size() == 1);
    q.top_k = 0;
    CHECK(ids_of(survivors(q, l)).size() == 2);
}
