// The tokenizer's parts on small hand-made vocabularies, where every expected id follows from
// the rules by hand: UTF-8 reading, GPT-2's byte alphabet, the regex splitter's llama.cpp
// semantics, SentencePiece's score-ordered merges and byte fallback, BPE's rank-ordered merges,
// special-token splitting, pieces, and the errors for bad input.
#include <catch2/catch.hpp>
#include <hearth/tokenizer.hpp>
#include <string>
#include <utility>
#include <vector>

using hearth::token_id;
using hearth::vocab_data;

namespace {

// SentencePiece vocabulary: <unk> <s> </s>, optionally the 256 byte tokens, then `pieces`.
vocab_data spm_vocab(const std::vector<std::pair<std::string, float>>& pieces, bool byte_tokens = true) {
    vocab_data d;
    d.model = "llama";
    d.tokens = {"<unk>", "<s>", "</s>"};
    d.scores = {0, 0, 0};
    d.types = {2, 3, 3};
    if (byte_tokens)
        for (int b = 0; b < 256; ++b) {
            static const char* h = "0123456789ABCDEF";
            d.tokens.push_back(std::string("<0x") + h[b >> 4] + h[b & 15] + ">");
            d.scores.push_back(0);
            d.types.push_back(6);
        }
    for (const auto& [text, score] : pieces) {
        d.tokens.push_back(text);
        d.scores.push_back(score);
        d.types.push_back(1);
    }
    return d;
}

// Byte-level BPE vocabulary: the 256 characters of GPT-2's byte alphabet, then the merges'
// results, then `extra` tokens.
vocab_data bpe_vocab(const std::vector<std::string>& merges, const std::string& pre = "gpt-2",
                     const std::vector<std::string>& extra = {}) {
    vocab_data d;
    d.model = "gpt2";
    d.pre = pre;
    for (int b = 0; b < 256; ++b) d.tokens.push_back(hearth::byte_encoding::encode(static_cast<unsigned char>(b)));
    for (const auto& m : merges) {
        d.merges.push_back(m);
        std::string joined = m;
        joined.erase(joined.find(' '), 1);
        d.tokens.push_back(joined);
    }
    for (const auto& e : extra) d.tokens.push_back(e);
    return d;
}

std::vector<token_id> ids_of(const hearth::tokenizer& t, std::initializer_list<std::string> texts) {
    std::vector<token_id> out;
    for (const auto& s : texts) {
        auto id = t.find(s);
        REQUIRE(id.has_value());
        out.push_back(*id);
    }
    return out;
}

std::vector<std::string> split(std::initializer_list<std::string_view> patterns, std::string_view text) {
    std::vector<std::string_view> p(patterns);
    hearth::tokenization::regex_splitter s(p);
    std::vector<std::string> words;
    s.split(text, words);
    return words;
}

const std::string G = "\xC4\xA0";  // 'Ġ', GPT-2's spelling of ' '

}  // namespace

TEST_CASE("utf8: lenient decoding as llama.cpp reads it", "[tokenizer][utf8]") {
    using hearth::utf8::decode;
    CHECK(decode("a\xC3\xA9") == std::vector<char32_t>{'a', 0xE9});
    CHECK(decode("\xF0\x9F\xA6\x99") == std::vector<char32_t>{0x1F999});
    CHECK(decode("\xFF") == std::vector<char32_t>{0xFFFD});                // never a lead byte
    CHECK(decode("\x80x") == std::vector<char32_t>{0xFFFD, 'x'});          // stray continuation
    CHECK(decode("\xC3") == std::vector<char32_t>{0xFFFD});                // truncated at the end
    CHECK(decode("\xC3(") == std::vector<char32_t>{0xFFFD, '('});          // bad continuation: one byte lost
    CHECK(decode("\xE2\x82") == std::vector<char32_t>{0xFFFD, 0xFFFD});
    CHECK(decode("\xC0\xAF") == std::vector<char32_t>{0x2F});              // overlong accepted
    CHECK(decode("\xED\xA0\x80") == std::vector<char32_t>{0xD800});        // surrogate accepted
    CHECK(hearth::utf8::encode(0x1F999) == "\xF0\x9F\xA6\x99");
    CHECK(hearth::utf8::encode(0x110000) == "\xEF\xBF\xBD");               // no encoding: U+FFFD
    CHECK(hearth::utf8::sequence_length(0xF0) == 4);
    CHECK(hearth::utf8::sequence_length(0x80) == 1);
}

