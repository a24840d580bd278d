#pragma once
// vocab_data: everything a tokenizer is built from, as plain values. tokenizer::from_gguf fills
// it from a file's tokenizer.ggml.* keys; tests and tools can build one by hand.
#include <hearth/config.hpp>
#include <hearth/tokenizer/token.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN

struct vocab_data {
    std::string model;         // tokenizer.ggml.model: "llama" (SentencePiece), "gpt2" (byte-level BPE), "gemma4"
    std::string pre;           // tokenizer.ggml.pre: which pre-tokenizer a BPE vocabulary uses (empty: "default")
    std::string name;          // general.name: llama.cpp keys a few per-token rules off it (Phi-3's rstrip)
    std::string architecture;  // general.architecture
    std::vector<std::string> tokens;
    std::vector<float> scores;         // SentencePiece merge priorities; empty = all 0
    std::vector<std::int32_t> types;   // token_type per token; empty = all normal
    std::vector<std::string> merges;   // BPE merges "left right", highest priority first

    // Special token ids as the file states them; unset ones keep the model family's defaults.
    struct special_ids {
        std::optional<token_id> bos, eos, eot, eom, unk, sep, pad, mask;
        std::optional<token_id> fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;
    } ids;

    std::optional<bool> add_bos;           // tokenizer.ggml.add_bos_token
    std::optional<bool> add_eos;           // tokenizer.ggml.add_eos_token
    std::optional<bool> add_space_prefix;  // tokenizer.ggml.add_space_prefix (SentencePiece: default true)
};

HEARTH_NAMESPACE_END
