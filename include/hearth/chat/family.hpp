#pragma once
// The prompt formats hearth knows, and their names. The names are llama.cpp's (--chat-template
// NAME), so a user's habits carry over.
#include <hearth/config.hpp>
#include <array>
#include <optional>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

enum class template_family {
    chatml,            // <|im_start|>role\n...<|im_end|>   (Qwen, SmolLM, Hermes, ...)
    llama2,            // [INST] ... [/INST], system text folded in as a plain line
    llama2_sys,        // llama2 with <<SYS>> ... <</SYS>> around the system message
    llama2_sys_bos,    // llama2_sys with <s> opening every later turn
    llama2_sys_strip,  // llama2_sys with every message trimmed
    mistral_v1,        // " [INST] ... [/INST] answer</s>"
    mistral_v3,        // "[INST] ...[/INST] answer</s>", answers trimmed
    mistral_v3_tekken, // "[INST]...[/INST]answer</s>"
    mistral_v7,        // [SYSTEM_PROMPT] ... [/SYSTEM_PROMPT][INST] ...[/INST]
    mistral_v7_tekken, // mistral_v7 without the spaces
    phi3,              // <|role|>\n...<|end|>
    phi4,              // <|im_start|>role<|im_sep|>...<|im_end|>
    falcon3,           // <|role|>\n...\n
    zephyr,            // <|role|>\n...<|endoftext|>
    monarch,           // role\n...</s> with <s> before every later turn
    gemma,             // <start_of_turn>user|model; system folded into the first user turn
    orion,             // Human: ... Assistant: </s>
    openchat,          // GPT4 Correct User: ...<|end_of_turn|>
    vicuna,            // USER: ... ASSISTANT: ...</s>
    vicuna_orca,       // vicuna with a SYSTEM: line
    deepseek,          // ### Instruction: / ### Response: (deepseek-coder)
    deepseek2,         // User: ... Assistant: ...<｜end▁of▁sentence｜>
    deepseek3,         // <｜User｜>...<｜Assistant｜>...<｜end▁of▁sentence｜>
    command_r,         // <|START_OF_TURN_TOKEN|><|USER_TOKEN|>...
    llama3,            // <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
    chatglm3,          // [gMASK]sop<|role|>\n ...
    chatglm4,          // [gMASK]<sop><|role|>\n...
    glmedge,           // <|role|>\n...
    minicpm,           // <用户>...<AI>
    exaone3,           // [|system|]...[|endofturn|]
    exaone4,           // exaone3 plus a tool role
    exaone_moe,        // <|role|>\n...<|endofturn|>
    granite,           // <|start_of_role|>role<|end_of_role|>...<|end_of_text|> (Granite 3.x)
    granite_4_0,       // Granite 4.0: tool calls under the assistant role
    granite_4_1,       // Granite 4.1: as 4.0
    megrez,            // <|role_start|>role<|role_end|>...<|turn_end|>
    llama4,            // <|header_start|>role<|header_end|>\n\n...<|eot|>
};

struct family_name {
    template_family family;
    std::string_view name;
};

inline constexpr std::array<family_name, 37> family_names{{
    {template_family::chatml, "chatml"},
    {template_family::llama2, "llama2"},
    {template_family::llama2_sys, "llama2-sys"},
    {template_family::llama2_sys_bos, "llama2-sys-bos"},
    {template_family::llama2_sys_strip, "llama2-sys-strip"},
    {template_family::mistral_v1, "mistral-v1"},
    {template_family::mistral_v3, "mistral-v3"},
    {template_family::mistral_v3_tekken, "mistral-v3-tekken"},
    {template_family::mistral_v7, "mistral-v7"},
    {template_family::mistral_v7_tekken, "mistral-v7-tekken"},
    {template_family::phi3, "phi3"},
    {template_family::phi4, "phi4"},
    {template_family::falcon3, "falcon3"},
    {template_family::zephyr, "zephyr"},
    {template_family::monarch, "monarch"},
    {template_family::gemma, "gemma"},
    {template_family::orion, "orion"},
    {template_family::openchat, "openchat"},
    {template_family::vicuna, "vicuna"},
    {template_family::vicuna_orca, "vicuna-orca"},
    {template_family::deepseek, "deepseek"},
    {template_family::deepseek2, "deepseek2"},
    {template_family::deepseek3, "deepseek3"},
    {template_family::command_r, "command-r"},
    {template_family::llama3, "llama3"},
    {template_family::chatglm3, "chatglm3"},
    {template_family::chatglm4, "chatglm4"},
    {template_family::glmedge, "glmedge"},
    {template_family::minicpm, "minicpm"},
    {template_family::exaone3, "exaone3"},
    {template_family::exaone4, "exaone4"},
    {template_family::exaone_moe, "exaone-moe"},
    {template_family::granite, "granite"},
    {template_family::granite_4_0, "granite-4.0"},
    {template_family::granite_4_1, "granite-4.1"},
    {template_family::megrez, "megrez"},
    {template_family::llama4, "llama4"},
}};

inline std::string_view name(template_family f) noexcept {
    for (const auto& entry : family_names)
        if (entry.family == f) return entry.name;
    return "unknown";
}

// The family a --chat-template NAME stands for; names are matched exactly, as llama.cpp does.
inline std::optional<template_family> from_name(std::string_view n) noexcept {
    for (const auto& entry : family_names)
        if (entry.name == n) return entry.family;
    return std::nullopt;
}

}  // namespace chat
HEARTH_NAMESPACE_END