TEST_CASE("utf8: complete_prefix holds back only an unfinished character", "[tokenizer][utf8]") {
    using hearth::utf8::complete_prefix;
    CHECK(complete_prefix("") == 0);
    CHECK(complete_prefix("abc") == 3);
    CHECK(complete_prefix("a\xE2\x82") == 1);
    CHECK(complete_prefix("a\xE2\x82\xAC") == 4);
    CHECK(complete_prefix("a\xF0") == 1);
    CHECK(complete_prefix("a\xF0\x9F\xA6") == 1);
    CHECK(complete_prefix("a\xF0\x9F\xA6\x99") == 5);
    CHECK(complete_prefix("a\x80") == 2);      // a stray continuation byte never completes: let it through
    CHECK(complete_prefix("a\xFF") == 2);
    CHECK(complete_prefix("\xE2\x82" "a") == 3);  // a broken sequence followed by more text
}

TEST_CASE("byte alphabet: GPT-2's printable spelling of every byte", "[tokenizer][bytes]") {
    using namespace hearth::byte_encoding;
    CHECK(encode(' ') == G);
    CHECK(encode('\n') == "\xC4\x8A");  // 'Ċ' U+010A
    CHECK(encode('A') == "A");
    CHECK(encode(0xAD) == "\xC5\x83");  // soft hyphen: the 68th non-printable byte, U+0143
    CHECK(encode(0xE9) == "\xC3\xA9");  // 'é' stands for itself
    for (int b = 0; b < 256; ++b) {
        auto cps = hearth::utf8::decode(encode(static_cast<unsigned char>(b)));
        REQUIRE(cps.size() == 1);
        CHECK(decode(cps[0]) == std::optional<unsigned char>(static_cast<unsigned char>(b)));
    }
    CHECK(!decode(0x144).has_value());
    CHECK(!decode(0x4E00).has_value());
}

TEST_CASE("regex splitter: matches and gaps become words, one regex after another", "[tokenizer][regex]") {
    using hearth::tokenization::pre_regex::gpt2;
    CHECK(split({gpt2}, "Hello world") == std::vector<std::string>{"Hello", " world"});
    // \s+(?!\S) leaves the last space for the word after it.
    CHECK(split({gpt2}, "a   b") == std::vector<std::string>{"a", "  ", " b"});
    CHECK(split({gpt2}, "it's 42!!") == std::vector<std::string>{"it", "'s", " 42", "!!"});
    // Gaps are words too.
    CHECK(split({"b"}, "abcb") == std::vector<std::string>{"a", "b", "c", "b"});
    // Each regex runs over the previous one's pieces: digits first, then GPT-2's split.
    CHECK(split({R"(\p{N})", gpt2}, "abc 12") == std::vector<std::string>{"abc", " ", "1", "2"});
    // $ is the end of the piece only, not "before a final newline".
    CHECK(split({"a$"}, "a\n") == std::vector<std::string>{"a\n"});
    CHECK(split({"a$"}, "ba") == std::vector<std::string>{"b", "a"});
}

TEST_CASE("regex splitter: non-ASCII white space is \\s and nothing else, as in llama.cpp", "[tokenizer][regex]") {
    // NEL (U+0085) is white space to llama.cpp; PCRE2's own \s would not match it.
    CHECK(split({R"(\s+)"}, "a\xC2\x85" "b") == std::vector<std::string>{"a", "\xC2\x85", "b"});
    CHECK(split({R"(\s+)"}, "a\xE3\x80\x80" "b") == std::vector<std::string>{"a", "\xE3\x80\x80", "b"});
    // A class naming U+3000 does not see it: llama.cpp hides non-ASCII white space from regexes.
    CHECK(split({R"([\x{3000}]+)"}, "a\xE3\x80\x80" "b") == std::vector<std::string>{"a\xE3\x80\x80" "b"});
    // Malformed input is split as U+FFFD and rebuilt from code points.
    CHECK(split({R"(\p{L}+)"}, "ab\xFF" "cd") == std::vector<std::string>{"ab", "\xEF\xBF\xBD", "cd"});
}

