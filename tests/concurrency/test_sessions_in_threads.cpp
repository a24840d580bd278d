// Several sessions sharing one model (and so one CPU backend and its thread pool) generate at the
// same time from their own threads, and a generation is cancelled from another thread through the
// atomic flag. Built with -fsanitize=thread by scripts/test.d/50-tsan.sh, where any data race is a
// failure; in the normal suite it still checks that concurrent runs give exactly the tokens of
// the same runs made one after another (seeded sampling is deterministic, so any difference is
// interference between sessions).
#include <catch2/catch.hpp>
#include <hearth/cpu.hpp>
#include <hearth/session.hpp>
#include <test_paths.hpp>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using backend_t = hearth::cpu::backend<>;
using model_t = hearth::model<backend_t>;
using session_t = hearth::session<backend_t>;

// The shared tiny llama: random weights, so any continuation is gibberish, but every layer, the
// cache, the tokenizer and the sampler run. Its heads (4 wide) are too narrow for a quantized
// cache block, so the cache is f16.
std::filesystem::path tiny_llama() { return hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf"; }

hearth::session_params session_options() {
    hearth::session_params p;
    p.context = 256;
    p.cache = {hearth::dtype::f16, hearth::dtype::f16};
    return p;
}

struct run_result {
    std::vector<hearth::token_id> tokens;
    std::string text;
    hearth::generation_stats stats;
};

// One generation with a seeded sampler (temperature > 0, so the sampler's random draws are in
// play too); `k` varies prompt and seed per session.
run_result generate(const std::shared_ptr<const model_t>& model, int k, int max_tokens,
                    const std::atomic<bool>* cancel = nullptr, std::atomic<int>* produced = nullptr) {
    session_t s(model, session_options());
    hearth::generate_params g;
    g.max_tokens = max_tokens;
    g.sampling.temperature = 0.9f;
    g.sampling.seed = 1000 + static_cast<std::uint64_t>(k);
    g.stop_at_eog = false;  // random weights may emit EOS at any point; keep the length fixed
    g.cancel = cancel;
    run_result r;
    const std::string prompt = "Session " + std::to_string(k) + " says hello to the others";
    r.stats = s.generate(prompt, g, [&](const hearth::piece& p) {
        if (p.token >= 0) r.tokens.push_back(p.token);
        r.text += p.text;
        if (produced) produced->fetch_add(1, std::memory_order_relaxed);
        return true;
    });
    return r;
}

// Fewer steps under a sanitizer build, where every step costs ~10x: HEARTH_TEST_SMALL=1.
int steps(int normal) { return std::getenv("HEARTH_TEST_SMALL") ? normal / 4 : normal; }

}  // namespace

TEST_CASE("sessions sharing one model generate concurrently, each as if alone", "[concurrency]") {
    backend_t backend(hearth::cpu::options{4});
    const auto model = model_t::open(backend, tiny_llama());
    constexpr int n_sessions = 4;
    const int max_tokens = steps(48);

    // Baseline: the same runs, one after another.
    std::vector<run_result> alone;
    for (int k = 0; k < n_sessions; ++k) alone.push_back(generate(model, k, max_tokens));

    std::vector<run_result> together(n_sessions);
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    for (int k = 0; k < n_sessions; ++k)
        threads.emplace_back([&, k] {
            ready.fetch_add(1);
            while (ready.load() < n_sessions) std::this_thread::yield();  // start together
            together[k] = generate(model, k, max_tokens);
        });
    for (auto& t : threads) t.join();

    for (int k = 0; k < n_sessions; ++k) {
        INFO("session " << k);
        CHECK(alone[k].tokens.size() == static_cast<std::size_t>(max_tokens));
        CHECK(together[k].tokens == alone[k].tokens);
        CHECK(together[k].text == alone[k].text);
    }
}

TEST_CASE("a generation is cancelled from another thread through the atomic flag", "[concurrency]") {
    backend_t backend(hearth::cpu::options{2});
    const auto model = model_t::open(backend, tiny_llama());
    std::atomic<bool> cancel{false};
    std::atomic<int> produced{0};
    const int max_tokens = 200;  // far more than it will get to

    run_result cancelled, bystander;
    std::thread worker([&] { cancelled = generate(model, 7, max_tokens, &cancel, &produced); });
    // A second session keeps running beside it: cancelling one must not disturb the other.
    std::thread other([&] { bystander = generate(model, 8, steps(24)); });
    // Cancel once the worker is well into its generation (not before it started).
    while (produced.load(std::memory_order_relaxed) < 3) std::this_thread::sleep_for(std::chrono::microseconds(200));
    cancel.store(true, std::memory_order_relaxed);
    worker.join();
    other.join();

    CHECK(cancelled.stats.reason == hearth::generation_stats::end::cancelled);
    CHECK(cancelled.stats.generated_tokens >= 3);
    CHECK(cancelled.stats.generated_tokens < static_cast<std::size_t>(max_tokens));
    CHECK(bystander.stats.reason == hearth::generation_stats::end::length);
    CHECK(bystander.tokens == generate(model, 8, steps(24)).tokens);
}
