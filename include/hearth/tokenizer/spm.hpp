#pragma once
// SentencePiece (BPE-by-score) encoding as llama.cpp implements it (llm_tokenizer_spm_session):
// start from single UTF-8 characters; repeatedly merge the adjacent pair whose concatenation is
// a vocabulary token with the highest score (ties: the leftmost pair); finally emit each symbol's
// token, or its bytes as <0xNN> byte-fallback tokens when the symbol is not in the vocabulary.
// The caller has already applied the space prefix and replaced ' ' by U+2581.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/tokenizer/utf8.hpp>
#include <hearth/tokenizer/vocabulary.hpp>
#include <algorithm>
#include <cstddef>
#include <queue>
#include <string_view>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace tokenization {

namespace detail {
struct symbol {
    int prev, next;  // neighbours in the surviving chain, -1 at the ends
    std::size_t start, n;  // bytes of the text this symbol covers; n == 0 once merged away
};
}  // namespace detail

// Emits the byte-fallback tokens for `bytes` (SentencePiece's rule for text no piece covers).
// A vocabulary without a byte token for some byte gets <unk> there instead.
inline void spm_emit_bytes(const vocabulary& v, std::string_view bytes, std::vector<token_id>& out) {
    for (unsigned char b : bytes) {
        token_id id = v.byte_token(b);
        if (id == no_token) id = v.ids().unk;
        if (id == no_token)
            throw error(errc::unsupported, "tokenizer: the SentencePiece vocabulary has neither a byte token for 0x" +
                                               std::string(1, "0123456789ABCDEF"[b >> 4]) +
                                               std::string(1, "0123456789ABCDEF"[b & 15]) + " nor an unknown token");
        out.push_back(id);
    }
}

inline void spm_encode(const vocabulary& v, std::string_view text, std::vector<token_id>& out) {
    using detail::symbol;
    std::vector<symbol> syms;
    syms.reserve(text.size());
    for (std::size_t off = 0; off < text.size();) {
        // The lead byte alone decides the length (llama.cpp does not validate here).
        const std::size_t n = std::min(utf8::sequence_length(static_cast<unsigned char>(text[off])), text.size() - off);
        const int i = static_cast<int>(syms.size());
        syms.push_back({i - 1, off + n == text.size() ? -1 : i + 1, off, n});
        off += n;
    }

    struct bigram {
        int left, right;
        float score;
        std::size_t size;
    };
    // Highest score first; on equal scores the leftmost pair.
    auto lower_priority = [](const bigram& a, const bigram& b) {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    };
    std::priority_queue<bigram, std::vector<bigram>, decltype(lower_priority)> queue(lower_priority);
    auto try_add = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const std::string_view s = text.substr(syms[left].start, syms[left].n + syms[right].n);
        const token_id id = v.find(s);
        if (id == no_token) return;
        queue.push({left, right, v.score(id), s.size()});
    };
    for (int i = 1; i < static_cast<int>(syms.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
        const bigram b = queue.top();
        queue.pop();
        symbol& l = syms[b.left];
        symbol& r = syms[b.right];
        // Stale: one side was merged into something else since this pair was queued.
        if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
        l.n += r.n;
        r.n = 0;
        l.next = r.next;
        if (r.next >= 0) syms[r.next].prev = b.left;
        try_add(l.prev, b.left);
        try_add(b.left, l.next);
    }

    // Every merged symbol is a vocabulary token by construction; an unmerged character may not
    // be, and then falls back to bytes. (llama.cpp's rev_merge re-segmentation can only be
    // reached for vocabulary texts, which are emitted whole first, so it never changes the result.)
    for (int i = syms.empty() ? -1 : 0; i != -1; i = syms[i].next) {
        const std::string_view s = text.substr(syms[i].start, syms[i].n);
        const token_id id = v.find(s);
        if (id != no_token) out.push_back(id);
        else spm_emit_bytes(v, s, out);
    }
}

}  // namespace tokenization
HEARTH_NAMESPACE_END
