// llama.cpp's own tokenizer tests, run on every ggml-vocab-*.gguf in shared/tokenizer/ (found at
// run time, so a vocabulary dropped there later is tested with no new code): each input encoded
// with add_special=false, parse_special=false must give exactly the ids llama.cpp gives, and
// decoding those ids must give the input back. SentencePiece is not lossless in one respect: it
// adds a space in front of the text (add_space_prefix), so its decode is " " + input.
#include <catch2/catch.hpp>
#include <hearth/tokenizer.hpp>
#include <test_paths.hpp>
#include "vocab_cases.hpp"
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace hearth_test;

namespace {

std::vector<fs::path> vocab_files() {
    std::vector<fs::path> files;
    const fs::path dir = shared_dir() / "tokenizer";
    if (!fs::is_directory(dir)) return files;
    for (const auto& e : fs::directory_iterator(dir)) {
        const auto name = e.path().filename().string();
        if (name.rfind("ggml-vocab-", 0) == 0 && e.path().extension() == ".gguf") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("every ggml-vocab file: ids exactly as llama.cpp, decode gives the input back", "[tokenizer][vocab]") {
    const auto files = vocab_files();
    if (files.empty()) {
        WARN("SKIPPED: no ggml-vocab-*.gguf in " << (shared_dir() / "tokenizer").string());
        return;
    }
    std::size_t total = 0;
    for (const auto& path : files) {
        const fs::path inp = path.string() + ".inp", out = path.string() + ".out";
        if (!fs::exists(inp) || !fs::exists(out)) {
            WARN(path.filename().string() << ": no .inp/.out beside it, only loading is tested");
            auto f = hearth::gguf::file::open(path);
            CHECK_NOTHROW(hearth::tokenizer::from_gguf(f));
            continue;
        }
        const auto file = hearth::gguf::file::open(path);
        const auto tok = hearth::tokenizer::from_gguf(file);
        const auto cases = read_vocab_cases(inp, out);
        REQUIRE(!cases.empty());
        std::size_t passed = 0;
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const auto& c = cases[i];
            INFO(path.filename().string() << " case " << i << ": \"" << escaped(c.input) << "\"");
            const auto ids = tok.encode(c.input, false, false);
            INFO("expected " << ids_string(c.ids));
            INFO("got      " << ids_string(ids));
            CHECK(ids == c.ids);
            const std::string expect_text = tok.add_space_prefix() && !c.input.empty() ? " " + c.input : c.input;
            const std::string text = tok.decode(c.ids);
            INFO("decoded  \"" << escaped(text) << "\"");
            CHECK(text == expect_text);
            if (ids == c.ids && text == expect_text) ++passed;
        }
        ++total;
        // One line per vocabulary in the log, so the count of cases run is visible.
        WARN(path.filename().string() << ": " << passed << "/" << cases.size() << " cases exact");
    }
    CHECK(total > 0);
}
