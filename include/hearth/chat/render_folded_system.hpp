#pragma once
// Formats without a system role: the system text is held back and put at the head of the
// next user turn. Gemma (whose assistant role is "model") and Orion.
#include <hearth/config.hpp>
#include <hearth/chat/render_context.hpp>
#include <hearth/chat/text.hpp>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

// Gemma trims every message. Several system messages are joined with nothing between them (as
// llama.cpp does); a system prompt with no user turn after it is dropped.
inline void render_gemma(const render_context& ctx, std::string& out) {
    std::string system;
    for (const auto& m : ctx.messages) {
        if (m.role == "system") {
            system += trim(m.content);
            continue;
        }
        const std::string_view role = m.role == "assistant" ? std::string_view("model") : std::string_view(m.role);
        append(out, "<start_of_turn>", role, "\n");
        if (!system.empty() && role != "model") {
            append(out, system, "\n\n");
            system.clear();
        }
        append(out, trim(m.content), "<end_of_turn>\n");
    }
    if (ctx.add_generation_prompt) out += "<start_of_turn>model\n";
}

// Orion-14B-Chat: "Human: ...\n\nAssistant: </s>" then the reply and "</s>". The format
// already ends every user turn with the assistant's cue, so there is no generation prompt.
inline void render_orion(const render_context& ctx, std::string& out) {
    std::string system;
    for (const auto& m : ctx.messages) {
        if (m.role == "system") {
            system += m.content;
        } else if (m.role == "user") {
            out += "Human: ";
            if (!system.empty()) {
                append(out, system, "\n\n");
                system.clear();
            }
            append(out, m.content, "\n\nAssistant: ", ctx.eos);
        } else {
            append(out, m.content, ctx.eos);
        }
    }
}

}  // namespace chat
HEARTH_NAMESPACE_END
