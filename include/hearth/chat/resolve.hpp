#pragma once
// Choosing the prompt format for a session: the user's --chat-template wins, then the model's
// own template; when neither is recognized, ChatML with a warning the caller shows (llama.cpp
// falls back to ChatML too).
#include <hearth/config.hpp>
#include <hearth/chat/detect.hpp>
#include <hearth/chat/family.hpp>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

struct resolved {
    template_family family;
    bool fell_back;       // true when ChatML was chosen because nothing else was recognized
    std::string warning;  // what to tell the user when fell_back; empty otherwise
};

inline std::string known_family_names() {
    std::string names;
    for (const auto& entry : family_names) {
        if (!names.empty()) names += ", ";
        names += entry.name;
    }
    return names;
}

// override_name: a family name, or (as llama.cpp accepts) a whole template text. Either may
// be empty.
inline resolved resolve(std::string_view file_template, std::string_view override_name) {
    if (!override_name.empty()) {
        if (auto f = detect(override_name)) return {*f, false, {}};
        return {template_family::chatml, true,
                "chat template '" + std::string(override_name.substr(0, 80)) + (override_name.size() > 80 ? "...'" : "'") +
                    " is not one hearth knows; using chatml. Known names: " + known_family_names()};
    }
    if (file_template.empty())
        return {template_family::chatml, true, "the model has no chat template (tokenizer.chat_template); using chatml"};
    if (auto f = detect(file_template)) return {*f, false, {}};
    return {template_family::chatml, true,
            "the model's chat template (tokenizer.chat_template, " + std::to_string(file_template.size()) +
                " bytes) matches no format hearth knows; using chatml. Pick one with --chat-template NAME: " +
                known_family_names()};
}

}  // namespace chat
HEARTH_NAMESPACE_END
