#pragma once
// How each byte-level BPE vocabulary cuts text into words before merging, keyed by the file's
// tokenizer.ggml.pre. The regex lists are facts taken from llama.cpp (src/llama-vocab.cpp,
// llm_tokenizer_bpe); every regex is applied in turn to each piece the previous ones produced,
// and both the matches and the text between them become pieces. Non-ASCII characters are written
// as \x{...} so that no editor or tool can normalize them (several ranges below start or end on
// code points that Unicode normalization would replace, e.g. U+1F7D, U+2126).
#include <hearth/config.hpp>
#include <initializer_list>
#include <span>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace tokenization {

struct bpe_pre_spec {
    std::string_view name;                    // canonical name, for messages
    std::span<const std::string_view> regexes;
    bool ignore_merges = false;               // a word that is itself a token is emitted whole
    bool add_bos = false;                     // BOS by default unless the file says otherwise
    bool byte_encode = true;                  // words spelled in GPT-2's byte alphabet
    bool escape_whitespace = false;           // ' ' -> U+2581 before splitting (SentencePiece-style BPE)
    bool newline_runs_whole = false;          // gemma4: a run of '\n' that is a token stays one token
    bool force_add_bos = false;               // BOS even if the file says not (llama.cpp's Gemma 4 workaround)
};

namespace pre_regex {
// GPT-2's pattern. llama.cpp runs it with a hand-written matcher whose behaviour includes a final
// \s+ alternative (a lone white space before a non-space); written here so PCRE2 does the same.
inline constexpr std::string_view gpt2 = R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)re";
inline constexpr std::string_view llama3 =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
inline constexpr std::string_view qwen2 =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
inline constexpr std::string_view qwen35 =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
inline constexpr std::string_view poro = R"re( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{964}\x{6D4}\x{60C})]+)re";

inline constexpr std::string_view default_list[] = {
    R"re([\p{P}\$\+<=>\^~\|]+)re", gpt2, R"re(\p{N}+)re", R"re([0-9][0-9][0-9])re"};
inline constexpr std::string_view gpt2_list[] = {gpt2};
inline constexpr std::string_view llama3_list[] = {llama3};
inline constexpr std::string_view qwen2_list[] = {qwen2};
inline constexpr std::string_view qwen35_list[] = {qwen35};
inline constexpr std::string_view starcoder_list[] = {R"re(\p{N})re", gpt2};
inline constexpr std::string_view falcon_list[] = {R"re([\p{P}\$\+<=>\^~\|`]+)re", gpt2, R"re([0-9][0-9][0-9])re"};
inline constexpr std::string_view deepseek_llm_list[] = {
    R"re([\r\n])re",
    R"re(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293}\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)re",
    R"re(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)re",
    R"re(\s+$)re",
    R"re([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)re",
    R"re(\p{N}+)re",
};
inline constexpr std::string_view deepseek_coder_list[] = {
    R"re([\r\n])re", R"re(\s?\p{L}+)re", R"re(\s?\p{P}+)re",
    R"re([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)re", R"re(\p{N})re"};
inline constexpr std::string_view deepseek3_list[] = {
    R"re(\p{N}{1,3})re",
    R"re([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)re",
    R"re([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"};
inline constexpr std::string_view poro_list[] = {poro};
inline constexpr std::string_view viking_list[] = {poro, R"re(\p{N})re"};
inline constexpr std::string_view tekken_list[] = {
    R"re([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"};
inline constexpr std::string_view chameleon_list[] = {
    R"re(<sentinel:[0-9]+>)re", R"re((IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z)re", R"re(([\t\n]|    |  ))re",
    R"re(\p{N})re", R"re([\p{P}!-/:-@\[-`{-~])re", gpt2};
inline constexpr std::string_view gpt4o_list[] = {
    R"re([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"};
inline constexpr std::string_view seed_coder_list[] = {
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)re"};
inline constexpr std::string_view bailingmoe_list[] = {
    R"re('(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)re"};
// SentencePiece-style BPE: no word splitting beyond separating runs of newlines.
inline constexpr std::string_view gemma4_list[] = {R"re([^\n]+|[\n]+)re"};
}  // namespace pre_regex

// The spec for a tokenizer.ggml.pre name (empty means "default"), or nullptr when unknown.
inline const bpe_pre_spec* find_bpe_pre(std::string_view pre) {
    using namespace pre_regex;
    struct entry {
        std::initializer_list<std::string_view> names;
        bpe_pre_spec spec;
    };
    static const entry table[] = {
        {{"default", ""}, {"default", default_list}},
        {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"},
         {"llama3", llama3_list, /*ignore_merges*/ true, /*add_bos*/ true}},
        {{"dbrx", "smaug-bpe"}, {"dbrx", llama3_list}},
        {{"deepseek-llm"}, {"deepseek-llm", deepseek_llm_list}},
        {{"deepseek-coder"}, {"deepseek-coder", deepseek_coder_list}},
        {{"deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4"}, {"deepseek-v3", deepseek3_list}},
        {{"falcon"}, {"falcon", falcon_list}},
        {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2"},
         {"starcoder", starcoder_list}},
        // "gpt-neox" is not a name llama.cpp writes, but GPT-NeoX's tokenizer.json uses GPT-2's
        // ByteLevel pre-tokenizer, so a file that says so gets GPT-2's split.
        {{"gpt-2", "gpt2", "gpt-neox", "phi-2", "mpt", "olmo", "jais", "trillion", "granite-docling", "exaone4",
          "jina-es", "jina-de", "jina-v2-es", "jina-v2-de", "jina-v1-en", "jina-v2-code", "roberta-bpe", "gigachat",
          "a.x-4.0", "mellum", "modern-bert"},
         {"gpt-2", gpt2_list}},
        {{"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "stablelm2", "hunyuan", "solar-open", "megrez", "grok-2"},
         {"qwen2", qwen2_list}},
        {{"qwen35"}, {"qwen35", qwen35_list}},
        {{"poro-chat", "bloom", "gpt3-finnish"}, {"poro", poro_list}},
        {{"viking"}, {"viking", viking_list}},
        {{"glm4", "chatglm-bpe"}, {"chatglm4", llama3_list}},
        {{"tekken"}, {"tekken", tekken_list, /*ignore_merges*/ true, /*add_bos*/ true}},
        {{"chameleon"}, {"chameleon", chameleon_list, false, /*add_bos*/ true}},
        {{"gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"}, {"gpt-4o", gpt4o_list}},
        {{"seed-coder"}, {"seed-coder", seed_coder_list}},
        {{"bailingmoe", "bailingmoe2", "llada-moe"}, {"bailingmoe", bailingmoe_list}},
        {{"gemma4", "granite-embed-multi-311m"},
         {"gemma4", gemma4_list, false, /*add_bos*/ true, /*byte_encode*/ false, /*escape_whitespace*/ true,
          /*newline_runs_whole*/ true, /*force_add_bos*/ true}},
    };
    for (const auto& e : table)
        for (auto n : e.names)
            if (n == pre) return &e.spec;
    return nullptr;
}

}  // namespace tokenization
HEARTH_NAMESPACE_END
