#pragma once
// vocabulary: the immutable tables a tokenizer runs on, built from vocab_data with llama.cpp's
// load-time rules (llama_vocab::impl::load) so that encoding, special-token handling and
// end-of-generation match llama.cpp on the same file:
//  - token types become attributes; texts that look like end-of-turn / FIM / end-of-generation
//    markers are made control tokens even when the file typed them otherwise;
//  - special ids take the model family's defaults (SentencePiece: <unk>=0, <s>=1, </s>=2)
//    unless the file names them; ids outside the vocabulary are ignored;
//  - the special-token list used to split raw text is ordered longest text first.
// Deliberate difference: a byte-level BPE file that names no BOS/EOS has none here (llama.cpp
// falls back to id 11, Falcon's, which is an ordinary token in every other vocabulary).
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/tokenizer/byte_encoding.hpp>
#include <hearth/tokenizer/pre_tokenizer_specs.hpp>
#include <hearth/tokenizer/token.hpp>
#include <hearth/tokenizer/vocab_data.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace tokenization {

enum class vocab_kind { spm, bpe };

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct special_token_ids {
    token_id bos = no_token, eos = no_token, eot = no_token, eom = no_token, unk = no_token, sep = no_token,
             pad = no_token, mask = no_token;
    token_id fim_pre = no_token, fim_suf = no_token, fim_mid = no_token, fim_pad = no_token, fim_rep = no_token,
             fim_sep = no_token;
};

class vocabulary {
public:
    explicit vocabulary(vocab_data d);
    vocabulary(const vocabulary&) = delete;
    vocabulary& operator=(const vocabulary&) = delete;

    vocab_kind kind() const noexcept { return kind_; }
    const bpe_pre_spec* pre() const noexcept { return pre_; }  // BPE only
    std::size_t size() const noexcept { return texts_.size(); }
    bool valid(token_id id) const noexcept { return id >= 0 && static_cast<std::size_t>(id) < texts_.size(); }
    const std::string& text(token_id id) const { return texts_[static_cast<std::size_t>(id)]; }
    float score(token_id id) const { return scores_.empty() ? 0.0f : scores_[static_cast<std::size_t>(id)]; }
    std::uint32_t attrs(token_id id) const { return attrs_[static_cast<std::size_t>(id)]; }

    token_id find(std::string_view text) const {
        auto it = ids_.find(text);
        return it == ids_.end() ? no_token : it->second;
    }
    // Rank of merging `left` with `right` (lower merges first), or -1. `scratch` avoids an
    // allocation per lookup on the hot path.
    int merge_rank(std::string_view left, std::string_view right, std::string& scratch) const {
        scratch.assign(left);
        scratch += ' ';
        scratch += right;
        auto it = merges_.find(std::string_view(scratch));
        return it == merges_.end() ? -1 : it->second;
    }
    // The token that stands for one raw byte, or no_token.
    token_id byte_token(unsigned char b) const {
        if (kind_ == vocab_kind::bpe && pre_->byte_encode) return find(byte_encoding::encode(b));
        static constexpr char hex[] = "0123456789ABCDEF";
        const char spelled[6] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
        if (auto id = find(std::string_view(spelled, 6)); id != no_token) return id;
        if (kind_ == vocab_kind::spm) return find(std::string_view(reinterpret_cast<const char*>(&b), 1));
        return no_token;
    }

