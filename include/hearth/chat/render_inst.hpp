#pragma once
// The [INST] formats: Llama 2 and its variants, and Mistral's v1, v3, v3-tekken, v7 and
// v7-tekken, laid out as llama.cpp's built-in templates lay them out (spaces included: they
// are what the models were trained on). None of them writes a generation prompt: "[/INST]"
// already hands the turn to the assistant.
#include <hearth/config.hpp>
#include <hearth/chat/family.hpp>
#include <hearth/chat/render_context.hpp>
#include <hearth/chat/text.hpp>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

// llama2, llama2-sys, llama2-sys-bos, llama2-sys-strip. The conversation opens with "[INST] "
// (the tokenizer adds the leading BOS); each assistant reply closes with EOS and the next
// user turn opens a new [INST], preceded by BOS in the -bos variant.
inline void render_llama2(const render_context& ctx, template_family family, std::string& out) {
    const bool system_tags = family != template_family::llama2;
    const bool bos_inside = family == template_family::llama2_sys_bos;
    const bool strip = family == template_family::llama2_sys_strip;
    bool inside_turn = true;
    out += "[INST] ";
    for (const auto& m : ctx.messages) {
        const std::string_view content = strip ? trim(m.content) : std::string_view(m.content);
        if (!inside_turn) {
            inside_turn = true;
            if (bos_inside) out += ctx.bos;
            out += "[INST] ";
        }
        if (m.role == "system") {
            if (system_tags) append(out, "<<SYS>>\n", content, "\n<</SYS>>\n\n");
            else append(out, content, "\n");  // no <<SYS>> support: the text still leads the first turn
        } else if (m.role == "user") {
            append(out, content, " [/INST]");
        } else {
            append(out, content, ctx.eos);
            inside_turn = false;
        }
    }
}

// mistral-v1, -v3, -v3-tekken: system text joins the user's [INST] block; v1 pads [INST] with
// a leading space, tekken drops the trailing one, v3 trims the assistant's replies.
inline void render_mistral_v1_v3(const render_context& ctx, template_family family, std::string& out) {
    const std::string_view lead = family == template_family::mistral_v1 ? " " : "";
    const std::string_view trail = family == template_family::mistral_v3_tekken ? "" : " ";
    const bool trim_reply = family == template_family::mistral_v3;
    bool inside_turn = false;
    for (const auto& m : ctx.messages) {
        if (!inside_turn) {
            append(out, lead, "[INST]", trail);
            inside_turn = true;
        }
        if (m.role == "system") {
            append(out, m.content, "\n\n");
        } else if (m.role == "user") {
            append(out, m.content, lead, "[/INST]");
        } else {
            append(out, trail, trim_reply ? trim(m.content) : std::string_view(m.content), ctx.eos);
            inside_turn = false;
        }
    }
}

// mistral-v7 and -v7-tekken: the system prompt gets its own [SYSTEM_PROMPT] block.
inline void render_mistral_v7(const render_context& ctx, template_family family, std::string& out) {
    const std::string_view space = family == template_family::mistral_v7 ? " " : "";
    for (const auto& m : ctx.messages) {
        if (m.role == "system") append(out, "[SYSTEM_PROMPT]", space, m.content, "[/SYSTEM_PROMPT]");
        else if (m.role == "user") append(out, "[INST]", space, m.content, "[/INST]");
        else append(out, space, m.content, ctx.eos);
    }
}

}  // namespace chat
HEARTH_NAMESPACE_END
