#pragma once
// hearth::tokenizer: text <-> token ids from the vocabulary in a GGUF file alone, matching
// llama.cpp's ids on the same file. SentencePiece (tokenizer.ggml.model "llama") and byte-level
// BPE ("gpt2", "gemma4") vocabularies.
//
// Copies share one immutable state, so a tokenizer is cheap to copy and safe to use from several
// threads at once.
//
// decode() is the plain concatenation of pieces: it keeps SentencePiece's leading space (the
// space prefix encode() added) and does none of llama.cpp's "clean up tokenization spaces", so
// that streamed pieces and decode() always agree byte for byte.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/tokenizer/bpe.hpp>
#include <hearth/tokenizer/byte_encoding.hpp>
#include <hearth/tokenizer/gguf_vocab.hpp>
#include <hearth/tokenizer/regex_splitter.hpp>
#include <hearth/tokenizer/special_split.hpp>
#include <hearth/tokenizer/spm.hpp>
#include <hearth/tokenizer/token.hpp>
#include <hearth/tokenizer/utf8.hpp>
#include <hearth/tokenizer/vocab_data.hpp>
#include <hearth/tokenizer/vocabulary.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HEARTH_NAMESPACE_BEGIN

class tokenizer {
public:
    explicit tokenizer(vocab_data data) : s_(std::make_shared<const state>(std::move(data))) {}
    static tokenizer from_gguf(const gguf::file& f) { return tokenizer(read_vocab_data(f)); }

    // add_special: BOS/EOS as the file asks (add_bos()/add_eos()). parse_special: texts of control
    // tokens (<|im_start|>, <s>, ...) in `text` become those tokens; otherwise they are plain text.
    // User-defined tokens are matched either way, as llama.cpp does.
    std::vector<token_id> encode(std::string_view text, bool add_special, bool parse_special) const;

    // The pieces of `ids` concatenated. render_special: control tokens show their text.
    std::string decode(std::span<const token_id> ids, bool render_special = false) const {
        std::string out;
        for (token_id id : ids) out += piece(id, render_special);
        return out;
    }

    // The vocabulary's own spelling of a token (▁ for spaces, GPT-2's byte alphabet, <0x0A>).
    std::string_view token_text(token_id id) const {
        check(id);
        return s_->vocab.text(id);
    }
    // The bytes a token contributes to text. Control and unknown tokens give nothing unless
    // render_special; unused tokens give nothing.
    std::string piece(token_id id, bool render_special = false) const;

    std::size_t size() const noexcept { return s_->vocab.size(); }
    token_id bos() const noexcept { return s_->vocab.ids().bos; }
    token_id eos() const noexcept { return s_->vocab.ids().eos; }
    token_id eot() const noexcept { return s_->vocab.ids().eot; }
    token_id unk() const noexcept { return s_->vocab.ids().unk; }
    // True for tokens that end generation: eos, eot, eom and known end-of-turn texts.
    bool is_eog(token_id id) const { return s_->vocab.is_eog(id); }
    bool add_bos() const noexcept { return s_->vocab.add_bos(); }
    bool add_eos() const noexcept { return s_->vocab.add_eos(); }
    // SentencePiece puts a space before the text (and after each special token): decode() of
    // encode(text) then starts with that extra space.
    bool add_space_prefix() const noexcept {
        return s_->vocab.kind() == tokenization::vocab_kind::spm && s_->vocab.add_space_prefix();
    }
    bool is_control(token_id id) const {
        check(id);
        return (s_->vocab.attrs(id) & token_attr::control) != 0;
    }
    std::optional<token_id> find(std::string_view text) const {
        const token_id id = s_->vocab.find(text);
        return id == no_token ? std::nullopt : std::optional<token_id>(id);
    }

private:
    struct state {
        tokenization::vocabulary vocab;
        tokenization::special_splitter specials;
        std::unique_ptr<const tokenization::regex_splitter> regex;  // BPE only
        explicit state(vocab_data d) : vocab(std::move(d)), specials(vocab) {
            if (vocab.kind() == tokenization::vocab_kind::bpe)
                regex = std::make_unique<const tokenization::regex_splitter>(vocab.pre()->regexes);
        }
    };

    void check(token_id id) const {
        if (!s_->vocab.valid(id))
            throw error(errc::out_of_range, "token id " + std::to_string(id) + " is outside the vocabulary (" +
                                                std::to_string(size()) + " tokens, ids 0.." +
                                                std::to_string(static_cast<long long>(size()) - 1) + ")");
    }
    static void unescape_spaces(std::string_view text, std::string& out) {
        for (std::size_t i = 0; i < text.size();) {
            if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
                out += ' ';
                i += 3;
            } else {
                out += text[i++];
            }
        }
    }
    // "<0xNN>" -> the byte; nullopt when the text is not spelled that way.
    static std::optional<char> byte_of(std::string_view t) {
        auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            return -1;
        };
        if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return std::nullopt;
        const int hi = hex(t[3]), lo = hex(t[4]);
        if (hi < 0 || lo < 0) return std::nullopt;
        return static_cast<char>(hi * 16 + lo);
    }

    std::shared_ptr<const state> s_;
};

inline std::vector<token_id> tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    const auto& v = s_->vocab;
    std::vector<token_id> out;
    out.reserve(text.size() / 3 + 2);
    if (add_special && v.add_bos()) out.push_back(v.ids().bos);

    const auto frags = s_->specials.split(text, parse_special);
    if (v.kind() == tokenization::vocab_kind::spm) {
        // SentencePiece adds a space in front of the text, and again after each special token.
        bool after_special = true;
        std::string escaped;
        for (const auto& f : frags) {
            if (!f.is_text()) {
                out.push_back(f.token);
                after_special = true;
                continue;
            }
            escaped.clear();
            if (v.add_space_prefix() && after_special) escaped += "\xE2\x96\x81";
            for (char c : text.substr(f.offset, f.length)) {
                if (c == ' ') escaped += "\xE2\x96\x81";
                else escaped += c;
            }
            tokenization::spm_encode(v, escaped, out);
            after_special = false;
        }
    } else {
        for (const auto& f : frags) {
            if (f.is_text()) tokenization::bpe_encode(v, *s_->regex, text.substr(f.offset, f.length), out);
            else out.push_back(f.token);
        }
    }

    if (add_special && v.add_eos()) out.push_back(v.ids().eos);
    return out;
}

inline std::string tokenizer::piece(token_id id, bool render_special) const {
    check(id);
    const auto& v = s_->vocab;
    const std::uint32_t a = v.attrs(id);
    const std::string& t = v.text(id);
    if (a & (token_attr::control | token_attr::unknown)) return render_special ? t : std::string();
    if (a & token_attr::user_defined) return t;
    std::string out;
    if (a & token_attr::normal) {
        if (v.kind() == tokenization::vocab_kind::spm || v.pre()->escape_whitespace) {
            unescape_spaces(t, out);
        } else {
            // Undo GPT-2's byte alphabet. A character outside it (an added token typed normal)
            // stands for itself (llama.cpp writes an [UNK_BYTE_...] marker instead).
            for (std::size_t pos = 0; pos < t.size();) {
                const std::size_t at = pos;
                const char32_t cp = utf8::decode_one(t, pos);
                if (auto b = byte_encoding::decode(cp)) out += static_cast<char>(*b);
                else out.append(t, at, pos - at);
            }
        }
        return out;
    }
    if (a & token_attr::byte) {
        if (auto b = byte_of(t)) return std::string(1, *b);
        return t;
    }
    return out;  // unused or undefined: contributes nothing
}

HEARTH_NAMESPACE_END
