#pragma once
// Reads a GGUF file's tokenizer.ggml.* metadata into a vocab_data (copies: the tokenizer does not
// depend on the file staying mapped).
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/tokenizer/token.hpp>
#include <hearth/tokenizer/vocab_data.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN

inline vocab_data read_vocab_data(const gguf::file& f) {
    vocab_data d;
    d.model = f.get<std::string>("tokenizer.ggml.model");
    d.pre = f.get_optional<std::string>("tokenizer.ggml.pre").value_or("");
    d.name = f.get_optional<std::string>("general.name").value_or("");
    d.architecture = f.get_optional<std::string>("general.architecture").value_or("");

    const auto tokens = f.get_array<std::string_view>("tokenizer.ggml.tokens");
    d.tokens.assign(tokens.begin(), tokens.end());
    if (f.contains("tokenizer.ggml.scores")) d.scores = f.get_array<float>("tokenizer.ggml.scores");
    if (f.contains("tokenizer.ggml.token_type")) d.types = f.get_array<std::int32_t>("tokenizer.ggml.token_type");
    if (f.contains("tokenizer.ggml.merges")) {
        const auto merges = f.get_array<std::string_view>("tokenizer.ggml.merges");
        d.merges.assign(merges.begin(), merges.end());
    } else if (d.model == "gpt2" || d.model == "gemma4") {
        throw error(errc::not_found, f.source() + ": byte-level BPE vocabulary without tokenizer.ggml.merges");
    }

    // An id that does not fit a token id is treated like one outside the vocabulary: ignored.
    auto id = [&](std::string_view key) -> std::optional<token_id> {
        const gguf::value* v = f.find(key);
        if (!v) return std::nullopt;
        const auto raw = v->as<std::int64_t>();
        if (raw < 0 || raw > INT32_MAX) return std::nullopt;
        return static_cast<token_id>(raw);
    };
    auto& ids = d.ids;
    ids.bos = id("tokenizer.ggml.bos_token_id");
    ids.eos = id("tokenizer.ggml.eos_token_id");
    ids.eot = id("tokenizer.ggml.eot_token_id");
    ids.eom = id("tokenizer.ggml.eom_token_id");
    ids.unk = id("tokenizer.ggml.unknown_token_id");
    ids.sep = id("tokenizer.ggml.seperator_token_id");  // sic: the key is spelled this way
    ids.pad = id("tokenizer.ggml.padding_token_id");
    ids.mask = id("tokenizer.ggml.mask_token_id");
    ids.fim_pre = id("tokenizer.ggml.fim_pre_token_id");
    ids.fim_suf = id("tokenizer.ggml.fim_suf_token_id");
    ids.fim_mid = id("tokenizer.ggml.fim_mid_token_id");
    ids.fim_pad = id("tokenizer.ggml.fim_pad_token_id");
    ids.fim_rep = id("tokenizer.ggml.fim_rep_token_id");
    ids.fim_sep = id("tokenizer.ggml.fim_sep_token_id");
    // Older files name the first three FIM tokens differently; llama.cpp reads these last.
    if (auto v = id("tokenizer.ggml.prefix_token_id")) ids.fim_pre = v;
    if (auto v = id("tokenizer.ggml.suffix_token_id")) ids.fim_suf = v;
    if (auto v = id("tokenizer.ggml.middle_token_id")) ids.fim_mid = v;

    d.add_bos = f.get_optional<bool>("tokenizer.ggml.add_bos_token");
    d.add_eos = f.get_optional<bool>("tokenizer.ggml.add_eos_token");
    d.add_space_prefix = f.get_optional<bool>("tokenizer.ggml.add_space_prefix");
    return d;
}

HEARTH_NAMESPACE_END
