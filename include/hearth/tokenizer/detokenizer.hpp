#pragma once
// detokenizer: turns a stream of token ids into text that is always whole UTF-8 characters. A
// token may end inside a character (byte-fallback tokens, byte-level BPE pieces of an emoji);
// those bytes are held back until the tokens that complete them arrive. flush() returns whatever
// is still held (possibly an incomplete sequence) at the end of the stream.
// The tokenizer must outlive the detokenizer.
#include <hearth/config.hpp>
#include <hearth/tokenizer/token.hpp>
#include <hearth/tokenizer/tokenizer.hpp>
#include <hearth/tokenizer/utf8.hpp>
#include <string>

HEARTH_NAMESPACE_BEGIN

class detokenizer {
public:
    explicit detokenizer(const tokenizer& tok, bool render_special = false)
        : tok_(&tok), render_special_(render_special) {}

    // The text that token `id` completes; empty while a character is still incomplete.
    std::string push(token_id id) {
        pending_ += tok_->piece(id, render_special_);
        const std::size_t n = utf8::complete_prefix(pending_);
        std::string out = pending_.substr(0, n);
        pending_.erase(0, n);
        return out;
    }

    // Everything still held back; the detokenizer is empty afterwards.
    std::string flush() {
        std::string out;
        out.swap(pending_);
        return out;
    }

    // Bytes held back, waiting for the rest of a character.
    std::size_t pending() const noexcept { return pending_.size(); }

private:
    const tokenizer* tok_;
    bool render_special_;
    std::string pending_;
};

HEARTH_NAMESPACE_END