TEST_CASE("SentencePiece: the highest-scoring pair merges first, ties go left", "[tokenizer][spm]") {
    auto make = [](float ab, float bc) {
        auto d = spm_vocab({{"a", -5}, {"b", -5}, {"c", -5}, {"ab", ab}, {"bc", bc}});
        d.add_space_prefix = false;
        return hearth::tokenizer(std::move(d));
    };
    {
        auto t = make(-1, -2);
        CHECK(t.encode("abc", false, false) == ids_of(t, {"ab", "c"}));
    }
    {
        auto t = make(-2, -1);
        CHECK(t.encode("abc", false, false) == ids_of(t, {"a", "bc"}));
    }
    {
        auto t = make(-1, -1);  // equal scores: the leftmost pair
        CHECK(t.encode("abc", false, false) == ids_of(t, {"ab", "c"}));
    }
    {
        // Merges continue on merged symbols: ab + c -> abc even though "bc" scores higher than "ab".
        auto d = spm_vocab({{"a", -5}, {"b", -5}, {"c", -5}, {"ab", -1}, {"bc", -0.5}, {"abc", -3}});
        d.add_space_prefix = false;
        hearth::tokenizer t(std::move(d));
        CHECK(t.encode("abc", false, false) == ids_of(t, {"abc"}));  // bc first, then a+bc = abc
    }
}

TEST_CASE("SentencePiece: space prefix, U+2581, byte fallback, <unk>", "[tokenizer][spm]") {
    const std::string sp = "\xE2\x96\x81";
    hearth::tokenizer t(spm_vocab({{sp, -1}, {"a", -2}, {"b", -2}, {sp + "a", -1.5}, {sp + "b", -1.5}}));
    CHECK(t.add_bos());
    CHECK(!t.add_eos());
    CHECK(t.add_space_prefix());
    CHECK(t.bos() == 1);
    CHECK(t.eos() == 2);
    CHECK(t.encode("a b", false, false) == ids_of(t, {sp + "a", sp + "b"}));
    CHECK(t.encode("a b", true, false) == std::vector<token_id>{1, *t.find(sp + "a"), *t.find(sp + "b")});
    CHECK(t.encode("", false, false).empty());
    CHECK(t.encode("", true, false) == std::vector<token_id>{1});
    // A character with no piece falls back to its UTF-8 bytes.
    CHECK(t.encode("a\xE2\x98\x83", false, false) ==
          std::vector<token_id>{*t.find(sp + "a"), 3 + 0xE2, 3 + 0x98, 3 + 0x83});
    CHECK(t.decode(t.encode("a\xE2\x98\x83 b", false, false)) == " a\xE2\x98\x83 b");
    // Without byte tokens: <unk>.
    auto d = spm_vocab({{"a", -1}}, false);
    d.add_space_prefix = false;
    hearth::tokenizer no_bytes(std::move(d));
    CHECK(no_bytes.encode("ax", false, false) == std::vector<token_id>{*no_bytes.find("a"), 0});
}

TEST_CASE("SentencePiece: special tokens only when asked, and a space prefix after each", "[tokenizer][spm][special]") {
    const std::string sp = "\xE2\x96\x81";
    auto d = spm_vocab({{sp, -1}, {"a", -2}, {sp + "a", -1.5}, {"<", -3}, {"s", -3}, {">", -3}, {"<tag>", 0}});
    d.types.back() = 4;  // <tag> is user-defined: matched even without parse_special
    hearth::tokenizer t(std::move(d));
    const token_id tag = *t.find("<tag>");
    // Control tokens are plain text unless parse_special.
    CHECK(t.encode("<s>a", false, false) == ids_of(t, {sp, "<", "s", ">", "a"}));
    CHECK(t.encode("<s>a", false, true) == std::vector<token_id>{1, *t.find(sp + "a")});
    CHECK(t.encode("a<tag>a", false, false) == std::vector<token_id>{*t.find(sp + "a"), tag, *t.find(sp + "a")});
    CHECK(t.piece(1) == "");
    CHECK(t.piece(1, true) == "<s>");
    CHECK(t.piece(tag) == "<tag>");
    CHECK(t.piece(*t.find(sp + "a")) == " a");
    CHECK(t.piece(3 + 'A') == "A");
    CHECK(t.is_control(1));
    CHECK(!t.is_control(tag));
    CHECK(t.is_eog(2));   // </s>: eos
    CHECK(!t.is_eog(1));
}

