// One tokenizer used from several threads at once gives each the same ids as a lone caller:
// copies share one immutable state and every encode uses its own regex match data.
#include <catch2/catch.hpp>
#include <hearth/tokenizer.hpp>
#include <test_paths.hpp>
#include "vocab_cases.hpp"
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

TEST_CASE("tokenizer: concurrent encodes agree with a single-threaded one", "[tokenizer][threads]") {
    const fs::path path = hearth_test::shared_dir() / "tokenizer" / "ggml-vocab-deepseek-llm.gguf";
    if (!fs::exists(path) || !fs::exists(path.string() + ".inp")) {
        WARN("SKIPPED: no " << path.string());
        return;
    }
    const auto file = hearth::gguf::file::open(path);
    const auto tok = hearth::tokenizer::from_gguf(file);
    const auto inputs = hearth_test::split_inputs(hearth_test::read_bytes(path.string() + ".inp"));
    std::vector<std::vector<hearth::token_id>> expected;
    for (const auto& s : inputs) expected.push_back(tok.encode(s, false, false));

    constexpr int n_threads = 4;
    std::vector<int> mismatches(n_threads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < n_threads; ++t)
        threads.emplace_back([&, t] {
            const hearth::tokenizer copy = tok;  // copies share the state
            for (int round = 0; round < 5; ++round)
                for (std::size_t i = 0; i < inputs.size(); ++i)
                    if ((t % 2 ? copy : tok).encode(inputs[i], false, false) != expected[i]) ++mismatches[t];
        });
    for (auto& th : threads) th.join();
    CHECK(mismatches == std::vector<int>(n_threads, 0));
}
