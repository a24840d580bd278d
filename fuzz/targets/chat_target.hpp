#pragma once
// Fuzz target body (3): chat templates. Detecting a family from an arbitrary (hostile) template
// text, resolving a --chat-template override, and rendering conversations with arbitrary roles
// and contents in every family.
//
// Input layout:
//   byte 0   the family to render in (index into chat::family_names, modulo its size)
//   byte 1   flags: bit 0 add_generation_prompt, bit 1 the first two fields are BOS and EOS texts
//   rest     fields separated by 0x1F: role, content, role, content, ... A role that is one byte
//            below 8 stands for a common role name (system, user, assistant, tool, ...), so the
//            fuzzer reaches every format's role branches without having to spell them.
// The whole rest is also given to detect() and resolve() as a template text and as an override.
//
// What must hold: nothing but hearth::error escapes; rendering is deterministic; its size is
// bounded by the input (no format may loop or repeat text without end); a detected family's
// name maps back to it; a fallback always says why.
#include <hearth/chat.hpp>
#include <hearth/error.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hearth_fuzz {

inline void chat_one_input(std::span<const std::byte> in) {
    using namespace hearth::chat;
    if (in.size() < 2) return;
    const auto broken = [](const std::string& what) { throw std::logic_error("chat fuzz: " + what); };
    const template_family family = family_names[static_cast<std::size_t>(in[0]) % family_names.size()].family;
    const auto flags = static_cast<unsigned>(in[1]);
    const bool add_generation_prompt = flags & 1, custom_bos_eos = flags & 2;
    const std::string_view rest(reinterpret_cast<const char*>(in.data() + 2), in.size() - 2);

    // The rest as a model's template text and as a user's --chat-template value.
    if (const auto f = detect(rest)) {
        if (from_name(name(*f)) != *f) broken("detected family has no name that maps back to it");
    }
    for (const auto& r : {resolve(rest, ""), resolve("", rest), resolve(rest, rest)})
        if (r.fell_back != !r.warning.empty()) broken("a fallback without a warning, or a warning without one");

    std::vector<std::string_view> fields;
    for (std::size_t at = 0;;) {
        const std::size_t sep = rest.find('\x1f', at);
        fields.push_back(rest.substr(at, sep == std::string_view::npos ? std::string_view::npos : sep - at));
        if (sep == std::string_view::npos) break;
        at = sep + 1;
    }
    std::string_view bos, eos;
    std::size_t first = 0;
    if (custom_bos_eos && fields.size() >= 2) bos = fields[0], eos = fields[1], first = 2;
    static constexpr std::string_view common_roles[8] = {"system", "user", "assistant", "tool",
                                                         "assistant_tool_call", "", "function", "developer"};
    std::vector<message> messages;
    for (std::size_t i = first; i < fields.size(); i += 2) {
        std::string_view role = fields[i];
        if (role.size() == 1 && static_cast<unsigned char>(role[0]) < 8) role = common_roles[static_cast<unsigned char>(role[0])];
        const std::string_view content = i + 1 < fields.size() ? fields[i + 1] : std::string_view{};
        messages.push_back({std::string(role), std::string(content)});
    }

    const std::string a = render(family, messages, add_generation_prompt, bos, eos);
    const std::string b = render(family, messages, add_generation_prompt, bos, eos);
    if (a != b) broken("rendering the same conversation twice gave different text");
    // Every format writes each message once plus a fixed amount of markup per turn (a system
    // message may be repeated into one user turn) and BOS/EOS texts per turn.
    const std::size_t bound = 4 * in.size() + (messages.size() + 2) * (256 + 2 * (bos.size() + eos.size()));
    if (a.size() > bound)
        broken("rendered " + std::to_string(a.size()) + " bytes from a " + std::to_string(in.size()) + "-byte input");
}

inline int chat_entry(const std::uint8_t* data, std::size_t size) {
    try {
        chat_one_input({reinterpret_cast<const std::byte*>(data), size});
    } catch (const hearth::error&) {
    }
    return 0;
}

}  // namespace hearth_fuzz
