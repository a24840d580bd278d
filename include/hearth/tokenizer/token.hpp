#pragma once
// Token ids and the per-token kinds a GGUF vocabulary records.
#include <hearth/config.hpp>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN

using token_id = std::int32_t;
inline constexpr token_id no_token = -1;

// tokenizer.ggml.token_type: one value per token, SentencePiece's piece types.
enum class token_type : std::int32_t {
    undefined = 0,
    normal = 1,
    unknown = 2,       // <unk>
    control = 3,       // <s>, </s>, <|im_end|>: never produced from plain text
    user_defined = 4,  // added tokens matched verbatim before the model's own algorithm runs
    unused = 5,
    byte = 6,          // <0xNN> byte fallback
};

// What the tokenizer does with a token, derived from its type and from llama.cpp's load-time
// rules (control-looking texts, per-model strip rules). Bit values mirror llama_token_attr.
namespace token_attr {
inline constexpr std::uint32_t undefined = 0;
inline constexpr std::uint32_t unknown = 1u << 0;
inline constexpr std::uint32_t unused = 1u << 1;
inline constexpr std::uint32_t normal = 1u << 2;
inline constexpr std::uint32_t control = 1u << 3;
inline constexpr std::uint32_t user_defined = 1u << 4;
inline constexpr std::uint32_t byte = 1u << 5;
inline constexpr std::uint32_t lstrip = 1u << 7;  // swallow white space before the token when matched
inline constexpr std::uint32_t rstrip = 1u << 8;  // swallow white space after it
}  // namespace token_attr

HEARTH_NAMESPACE_END
