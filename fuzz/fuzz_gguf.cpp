// libFuzzer driver for target (1): arbitrary bytes as a GGUF file (see targets/gguf_target.hpp).
#include "targets/gguf_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return hearth_fuzz::gguf_entry(data, size);
}
