// Performance sanity: encoding 100 KB of mixed text (llama.cpp's test inputs repeated: many
// scripts, emoji, digits, white-space runs) takes well under a second with every vocabulary.
// Its own program, labelled "slow": timings under the sanitizer build mean nothing, and
// scripts/test runs that build with -LE slow.
#include <catch2/catch.hpp>
#include <hearth/tokenizer.hpp>
#include <test_paths.hpp>
#include "vocab_cases.hpp"
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace hearth_test;

TEST_CASE("encoding 100 KB of text takes well under a second", "[tokenizer][perf]") {
    std::vector<fs::path> files;
    const fs::path dir = shared_dir() / "tokenizer";
    if (fs::is_directory(dir))
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().filename().string().rfind("ggml-vocab-", 0) == 0 && e.path().extension() == ".gguf")
                files.push_back(e.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        WARN("SKIPPED: no ggml-vocab-*.gguf in " << (shared_dir() / "tokenizer").string());
        return;
    }
    for (const auto& path : files) {
        const fs::path inp = path.string() + ".inp";
        if (!fs::exists(inp)) continue;
        // The test inputs (many scripts, emoji, digits, white space runs) repeated to 100 KB.
        const std::string sample = read_bytes(inp);
        std::string text;
        while (text.size() < 100 * 1024) text += sample;
        const auto file = hearth::gguf::file::open(path);
        const auto tok = hearth::tokenizer::from_gguf(file);
        const auto t0 = std::chrono::steady_clock::now();
        const auto ids = tok.encode(text, false, false);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        WARN(path.filename().string() << ": " << text.size() << " bytes -> " << ids.size() << " tokens in "
                                      << seconds * 1000 << " ms");
        CHECK(seconds < 1.0);
        CHECK(tok.decode(ids) == (tok.add_space_prefix() ? " " + text : text));
    }
}
