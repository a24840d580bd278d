#pragma once
// Byte-level BPE encoding as llama.cpp implements it (llm_tokenizer_bpe_session): the
// pre-tokenizer cuts the text into words; each word is spelled in GPT-2's byte alphabet (unless
// the vocabulary uses raw UTF-8) and split into characters; the adjacent pair with the lowest
// merge rank is merged until none is left (ties: the leftmost pair); each resulting symbol is
// emitted as its token, or byte by byte when it is not a token (bytes without a token are
// dropped, as llama.cpp does).
#include <hearth/config.hpp>
#include <hearth/tokenizer/byte_encoding.hpp>
#include <hearth/tokenizer/regex_splitter.hpp>
#include <hearth/tokenizer/utf8.hpp>
#include <hearth/tokenizer/vocabulary.hpp>
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace tokenization {

namespace detail {

// Buffers reused from word to word: most words are short, and allocating per word would cost
// more than merging them.
struct bpe_workspace {
    struct symbol {
        int prev, next;
        std::size_t start, n;
    };
    struct bigram {
        int left, right;
        int rank;
        std::size_t left_n, right_n;  // sizes when queued: a later change makes the entry stale
    };
    std::vector<symbol> syms;
    std::vector<bigram> heap;
    std::string scratch;
};

// Merges one word (already in the vocabulary's alphabet) and appends its tokens.
inline void bpe_merge_word(const vocabulary& v, std::string_view word, std::vector<token_id>& out, bpe_workspace& ws) {
    using bigram = bpe_workspace::bigram;
    auto& syms = ws.syms;
    auto& heap = ws.heap;
    syms.clear();
    heap.clear();
    for (std::size_t off = 0; off < word.size();) {
        const std::size_t n = std::min(utf8::sequence_length(static_cast<unsigned char>(word[off])), word.size() - off);
        const int i = static_cast<int>(syms.size());
        syms.push_back({i - 1, off + n == word.size() ? -1 : i + 1, off, n});
        off += n;
    }

    // A heap with the lowest rank on top; on equal ranks the leftmost pair.
    auto lower_priority = [](const bigram& a, const bigram& b) {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    };
    auto text = [&](int i) { return word.substr(syms[i].start, syms[i].n); };
    auto try_add = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const int rank = v.merge_rank(text(left), text(right), ws.scratch);
        if (rank < 0) return;
        heap.push_back({left, right, rank, syms[left].n, syms[right].n});
        std::push_heap(heap.begin(), heap.end(), lower_priority);
    };
    for (int i = 1; i < static_cast<int>(syms.size()); ++i) try_add(i - 1, i);

    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), lower_priority);
        const bigram b = heap.back();
        heap.pop_back();
        auto& l = syms[b.left];
        auto& r = syms[b.right];
        // Symbols start where they always started, so equal sizes mean equal texts (llama.cpp
        // compares the texts themselves).
        if (l.n == 0 || r.n == 0 || l.n != b.left_n || r.n != b.right_n) continue;
        l.n += r.n;
        r.n = 0;
        l.next = r.next;
        if (r.next >= 0) syms[r.next].prev = b.left;
        try_add(l.prev, b.left);
        try_add(b.left, l.next);
    }

    for (int i = syms.empty() ? -1 : 0; i != -1; i = syms[i].next) {
        const std::string_view s = text(i);
        if (const token_id id = v.find(s); id != no_token) {
            out.push_back(id);
            continue;
        }
        // The symbol's bytes one by one: in the byte alphabet each byte of its UTF-8 spelling is
        // looked up as a one-byte text; in raw UTF-8 vocabularies as <0xNN>.
        for (unsigned char b : s) {
            const token_id id = v.pre()->byte_encode ? v.find(std::string_view(reinterpret_cast<const char*>(&b), 1))
                                                     : v.byte_token(b);
            if (id != no_token) out.push_back(id);
        }
    }
}

}  // namespace detail

// Encodes raw text (no special tokens in it) with the vocabulary's pre-tokenizer and merges.
inline void bpe_encode(const vocabulary& v, const regex_splitter& splitter, std::string_view text,
                       std::vector<token_id>& out) {
    const bpe_pre_spec& pre = *v.pre();
    std::string escaped;
    if (pre.escape_whitespace) {
        escaped.reserve(text.size());
        for (char c : text) {
            if (c == ' ') escaped += "\xE2\x96\x81";
            else escaped += c;
        }
        text = escaped;
    }
    regex_splitter::words words;
    splitter.split(text, words);

    std::string spelled;
    detail::bpe_workspace ws;
    for (auto [b, e] : words.spans) {
        const std::string_view w = std::string_view(words.text).substr(b, e - b);
        std::string_view word = w;
        if (pre.byte_encode) {
            spelled.clear();
            byte_encoding::encode_append(spelled, w);
            word = spelled;
        }
        if (pre.ignore_merges || (pre.newline_runs_whole && word.find_first_not_of('\n') == std::string_view::npos)) {
            if (const token_id id = v.find(word); id != no_token) {
                out.push_back(id);
                continue;
            }
        }
        detail::bpe_merge_word(v, word, out, ws);
    }
}

}  // namespace tokenization
HEARTH_NAMESPACE_END
