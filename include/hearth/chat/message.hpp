#pragma once
// One turn of a conversation.
#include <hearth/config.hpp>
#include <string>

HEARTH_NAMESPACE_BEGIN
namespace chat {

struct message {
    std::string role;     // "system" | "user" | "assistant"; other roles ("tool", ...) pass through as text
    std::string content;  // UTF-8
};

}  // namespace chat
HEARTH_NAMESPACE_END
