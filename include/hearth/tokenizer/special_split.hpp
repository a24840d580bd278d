#pragma once
// special_splitter: cuts raw text around special-token texts before the model's algorithm runs,
// with llama.cpp's semantics (tokenizer_st_partition):
//  - user-defined tokens are always matched; control and unknown tokens only when parse_special;
//  - tokens are applied one at a time, longest text first, each to every text fragment left by
//    the previous ones, occurrences taken left to right;
//  - a token with lstrip/rstrip swallows ASCII white space before/after its occurrence.
// Only tokens that occur in the text can change anything, so a trie over all special texts
// finds those first in one pass; the ordered partition then runs over just them.
#include <hearth/config.hpp>
#include <hearth/tokenizer/token.hpp>
#include <hearth/tokenizer/vocabulary.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace tokenization {

// A piece of the input: either a special token or raw text still to be tokenized.
struct fragment {
    token_id token = no_token;  // no_token: raw text
    std::size_t offset = 0, length = 0;
    bool is_text() const noexcept { return token == no_token; }
};

class special_splitter {
public:
    explicit special_splitter(const vocabulary& v) : vocab_(v) {
        terminal_.push_back(no_token);
        for (token_id id : v.special_tokens()) {
            std::uint32_t node = 0;
            for (unsigned char c : v.text(id)) {
                const auto key = edge(node, c);
                auto it = children_.find(key);
                if (it == children_.end()) {
                    it = children_.emplace(key, static_cast<std::uint32_t>(terminal_.size())).first;
                    terminal_.push_back(no_token);
                }
                node = it->second;
            }
            terminal_[node] = id;  // texts are unique: one token per node
        }
    }

    std::vector<fragment> split(std::string_view text, bool parse_special) const {
        std::vector<fragment> frags;
        if (text.empty()) return frags;
        frags.push_back({no_token, 0, text.size()});

        const auto present = occurring(text, parse_special);
        if (present.empty()) return frags;
        std::vector<fragment> next;
        for (token_id id : vocab_.special_tokens()) {  // longest first
            if (!present.count(id)) continue;
            const std::string_view tok = vocab_.text(id);
            const std::uint32_t attrs = vocab_.attrs(id);
            next.clear();
            for (const fragment& f : frags) {
                if (!f.is_text()) {
                    next.push_back(f);
                    continue;
                }
                std::size_t pos = f.offset;
                const std::size_t end = f.offset + f.length;
                const std::string_view window = text.substr(0, end);
                while (true) {
                    const std::size_t m = window.find(tok, pos);
                    if (m == std::string_view::npos) {
                        if (pos < end) next.push_back({no_token, pos, end - pos});
                        break;
                    }
                    std::size_t left_end = m;
                    if (attrs & token_attr::lstrip)
                        while (left_end > pos && is_space(text[left_end - 1])) --left_end;
                    if (left_end > pos) next.push_back({no_token, pos, left_end - pos});
                    next.push_back({id, 0, 0});
                    pos = m + tok.size();
                    if (attrs & token_attr::rstrip)
                        while (pos < end && is_space(text[pos])) ++pos;
                }
            }
            frags.swap(next);
        }
        return frags;
    }

private:
    static std::uint64_t edge(std::uint32_t node, unsigned char c) noexcept {
        return (static_cast<std::uint64_t>(node) << 8) | c;
    }
    static bool is_space(char c) noexcept {  // C isspace in the "C" locale, as llama.cpp uses
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
    bool eligible(token_id id, bool parse_special) const {
        return parse_special || !(vocab_.attrs(id) & (token_attr::control | token_attr::unknown));
    }
    std::unordered_set<token_id> occurring(std::string_view text, bool parse_special) const {
        std::unordered_set<token_id> found;
        for (std::size_t start = 0; start < text.size(); ++start) {
            std::uint32_t node = 0;
            for (std::size_t i = start; i < text.size(); ++i) {
                auto it = children_.find(edge(node, static_cast<unsigned char>(text[i])));
                if (it == children_.end()) break;
                node = it->second;
                if (terminal_[node] != no_token && eligible(terminal_[node], parse_special))
                    found.insert(terminal_[node]);
            }
        }
        return found;
    }

    const vocabulary& vocab_;
    std::unordered_map<std::uint64_t, std::uint32_t> children_;
    std::vector<token_id> terminal_;
};

}  // namespace tokenization
HEARTH_NAMESPACE_END
