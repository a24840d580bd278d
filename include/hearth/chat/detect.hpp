#pragma once
// Which prompt format a model's Jinja chat template (GGUF key tokenizer.chat_template) asks
// for. hearth does not run Jinja: like llama.cpp's llm_chat_detect_template, it looks for
// tell-tale substrings, in llama.cpp's order, so a template lands on the same family in both.
// Families llama.cpp knows but hearth does not render (SmolVLM, RWKV World, GigaChat, Yandex,
// Bailing, dots1, Hunyuan, gpt-oss, Kimi K2, Seed-OSS, Grok 2, Pangu, Solar Open) still end the
// search where llama.cpp's does: they give "unknown" instead of being mistaken for a later
// family whose marker they also happen to contain.
#include <hearth/config.hpp>
#include <hearth/chat/family.hpp>
#include <hearth/chat/text.hpp>
#include <optional>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

inline std::optional<template_family> detect(std::string_view t) {
    using f = template_family;
    const auto has = [t](std::string_view s) { return contains(t, s); };
    constexpr std::optional<template_family> unsupported = std::nullopt;

    // A bare family name is accepted too, as llama.cpp does for --chat-template.
    if (auto named = from_name(t)) return named;

    if (has("<|im_start|>")) {
        if (has("<|im_sep|>")) return f::phi4;
        if (has("<end_of_utterance>")) return unsupported;  // SmolVLM: <|im_start|> is its BOS, not ChatML
        return f::chatml;
    }
    if (t.starts_with("mistral") || has("[INST]")) {
        if (has("[SYSTEM_PROMPT]")) return f::mistral_v7;
        // Mistral's official v1 template, or v3/v3-tekken (which declare tools).
        if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
            if (has(" [INST]")) return f::mistral_v1;
            if (has("\"[INST]\"")) return f::mistral_v3_tekken;
            return f::mistral_v3;
        }
        if (has("content.strip()")) return f::llama2_sys_strip;
        if (has("bos_token + '[INST]")) return f::llama2_sys_bos;
        if (has("<<SYS>>")) return f::llama2_sys;
        return f::llama2;
    }
    if (has("<|assistant|>") && has("<|end|>")) return f::phi3;
    if (has("[gMASK]<sop>")) return f::chatglm4;
    if (has("<|assistant|>") && has("<|user|>")) {
        if (has("<|tool_declare|>")) return f::exaone_moe;
        return has("</s>") ? f::falcon3 : f::glmedge;
    }
    if (has("<|{{ item['role'] }}|>") && has("<|begin_of_image|>")) return f::glmedge;
    if (has("<|user|>") && has("<|endoftext|>")) return f::zephyr;
    if (has("bos_token + message['role']")) return f::monarch;
    if (has("<start_of_turn>")) return f::gemma;
    if (has("'\\n\\nAssistant: ' + eos_token")) return f::orion;  // a literal backslash-n in the template
    if (has("GPT4 Correct ")) return f::openchat;
    if (has("USER: ") && has("ASSISTANT: ")) return has("SYSTEM: ") ? f::vicuna_orca : f::vicuna;
    if (has("### Instruction:") && has("<|EOT|>")) return f::deepseek;
    if (has("<|START_OF_TURN_TOKEN|>") && has("<|USER_TOKEN|>")) return f::command_r;
    if (has("<|start_header_id|>") && has("<|end_header_id|>")) return f::llama3;
    if (has("[gMASK]sop")) return f::chatglm3;
    if (has("<\xE7\x94\xA8\xE6\x88\xB7>")) return f::minicpm;  // "<用户>"
    if (has("'Assistant: ' + message['content'] + eos_token")) return f::deepseek2;
    // "<｜Assistant｜>", "<｜User｜>", "<｜end▁of▁sentence｜>" (fullwidth bars, U+2581 spaces)
    if (has("<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>") && has("<\xEF\xBD\x9C" "User\xEF\xBD\x9C>") &&
        has("<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"))
        return f::deepseek3;
    if (has("[|system|]") && has("[|assistant|]") && has("[|endofturn|]")) return has("[|tool|]") ? f::exaone4 : f::exaone3;
    if (has("rwkv-world") || has("{{- 'User: ' + message['content']|trim + '\\n\\n' -}}")) return unsupported;
    if (has("<|start_of_role|>")) {
        if (has("<tool_call>") || has("<tools>")) return has("g4_default_system_message") ? f::granite_4_0 : f::granite_4_1;
        return f::granite;
    }
    if (has("message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1]"))
        return unsupported;  // GigaChat
    if (has("<|role_start|>")) return f::megrez;
    if (has(" \xD0\x90\xD1\x81\xD1\x81\xD0\xB8\xD1\x81\xD1\x82\xD0\xB5\xD0\xBD\xD1\x82:")) return unsupported;  // Yandex, " Ассистент:"
    if (has("<role>ASSISTANT</role>") &&  // the Bailing (Ling) family: bailing, bailing-think, bailing2
        (has("'HUMAN'") || (has("\"HUMAN\"") && has("<think>")) || (has("<role>HUMAN</role>") && has("<|role_end|>"))))
        return unsupported;
    if (has("<|header_start|>") && has("<|header_end|>")) return f::llama4;
    // Everything llama.cpp checks after Llama 4 (dots1, Hunyuan, gpt-oss, Kimi K2, Seed-OSS,
    // Grok 2, Pangu, Solar Open) is a family hearth does not render.
    return std::nullopt;
}

}  // namespace chat
HEARTH_NAMESPACE_END