    const special_token_ids& ids() const noexcept { return ids_special_; }
    bool add_bos() const noexcept { return add_bos_; }
    bool add_eos() const noexcept { return add_eos_; }
    bool add_space_prefix() const noexcept { return add_space_prefix_; }
    bool is_eog(token_id id) const { return eog_.count(id) != 0; }
    // Control, user-defined and unknown tokens, longest text first (ties: lower id first).
    const std::vector<token_id>& special_tokens() const noexcept { return specials_; }

private:
    static std::uint32_t attr_of_type(std::int32_t type) {
        switch (static_cast<token_type>(type)) {
        case token_type::normal: return token_attr::normal;
        case token_type::unknown: return token_attr::unknown;
        case token_type::control: return token_attr::control;
        case token_type::user_defined: return token_attr::user_defined;
        case token_type::unused: return token_attr::unused;
        case token_type::byte: return token_attr::byte;
        default: return token_attr::undefined;
        }
    }
    token_id first_with_text(std::initializer_list<std::string_view> candidates) const {
        token_id best = no_token;
        for (auto t : candidates)
            if (auto id = find(t); id != no_token && (best == no_token || id < best)) best = id;
        return best;
    }
    void make_control(token_id id) {
        if (valid(id)) attrs_[static_cast<std::size_t>(id)] |= token_attr::control;
    }
    void apply_file_ids(const vocab_data::special_ids& f);
    void detect_special_texts();
    void collect_eog();
    void apply_name_rules(std::string_view name, std::string_view architecture, std::string_view pre);

    vocab_kind kind_ = vocab_kind::spm;
    const bpe_pre_spec* pre_ = nullptr;
    std::vector<std::string> texts_;
    std::vector<float> scores_;
    std::vector<std::uint32_t> attrs_;
    std::unordered_map<std::string, token_id, string_hash, std::equal_to<>> ids_;
    std::unordered_map<std::string, int, string_hash, std::equal_to<>> merges_;
    special_token_ids ids_special_;
    bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = false;
    std::unordered_set<token_id> eog_;
    std::vector<token_id> specials_;
};