TEST_CASE("special tokens: longest first, then left to right; lstrip/rstrip", "[tokenizer][special]") {
    // "bcd" is longer than "ab", so it is taken first even though "ab" starts earlier.
    auto d = bpe_vocab({}, "gpt-2", {"ab", "bcd", "<x>", "<x><y>"});
    d.types.assign(d.tokens.size(), 1);
    for (std::size_t i = 256; i < d.types.size(); ++i) d.types[i] = 4;  // user-defined
    hearth::tokenizer t(std::move(d));
    const token_id bcd = *t.find("bcd"), xy = *t.find("<x><y>"), x = *t.find("<x>");
    CHECK(t.encode("abcd", false, false) == std::vector<token_id>{*t.find("a"), bcd});
    CHECK(t.encode("<x><y><x>", false, false) == std::vector<token_id>{xy, x});

    // Phi-3's rule (by model name): special tokens swallow the white space after them.
    auto p = spm_vocab({{"\xE2\x96\x81", -1}, {"a", -2}, {"<|user|>", 0}});
    p.types.back() = 3;
    p.name = "Phi3";
    p.add_space_prefix = false;
    hearth::tokenizer phi(std::move(p));
    const token_id user = *phi.find("<|user|>");
    CHECK(phi.encode("<|user|>\n a", false, true) == std::vector<token_id>{user, *phi.find("a")});
    auto o = spm_vocab({{"\xE2\x96\x81", -1}, {"a", -2}, {"<|user|>", 0}});
    o.types.back() = 3;
    o.name = "Other";
    o.add_space_prefix = false;
    hearth::tokenizer other(std::move(o));
    CHECK(other.encode("<|user|>\n a", false, true) ==
          std::vector<token_id>{user, 3 + '\n', *other.find("\xE2\x96\x81"), *other.find("a")});
}

TEST_CASE("byte-level BPE: the lowest-rank merge first, ties go left", "[tokenizer][bpe]") {
    {
        hearth::tokenizer t(bpe_vocab({"l l", "h e", "he ll", "hell o", G + " w", "o r", G + "w or", G + "wor ld",
                                        "l d"}));
        CHECK(t.encode("hello world", false, false) == ids_of(t, {"hello", G + "world"}));
        CHECK(t.decode(t.encode("hello world", false, false)) == "hello world");
    }
    {
        // Two equal-rank pairs in "aaa": the left one merges.
        hearth::tokenizer t(bpe_vocab({"a a"}));
        CHECK(t.encode("aaa", false, false) == ids_of(t, {"aa", "a"}));
    }
    {
        // "b c" ranks before "a b": a + bc, and no "a bc" merge exists.
        hearth::tokenizer t(bpe_vocab({"b c", "a b"}));
        CHECK(t.encode("abc", false, false) == ids_of(t, {"a", "bc"}));
    }
    {
        // Every byte has a token: malformed UTF-8 is read as U+FFFD (llama.cpp), spelled in bytes.
        hearth::tokenizer t(bpe_vocab({}));
        CHECK(t.decode(t.encode("x\xFFy", false, false)) == "x\xEF\xBF\xBDy");
        CHECK(t.decode(t.encode("\xF0\x9F\xA6\x99 \t\n", false, false)) == "\xF0\x9F\xA6\x99 \t\n");
    }
}

TEST_CASE("byte-level BPE: llama3's ignore_merges takes a whole-word token as is", "[tokenizer][bpe]") {
    // "abc" is a token, but no merge leads to it.
    auto with_pre = [](const std::string& pre) {
        auto d = bpe_vocab({"a b"}, pre, {"abc"});
        d.ids.bos = 0;  // llama3 adds BOS by default: it needs one
        return hearth::tokenizer(std::move(d));
    };
    auto llama3 = with_pre("llama-bpe");
    auto gpt2 = with_pre("gpt-2");
    CHECK(llama3.encode("abc", false, false) == ids_of(llama3, {"abc"}));
    CHECK(gpt2.encode("abc", false, false) == ids_of(gpt2, {"ab", "c"}));
    CHECK(llama3.add_bos());
    CHECK(!gpt2.add_bos());
    CHECK(llama3.encode("abc", true, false).front() == 0);
}

