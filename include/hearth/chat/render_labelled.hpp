#pragma once
// Formats that put a fixed label before each kind of message ("USER: ", "### Instruction:",
// "<｜User｜>", ...) instead of writing the role's own name: OpenChat, Vicuna, the DeepSeek
// family and MiniCPM. Roles a format has no label for are dropped, as in llama.cpp.
#include <hearth/config.hpp>
#include <hearth/chat/family.hpp>
#include <hearth/chat/render_context.hpp>
#include <hearth/chat/text.hpp>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

// DeepSeek's and MiniCPM's markers, spelled in bytes so the header does not depend on the
// compiler's source character set: fullwidth vertical bars (U+FF5C) and U+2581 word spaces.
inline constexpr std::string_view deepseek_user = "<\xEF\xBD\x9C" "User\xEF\xBD\x9C>";
inline constexpr std::string_view deepseek_assistant = "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>";
inline constexpr std::string_view deepseek_end = "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
inline constexpr std::string_view minicpm_user = "<\xE7\x94\xA8\xE6\x88\xB7>";  // "<用户>"

// OpenChat 3.5: "GPT4 Correct " + the role with its first letter capitalized.
inline void render_openchat(const render_context& ctx, std::string& out) {
    for (const auto& m : ctx.messages) {
        if (m.role == "system") {
            append(out, m.content, "<|end_of_turn|>");
            continue;
        }
        std::string role = m.role;
        if (!role.empty() && role[0] >= 'a' && role[0] <= 'z') role[0] = static_cast<char>(role[0] - 'a' + 'A');
        append(out, "GPT4 Correct ", role, ": ", m.content, "<|end_of_turn|>");
    }
    if (ctx.add_generation_prompt) out += "GPT4 Correct Assistant:";
}

// Vicuna 1.1, and the Orca variant that labels the system prompt.
inline void render_vicuna(const render_context& ctx, template_family family, std::string& out) {
    for (const auto& m : ctx.messages) {
        if (m.role == "system") {
            if (family == template_family::vicuna_orca) append(out, "SYSTEM: ", m.content, "\n");
            else append(out, m.content, "\n\n");
        } else if (m.role == "user") {
            append(out, "USER: ", m.content, "\n");
        } else if (m.role == "assistant") {
            append(out, "ASSISTANT: ", m.content, ctx.eos, "\n");
        }
    }
    if (ctx.add_generation_prompt) out += "ASSISTANT:";
}

// deepseek (coder), deepseek2, deepseek3.
inline void render_deepseek(const render_context& ctx, template_family family, std::string& out) {
    using f = template_family;
    for (const auto& m : ctx.messages) {
        const std::string_view r = m.role, c = m.content;
        switch (family) {
        case f::deepseek:
            if (r == "system") out += c;
            else if (r == "user") append(out, "### Instruction:\n", c, "\n");
            else if (r == "assistant") append(out, "### Response:\n", c, "\n<|EOT|>\n");
            break;
        case f::deepseek2:
            if (r == "system") append(out, c, "\n\n");
            else if (r == "user") append(out, "User: ", c, "\n\n");
            else if (r == "assistant") append(out, "Assistant: ", c, deepseek_end);
            break;
        default:  // deepseek3
            if (r == "system") append(out, c, "\n\n");
            else if (r == "user") append(out, deepseek_user, c);
            else if (r == "assistant") append(out, deepseek_assistant, c, deepseek_end);
            break;
        }
    }
    if (!ctx.add_generation_prompt) return;
    if (family == f::deepseek) out += "### Response:\n";
    else if (family == f::deepseek2) out += "Assistant:";
    else out += deepseek_assistant;
}

// MiniCPM: only user turns are marked; everything is trimmed; no generation prompt (<AI>
// after each user turn is the cue).
inline void render_minicpm(const render_context& ctx, std::string& out) {
    for (const auto& m : ctx.messages) {
        if (m.role == "user") append(out, minicpm_user, trim(m.content), "<AI>");
        else out += trim(m.content);
    }
}

}  // namespace chat
HEARTH_NAMESPACE_END
