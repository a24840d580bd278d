// libFuzzer driver for target (4): the sampler chain on arbitrary logits and parameters (see
// targets/sampler_target.hpp).
#include "targets/sampler_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return hearth_fuzz::sampler_entry(data, size);
}
