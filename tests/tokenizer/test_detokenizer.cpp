// The streaming detokenizer: characters split across tokens (byte-fallback tokens, byte-level BPE
// pieces of an emoji) come out whole, once, in order; flush() gives back what never completed.
#include <catch2/catch.hpp>
#include <hearth/tokenizer.hpp>
#include <test_paths.hpp>
#include "vocab_cases.hpp"
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using hearth::token_id;

namespace {

hearth::tokenizer bytes_only_spm() {
    hearth::vocab_data d;
    d.model = "llama";
    d.tokens = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a"};
    d.types = {2, 3, 3, 1, 1};
    for (int b = 0; b < 256; ++b) {
        static const char* h = "0123456789ABCDEF";
        d.tokens.push_back(std::string("<0x") + h[b >> 4] + h[b & 15] + ">");
        d.types.push_back(6);
    }
    d.add_space_prefix = false;
    return hearth::tokenizer(std::move(d));
}

// True when `s` is whole UTF-8 characters (no sequence cut short).
bool whole_characters(const std::string& s) { return hearth::utf8::complete_prefix(s) == s.size(); }

}  // namespace

TEST_CASE("detokenizer: a 4-byte character split over 4 byte tokens comes out once, whole", "[tokenizer][detok]") {
    const auto tok = bytes_only_spm();
    const auto ids = tok.encode("a\xF0\x9F\xA6\x99" "a", false, false);  // a 🦙 a
    REQUIRE(ids.size() == 6);
    hearth::detokenizer d(tok);
    std::vector<std::string> out;
    for (auto id : ids) out.push_back(d.push(id));
    CHECK(out == std::vector<std::string>{"a", "", "", "", "\xF0\x9F\xA6\x99", "a"});
    CHECK(d.pending() == 0);
    CHECK(d.flush().empty());
}

TEST_CASE("detokenizer: flush returns an unfinished character; a broken one is not held forever",
          "[tokenizer][detok]") {
    const auto tok = bytes_only_spm();
    hearth::detokenizer d(tok);
    const token_id e2 = 5 + 0xE2, x82 = 5 + 0x82;
    CHECK(d.push(e2).empty());
    CHECK(d.push(x82).empty());
    CHECK(d.pending() == 2);
    CHECK(d.flush() == "\xE2\x82");
    CHECK(d.pending() == 0);
    // A sequence that can never complete is let through with the text after it.
    CHECK(d.push(e2).empty());
    CHECK(d.push(*tok.find("a")) == "\xE2" "a");
    // Control tokens: nothing unless rendering was asked for.
    CHECK(d.push(1).empty());
    hearth::detokenizer r(tok, true);
    CHECK(r.push(1) == "<s>");
}

TEST_CASE("detokenizer: streaming every vocab test input gives decode(), in whole characters",
          "[tokenizer][detok]") {
    const fs::path dir = hearth_test::shared_dir() / "tokenizer";
    if (!fs::is_directory(dir)) {
        WARN("SKIPPED: no " << dir.string());
        return;
    }
    std::size_t streams = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        const auto name = e.path().filename().string();
        if (name.rfind("ggml-vocab-", 0) != 0 || e.path().extension() != ".gguf") continue;
        const fs::path inp = e.path().string() + ".inp";
        if (!fs::exists(inp)) continue;
        const auto file = hearth::gguf::file::open(e.path());
        const auto tok = hearth::tokenizer::from_gguf(file);
        for (const auto& text : hearth_test::split_inputs(hearth_test::read_bytes(inp))) {
            INFO(name << ": \"" << hearth_test::escaped(text) << "\"");
            const auto ids = tok.encode(text, false, false);
            hearth::detokenizer d(tok);
            std::string streamed;
            for (auto id : ids) {
                const std::string part = d.push(id);
                CHECK(whole_characters(part));
                streamed += part;
            }
            CHECK(d.flush().empty());  // the inputs are valid UTF-8: nothing is left over
            CHECK(streamed == tok.decode(ids));
            ++streams;
        }
    }
    CHECK(streams > 0);
}
