// libFuzzer driver for target (2): the tokenizer against every shared vocabulary (see
// targets/tokenizer_target.hpp). The vocabularies load once; HEARTH_FUZZ_VOCAB_DIR overrides
// where they are looked for.
#include "targets/tokenizer_target.hpp"
#include <cstdlib>

namespace {
const hearth_fuzz::vocabulary_set& vocabularies() {
    static const hearth_fuzz::vocabulary_set set = [] {
        const char* dir = std::getenv("HEARTH_FUZZ_VOCAB_DIR");
        return hearth_fuzz::load_vocabularies(dir && *dir ? dir : HEARTH_SHARED_DIR "/tokenizer");
    }();
    return set;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)vocabularies();  // load before the first input so its time is not charged to one
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        hearth_fuzz::tokenizer_one_input(vocabularies(), {reinterpret_cast<const std::byte*>(data), size});
    } catch (const hearth::error&) {
        // refusing an input with hearth::error is allowed; anything else escapes and is a finding
    }
    return 0;
}
