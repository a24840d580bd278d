// libFuzzer driver for target (5): arbitrary bytes as a model, loaded into the CPU backend and
// run for a few tokens (see targets/model_target.hpp). One backend with one worker thread serves
// every input, as one process serves every model it opens.
#include "targets/model_target.hpp"
#include <hearth/cpu.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static hearth::cpu::backend<> backend(hearth::cpu::options{1});
    try {
        hearth_fuzz::model_one_input(backend, {reinterpret_cast<const std::byte*>(data), size});
    } catch (const hearth::error&) {
    }
    return 0;
}