inline vocabulary::vocabulary(vocab_data d) {
    if (d.model == "llama") {
        kind_ = vocab_kind::spm;
    } else if (d.model == "gpt2" || d.model == "gemma4") {
        kind_ = vocab_kind::bpe;
        if (d.model == "gemma4") d.pre = "gemma4";  // llama.cpp: the model name implies its pre-tokenizer
        pre_ = find_bpe_pre(d.pre);
        if (!pre_)
            throw error(errc::unsupported, "tokenizer: unknown pre-tokenizer tokenizer.ggml.pre = '" + d.pre +
                                               "' for a byte-level BPE vocabulary");
    } else {
        throw error(errc::unsupported, "tokenizer: tokenizer.ggml.model = '" + d.model +
                                           "' is not supported (expected 'llama' for SentencePiece or 'gpt2' for "
                                           "byte-level BPE)");
    }
    const std::size_t n = d.tokens.size();
    if (n == 0) throw error(errc::bad_format, "tokenizer: the vocabulary (tokenizer.ggml.tokens) is empty");
    if (n > static_cast<std::size_t>(INT32_MAX))
        throw error(errc::unsupported, "tokenizer: " + std::to_string(n) + " tokens do not fit 32-bit ids");
    if (!d.scores.empty() && d.scores.size() < n)
        throw error(errc::bad_format, "tokenizer: tokenizer.ggml.scores has " + std::to_string(d.scores.size()) +
                                          " entries, expected " + std::to_string(n) + " (one per token)");
    if (!d.types.empty() && d.types.size() < n)
        throw error(errc::bad_format, "tokenizer: tokenizer.ggml.token_type has " + std::to_string(d.types.size()) +
                                          " entries, expected " + std::to_string(n) + " (one per token)");

    texts_ = std::move(d.tokens);
    if (!d.scores.empty()) {
        scores_ = std::move(d.scores);
        scores_.resize(n);
    }
    attrs_.assign(n, token_attr::normal);
    ids_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        // An empty text could never be matched and would match everywhere when splitting
        // special tokens; llama.cpp renames it the same way.
        if (texts_[i].empty()) texts_[i] = "[EMPTY_" + std::to_string(i) + "]";
        // A duplicate text keeps its first id (llama.cpp refuses the file instead).
        ids_.emplace(texts_[i], static_cast<token_id>(i));
        if (!d.types.empty()) attrs_[i] = attr_of_type(d.types[i]);
    }

    if (kind_ == vocab_kind::bpe) {
        merges_.reserve(d.merges.size());
        for (std::size_t i = 0; i < d.merges.size(); ++i) {
            // The split is at the first space after the first character (so a leading space
            // belongs to the left part); a line without one merges nothing.
            const std::string& m = d.merges[i];
            const auto sp = m.find(' ', 1);
            std::string key = sp == std::string::npos ? std::string(" ") : m;
            merges_.emplace(std::move(key), static_cast<int>(std::min<std::size_t>(i, INT32_MAX)));
        }
    }

    // Family defaults, then the file.
    if (kind_ == vocab_kind::spm) {
        ids_special_.bos = 1;
        ids_special_.eos = 2;
        ids_special_.unk = 0;
        add_space_prefix_ = true;
        add_bos_ = true;
    } else {
        add_bos_ = pre_->add_bos;
    }
    for (token_id* id : {&ids_special_.bos, &ids_special_.eos, &ids_special_.unk})
        if (!valid(*id)) *id = no_token;
    apply_file_ids(d.ids);
    if (d.add_space_prefix) add_space_prefix_ = *d.add_space_prefix;
    if (d.add_bos) add_bos_ = *d.add_bos;
    if (d.add_eos) add_eos_ = *d.add_eos;
    if (pre_ && pre_->force_add_bos) add_bos_ = true;
    if (add_bos_ && ids_special_.bos == no_token)
        throw error(errc::bad_format, "tokenizer: tokenizer.ggml.add_bos_token is true, but the vocabulary has no "
                                      "BOS token (tokenizer.ggml.bos_token_id)");
    if (add_eos_ && ids_special_.eos == no_token)
        throw error(errc::bad_format, "tokenizer: tokenizer.ggml.add_eos_token is true, but the vocabulary has no "
                                      "EOS token (tokenizer.ggml.eos_token_id)");

    detect_special_texts();
    collect_eog();

    for (std::size_t i = 0; i < n; ++i)
        if (attrs_[i] & (token_attr::control | token_attr::user_defined | token_attr::unknown))
            specials_.push_back(static_cast<token_id>(i));
    std::stable_sort(specials_.begin(), specials_.end(), [&](token_id a, token_id b) {
        return text(a).size() > text(b).size();
    });

    apply_name_rules(d.name, d.architecture, d.pre);
}

inline void vocabulary::apply_file_ids(const vocab_data::special_ids& f) {
    auto take = [&](token_id& id, const std::optional<token_id>& v) {
        if (v && valid(*v)) id = *v;  // an id outside the vocabulary keeps the default
    };
    auto& s = ids_special_;
    take(s.bos, f.bos), take(s.eos, f.eos), take(s.eot, f.eot), take(s.eom, f.eom), take(s.unk, f.unk);
    take(s.sep, f.sep), take(s.pad, f.pad), take(s.mask, f.mask);
    take(s.fim_pre, f.fim_pre), take(s.fim_suf, f.fim_suf), take(s.fim_mid, f.fim_mid);
    take(s.fim_pad, f.fim_pad), take(s.fim_rep, f.fim_rep), take(s.fim_sep, f.fim_sep);
}

