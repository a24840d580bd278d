#pragma once
// What every prompt format receives: the conversation, whether to open the assistant's turn,
// and the BOS/EOS text for the formats that write those tokens inside the conversation.
#include <hearth/config.hpp>
#include <hearth/chat/message.hpp>
#include <span>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

struct render_context {
    std::span<const message> messages;
    bool add_generation_prompt;
    std::string_view bos;  // "<s>" unless the caller named the model's own
    std::string_view eos;  // "</s>" unless the caller named the model's own
};

}  // namespace chat
HEARTH_NAMESPACE_END
