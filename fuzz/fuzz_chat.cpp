// libFuzzer driver for target (3): chat-template detection and rendering (see targets/chat_target.hpp).
#include "targets/chat_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return hearth_fuzz::chat_entry(data, size);
}