TEST_CASE("end of generation: eos, eot and end-of-turn texts", "[tokenizer][eog]") {
    auto d = bpe_vocab({}, "gpt-2", {"<|im_start|>", "<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<|fim_pad|>"});
    d.types.assign(d.tokens.size(), 1);
    d.ids.eos = static_cast<token_id>(258);  // <|endoftext|>
    hearth::tokenizer t(std::move(d));
    const token_id start = *t.find("<|im_start|>"), end = *t.find("<|im_end|>");
    CHECK(!t.is_eog(start));
    CHECK(t.is_eog(end));
    CHECK(t.is_eog(t.eos()));
    CHECK(t.is_eog(*t.find("<end_of_turn>")));
    CHECK(t.is_eog(*t.find("<|fim_pad|>")));
    // Texts recognized as end markers become control tokens even though the file typed them
    // normal: plain text does not produce them, parse_special does.
    CHECK(t.is_control(end));
    CHECK(t.encode("<|im_end|>", false, true) == std::vector<token_id>{end});
    CHECK(t.encode("<|im_end|>", false, false) != std::vector<token_id>{end});
    CHECK(t.eot() == end);  // the lowest-id end-of-turn text
}

TEST_CASE("errors: bad ids, unknown tokenizer kinds, inconsistent data", "[tokenizer][errors]") {
    hearth::tokenizer t(bpe_vocab({}));
    auto kind = [](auto&& f) {
        try {
            f();
        } catch (const hearth::error& e) {
            return e.kind();
        }
        return hearth::errc::cancelled;  // "nothing thrown"
    };
    CHECK(kind([&] { (void)t.token_text(-1); }) == hearth::errc::out_of_range);
    CHECK(kind([&] { (void)t.piece(static_cast<token_id>(t.size())); }) == hearth::errc::out_of_range);
    const std::vector<token_id> bad{0, 1 << 30};
    CHECK(kind([&] { (void)t.decode(bad); }) == hearth::errc::out_of_range);
    CHECK(t.bos() == -1);  // a BPE file that names no BOS has none
    CHECK(!t.find("no such token").has_value());

    auto d = bpe_vocab({});
    d.model = "bert";
    CHECK(kind([&] { hearth::tokenizer x(d); }) == hearth::errc::unsupported);
    d = bpe_vocab({}, "no-such-pre");
    CHECK(kind([&] { hearth::tokenizer x(d); }) == hearth::errc::unsupported);
    d = bpe_vocab({});
    d.tokens.clear();
    CHECK(kind([&] { hearth::tokenizer x(d); }) == hearth::errc::bad_format);
    d = bpe_vocab({});
    d.scores = {1.0f};
    CHECK(kind([&] { hearth::tokenizer x(d); }) == hearth::errc::bad_format);
    d = bpe_vocab({});
    d.add_bos = true;  // ... but no BOS id
    CHECK(kind([&] { hearth::tokenizer x(d); }) == hearth::errc::bad_format);
}

TEST_CASE("every pre-tokenizer regex compiles", "[tokenizer][regex]") {
    for (const char* pre : {"default", "llama-bpe", "dbrx", "deepseek-llm", "deepseek-coder", "deepseek-v3", "falcon",
                            "starcoder", "refact", "command-r", "smollm", "gpt-2", "phi-2", "mpt", "gpt-neox", "qwen2",
                            "qwen35", "poro-chat", "viking", "chatglm-bpe", "tekken", "chameleon", "gpt-4o",
                            "seed-coder", "bailingmoe", "gemma4"}) {
        INFO(pre);
        const auto* spec = hearth::tokenization::find_bpe_pre(pre);
        REQUIRE(spec != nullptr);
        CHECK_NOTHROW(hearth::tokenization::regex_splitter(spec->regexes));
        // Every regex list cuts this text into words that put it back together.
        hearth::tokenization::regex_splitter s(spec->regexes);
        std::vector<std::string> words;
        const std::string text = "Hello, y'all! 123456 \xE4\xBD\xA0\xE5\xA5\xBD  \n\n\tx\xC3\xA9 \xF0\x9F\xA6\x99";
        s.split(text, words);
        std::string joined;
        for (const auto& w : words) joined += w;
        CHECK(joined == text);
        // Very long words and white-space runs: deep backtracking must not fail (PCRE2's JIT
        // stack overflows here for some patterns; the interpreter then takes over).
        const std::string long_text = std::string(20000, 'a') + std::string(20000, ' ') + "b" + std::string(20000, '7');
        words.clear();
        s.split(long_text, words);
        joined.clear();
        for (const auto& w : words) joined += w;
        CHECK(joined == long_text);
    }
}
