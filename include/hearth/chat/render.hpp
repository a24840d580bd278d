#pragma once
// render(): a conversation as the prompt text a family's model was trained on, byte for byte
// what llama.cpp's built-in templates (llama_chat_apply_template) produce.
//
// BOS and EOS: no family writes the leading BOS (the tokenizer adds it, as with llama.cpp).
// The formats that put BOS or EOS inside the conversation (llama2*, mistral*, monarch, orion,
// vicuna*) write "<s>" and "</s>" as llama.cpp does, unless the caller passes the model's own
// token texts as `bos` / `eos`.
#include <hearth/config.hpp>
#include <hearth/chat/family.hpp>
#include <hearth/chat/message.hpp>
#include <hearth/chat/render_context.hpp>
#include <hearth/chat/render_folded_system.hpp>
#include <hearth/chat/render_inst.hpp>
#include <hearth/chat/render_labelled.hpp>
#include <hearth/chat/render_role_tags.hpp>
#include <span>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

inline std::string render(template_family family, std::span<const message> messages, bool add_generation_prompt,
                          std::string_view bos = "", std::string_view eos = "") {
    const render_context ctx{messages, add_generation_prompt, bos.empty() ? "<s>" : bos, eos.empty() ? "</s>" : eos};
    std::string out;
    std::size_t bytes = 64;
    for (const auto& m : messages) bytes += m.role.size() + m.content.size() + 32;
    out.reserve(bytes);

    using f = template_family;
    switch (family) {
    case f::chatml:
    case f::phi3:
    case f::phi4:
    case f::falcon3:
    case f::zephyr:
    case f::llama3:
    case f::llama4:
    case f::megrez:
    case f::chatglm3:
    case f::chatglm4:
    case f::glmedge: render_role_tags(ctx, family, out); break;
    case f::granite:
    case f::granite_4_0:
    case f::granite_4_1: render_granite(ctx, family, out); break;
    case f::command_r:
    case f::exaone3:
    case f::exaone4:
    case f::exaone_moe: render_known_roles(ctx, family, out); break;
    case f::monarch: render_monarch(ctx, out); break;
    case f::llama2:
    case f::llama2_sys:
    case f::llama2_sys_bos:
    case f::llama2_sys_strip: render_llama2(ctx, family, out); break;
    case f::mistral_v1:
    case f::mistral_v3:
    case f::mistral_v3_tekken: render_mistral_v1_v3(ctx, family, out); break;
    case f::mistral_v7:
    case f::mistral_v7_tekken: render_mistral_v7(ctx, family, out); break;
    case f::gemma: render_gemma(ctx, out); break;
    case f::orion: render_orion(ctx, out); break;
    case f::openchat: render_openchat(ctx, out); break;
    case f::vicuna:
    case f::vicuna_orca: render_vicuna(ctx, family, out); break;
    case f::deepseek:
    case f::deepseek2:
    case f::deepseek3: render_deepseek(ctx, family, out); break;
    case f::minicpm: render_minicpm(ctx, out); break;
    }
    return out;
}

}  // namespace chat
HEARTH_NAMESPACE_END
