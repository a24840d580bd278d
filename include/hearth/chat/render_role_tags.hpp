#pragma once
// Formats that wrap every message in markers naming its role: the role text goes in as given
// (so "tool" or any other role works), and the generation prompt is the assistant's opening
// marker.
#include <hearth/config.hpp>
#include <hearth/chat/family.hpp>
#include <hearth/chat/render_context.hpp>
#include <hearth/chat/text.hpp>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

// One message is  open_a + role + open_b + content + close.
struct role_tag_layout {
    std::string_view prefix;  // once, before the first message
    std::string_view open_a, open_b, close;
    bool trim_content;
};

inline role_tag_layout role_tag_layout_of(template_family family) noexcept {
    using f = template_family;
    switch (family) {
    case f::chatml: return {"", "<|im_start|>", "\n", "<|im_end|>\n", false};
    case f::phi3: return {"", "<|", "|>\n", "<|end|>\n", false};
    case f::phi4: return {"", "<|im_start|>", "<|im_sep|>", "<|im_end|>", false};
    case f::falcon3: return {"", "<|", "|>\n", "\n", false};
    case f::zephyr: return {"", "<|", "|>\n", "<|endoftext|>\n", false};
    case f::llama3: return {"", "<|start_header_id|>", "<|end_header_id|>\n\n", "<|eot_id|>", true};
    case f::llama4: return {"", "<|header_start|>", "<|header_end|>\n\n", "<|eot|>", true};
    case f::megrez: return {"", "<|role_start|>", "<|role_end|>", "<|turn_end|>", false};
    case f::chatglm3: return {"[gMASK]sop", "<|", "|>\n ", "", false};
    case f::chatglm4: return {"[gMASK]<sop>", "<|", "|>\n", "", false};
    case f::glmedge: return {"", "<|", "|>\n", "", false};
    default: return {};
    }
}

// The generation prompt is open_a + "assistant" + open_b, except where llama.cpp's differs:
// ChatGLM 3 and GLM-Edge stop before the newline.
inline void render_role_tags(const render_context& ctx, template_family family, std::string& out) {
    const role_tag_layout l = role_tag_layout_of(family);
    out += l.prefix;
    for (const auto& m : ctx.messages)
        append(out, l.open_a, m.role, l.open_b, l.trim_content ? trim(m.content) : std::string_view(m.content), l.close);
    if (!ctx.add_generation_prompt) return;
    if (family == template_family::chatglm3 || family == template_family::glmedge) out += "<|assistant|>";
    else append(out, l.open_a, "assistant", l.open_b);
}

// IBM Granite: 3.x writes a tool call as its own "assistant_tool_call" role; 4.0 and 4.1 as the
// assistant role followed by <|tool_call|>.
inline void render_granite(const render_context& ctx, template_family family, std::string& out) {
    const bool v3 = family == template_family::granite;
    for (const auto& m : ctx.messages) {
        if (m.role == "assistant_tool_call") {
            append(out, "<|start_of_role|>", v3 ? "assistant_tool_call" : "assistant", "<|end_of_role|><|tool_call|>");
        } else {
            append(out, "<|start_of_role|>", m.role, "<|end_of_role|>");
        }
        append(out, m.content, "<|end_of_text|>\n");
    }
    if (ctx.add_generation_prompt) out += "<|start_of_role|>assistant<|end_of_role|>";
}

// Formats that know a fixed set of roles and drop the others: Command R, EXAONE 3/4/MoE.
inline void render_known_roles(const render_context& ctx, template_family family, std::string& out) {
    using f = template_family;
    for (const auto& m : ctx.messages) {
        const std::string_view c = trim(m.content);
        const std::string_view r = m.role;
        switch (family) {
        case f::command_r:
            if (r == "system") append(out, "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>", c, "<|END_OF_TURN_TOKEN|>");
            else if (r == "user") append(out, "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", c, "<|END_OF_TURN_TOKEN|>");
            else if (r == "assistant") append(out, "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", c, "<|END_OF_TURN_TOKEN|>");
            break;
        case f::exaone3:
        case f::exaone4:
            if (r == "system") append(out, "[|system|]", c, "[|endofturn|]\n");
            else if (r == "user") append(out, "[|user|]", c, "\n");
            else if (r == "assistant") append(out, "[|assistant|]", c, "[|endofturn|]\n");
            else if (r == "tool" && family == f::exaone4) append(out, "[|tool|]", c, "[|endofturn|]\n");
            break;
        case f::exaone_moe:
            if (r == "system" || r == "user" || r == "assistant" || r == "tool") append(out, "<|", r, "|>\n", c, "<|endofturn|>\n");
            break;
        default: break;
        }
    }
    if (!ctx.add_generation_prompt) return;
    if (family == f::command_r) out += "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>";
    else if (family == f::exaone_moe) out += "<|assistant|>\n";
    else out += "[|assistant|]";
}

// AlphaMonarch: "role\ncontent</s>\n", with BOS opening every message but the first.
inline void render_monarch(const render_context& ctx, std::string& out) {
    bool first = true;
    for (const auto& m : ctx.messages) {
        if (!first) out += ctx.bos;
        first = false;
        append(out, m.role, "\n", m.content, ctx.eos, "\n");
    }
    if (ctx.add_generation_prompt) append(out, ctx.bos, "assistant\n");
}

}  // namespace chat
HEARTH_NAMESPACE_END