// Converters do not always record these ids; llama.cpp recognizes them by text and treats them
// as control tokens whatever type the file gave them.
inline void vocabulary::detect_special_texts() {
    auto& s = ids_special_;
    auto detect = [&](token_id& id, std::initializer_list<std::string_view> texts) {
        if (id != no_token) return;
        id = first_with_text(texts);
        make_control(id);
    };
    detect(s.eot, {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>",
                   "_<EOT>", "[EOT]", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
                   "<end_of_utterance>"});
    detect(s.eom, {"<|eom_id|>"});
    detect(s.fim_pre, {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>",
                       "<PRE>", "\xE2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>"});
    detect(s.fim_suf, {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81hole\xEF\xBD\x9C>",
                       "<SUF>", "\xE2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>"});
    detect(s.fim_mid, {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>",
                       "<MID>", "\xE2\x96\x81<MID>", "<|code_middle|>", "<|middle|>"});
    detect(s.fim_pad, {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"});
    detect(s.fim_rep, {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"});
    detect(s.fim_sep, {"<|file_sep|>"});
}

// End of generation: the file's eos/eot/eom, FIM pad/repo/file-separator tokens, and every token
// whose text is a known end-of-turn marker (llama.cpp's list).
inline void vocabulary::collect_eog() {
    const auto& s = ids_special_;
    for (token_id id : {s.fim_pad, s.fim_rep, s.fim_sep})
        if (id != no_token) eog_.insert(id);
    static constexpr std::string_view eog_texts[] = {
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", "[e~["};
    for (auto t : eog_texts)
        if (auto id = find(t); id != no_token) {
            eog_.insert(id);
            make_control(id);
        }
    // gpt-oss: these structure the chat and are always rendered, never parsed away.
    for (std::string_view t : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"})
        if (auto id = find(t); id != no_token) attrs_[static_cast<std::size_t>(id)] = token_attr::user_defined;
    for (token_id id : {s.eos, s.eot, s.eom})
        if (id != no_token) eog_.insert(id);

    auto in_eog = [&](std::string_view t) {
        auto id = find(t);
        return id != no_token && eog_.count(id) ? id : no_token;
    };
    // o200k_harmony / solar-open: <|end|> ends a message, not the generation.
    const token_id end = in_eog("<|end|>");
    const bool has_call = in_eog("<|call|>") != no_token || in_eog("<|calls|>") != no_token;
    if (end != no_token && has_call && (in_eog("<|return|>") != no_token || in_eog("<|flush|>") != no_token)) {
        eog_.erase(end);
        attrs_[static_cast<std::size_t>(end)] = token_attr::user_defined;
    }
    // Gemma 4 (and PaddleOCR): </s> is ordinary text there.
    const token_id s_close = in_eog("</s>");
    if (s_close != no_token && in_eog("<|tool_response>") != no_token) {
        eog_.erase(s_close);
        attrs_[static_cast<std::size_t>(s_close)] = token_attr::normal;
    }
}

// Per-model strip rules llama.cpp applies by name (they are not in the file).
inline void vocabulary::apply_name_rules(std::string_view name, std::string_view architecture, std::string_view pre) {
    std::string lname(name);
    std::transform(lname.begin(), lname.end(), lname.begin(),
                   [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    auto contains_any = [](std::string_view s, std::initializer_list<std::string_view> parts) {
        for (auto p : parts)
            if (s.find(p) != std::string_view::npos) return true;
        return false;
    };
    auto set = [&](std::string_view text, std::uint32_t bit, bool on) {
        if (auto id = find(text); id != no_token) {
            auto& a = attrs_[static_cast<std::size_t>(id)];
            a = on ? (a | bit) : (a & ~bit);
        }
    };
    if (contains_any(pre, {"jina-v2-de", "jina-v2-es", "jina-v2-code"}) ||
        contains_any(architecture, {"nomic-bert-moe", "jina-bert-v3"})) {
        set("<mask>", token_attr::lstrip, true);
    } else if (contains_any(lname, {"phi-3", "phi3"})) {
        // Phi-3's chat template puts a newline after each special token; the tokenizer eats it.
        for (token_id id : specials_) attrs_[static_cast<std::size_t>(id)] |= token_attr::rstrip;
        set("</s>", token_attr::rstrip, true);
        for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) set(t, token_attr::rstrip, false);
    } else if (contains_any(lname, {"modern-bert"})) {
        set("[MASK]", token_attr::lstrip, true);
    }
}

}  // namespace tokenization
HEARTH_NAMESPACE_END
