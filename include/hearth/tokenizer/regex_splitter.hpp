#pragma once
// regex_splitter: cuts text into pre-tokenizer words with a list of Unicode regexes, compiled
// once (PCRE2, UTF + UCP, JIT where available) and shared read-only between threads; each split
// uses its own match data.
//
// The result must equal llama.cpp's unicode_regex_split, which shapes the subject first:
//  - input is decoded leniently (utf8::decode: bad bytes become U+FFFD) and words are rebuilt
//    from the decoded code points;
//  - every non-ASCII white space (NBSP, U+3000, NEL, ...) is seen by the regexes as U+000B, so
//    \s matches exactly llama.cpp's white-space set and no class names such a character directly;
//  - each regex sees one piece at a time: lookahead and $ stop at the piece's end;
//  - matches and the gaps between them both become pieces.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/tokenizer/utf8.hpp>
#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace tokenization {

class regex_splitter {
public:
    explicit regex_splitter(std::span<const std::string_view> patterns) {
        codes_.reserve(patterns.size());
        for (auto p : patterns) codes_.push_back(compile(p));
    }

    // The words of a text: spans [begin, end) of `text`, which is the input rebuilt from its
    // decoded code points (equal to the input when that is well-formed UTF-8).
    struct words {
        std::string text;
        std::vector<std::pair<std::size_t, std::size_t>> spans;
    };

    void split(std::string_view input, words& out) const {
        out.text.clear();
        out.spans.clear();
        if (input.empty()) return;
        const std::vector<char32_t> cps = utf8::decode(input);
        // The subject the regexes see, and where each code point starts in it and in out.text.
        std::string subject;
        subject.reserve(input.size());
        out.text.reserve(input.size());
        std::vector<std::size_t> starts, text_starts;
        starts.reserve(cps.size() + 1);
        text_starts.reserve(cps.size() + 1);
        for (char32_t cp : cps) {
            starts.push_back(subject.size());
            text_starts.push_back(out.text.size());
            utf8::append(out.text, cp);
            if (cp >= 0x80 && utf8::is_whitespace(cp)) cp = 0x0B;
            else if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = utf8::replacement;  // PCRE2 rejects these
            utf8::append(subject, cp);
        }
        starts.push_back(subject.size());
        text_starts.push_back(out.text.size());

        std::vector<std::pair<std::size_t, std::size_t>> pieces{{0, subject.size()}}, next;
        for (const auto& code : codes_) {
            next.clear();
            match_data md(pcre2_match_data_create_from_pattern(code.get(), nullptr));
            if (!md) throw error(errc::out_of_memory, "tokenizer: cannot allocate PCRE2 match data");
            for (auto [begin, end] : pieces) split_piece(code.get(), md.get(), subject, begin, end, next);
            pieces.swap(next);
        }

        out.spans.reserve(pieces.size());
        for (auto [begin, end] : pieces) {
            const auto first = std::lower_bound(starts.begin(), starts.end(), begin) - starts.begin();
            const auto last = std::lower_bound(starts.begin(), starts.end(), end) - starts.begin();
            out.spans.emplace_back(text_starts[static_cast<std::size_t>(first)], text_starts[static_cast<std::size_t>(last)]);
        }
    }

    // Convenience: the words as strings.
    void split(std::string_view input, std::vector<std::string>& out) const {
        words w;
        split(input, w);
        for (auto [b, e] : w.spans) out.push_back(w.text.substr(b, e - b));
    }

private:
    struct code_free {
        void operator()(pcre2_code* c) const noexcept { pcre2_code_free(c); }
    };
    struct match_data_free {
        void operator()(pcre2_match_data* m) const noexcept { pcre2_match_data_free(m); }
    };
    using code_ptr = std::unique_ptr<pcre2_code, code_free>;
    using match_data = std::unique_ptr<pcre2_match_data, match_data_free>;

    static std::string pcre2_message(int rc) {
        PCRE2_UCHAR buf[256];
        const int n = pcre2_get_error_message(rc, buf, sizeof buf);
        return n < 0 ? "PCRE2 error " + std::to_string(rc) : std::string(reinterpret_cast<const char*>(buf));
    }

    static code_ptr compile(std::string_view pattern) {
        int rc = 0;
        PCRE2_SIZE at = 0;
        // $ means the end of the piece only (std::regex semantics), never "before a final newline".
        code_ptr code(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                    PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &rc, &at, nullptr));
        if (!code)
            throw error(errc::bad_format, "tokenizer: pre-tokenizer regex does not compile at offset " +
                                              std::to_string(at) + ": " + pcre2_message(rc) + " (regex: " +
                                              std::string(pattern) + ")");
        // Without JIT support PCRE2 interprets the pattern: slower, same result.
        (void)pcre2_jit_compile(code.get(), PCRE2_JIT_COMPLETE);
        return code;
    }

    // One regex over subject[begin, end): matches and the gaps between them become pieces.
    static void split_piece(const pcre2_code* code, pcre2_match_data* md, const std::string& subject,
                            std::size_t begin, std::size_t end, std::vector<std::pair<std::size_t, std::size_t>>& out) {
        const auto* base = reinterpret_cast<PCRE2_SPTR>(subject.data() + begin);
        const std::size_t len = end - begin;
        std::size_t pos = 0, emitted = 0;  // relative to begin
        while (pos < len) {
            // The subject is valid UTF-8 by construction and pos is on a code point boundary.
            int rc = pcre2_match(code, base, len, pos, PCRE2_NO_UTF_CHECK, md, nullptr);
            if (rc == PCRE2_ERROR_JIT_STACKLIMIT)  // deep backtracking: the interpreter keeps its frames on the heap
                rc = pcre2_match(code, base, len, pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, nullptr);
            if (rc == PCRE2_ERROR_NOMATCH) break;
            if (rc < 0) throw error(errc::invalid_argument, "tokenizer: pre-tokenizer regex failed: " + pcre2_message(rc));
            const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
            const std::size_t m0 = ov[0], m1 = ov[1];
            if (m1 <= m0) {  // an empty match splits nothing: look again one code point further
                pos = m0 + 1;
                while (pos < len && (subject[begin + pos] & 0xC0) == 0x80) ++pos;
                continue;
            }
            if (m0 > emitted) out.emplace_back(begin + emitted, begin + m0);
            out.emplace_back(begin + m0, begin + m1);
            emitted = pos = m1;
        }
        if (emitted < len) out.emplace_back(begin + emitted, end);
    }

    std::vector<code_ptr> codes_;
};

}  // namespace tokenization
HEARTH_NAMESPACE_END
