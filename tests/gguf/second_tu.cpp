// A second translation unit including the whole GGUF API: if any function in the headers were
// not inline, linking this with the other test files would fail with duplicate symbols.
#include <hearth/gguf.hpp>
#include "gguf_test_support.hpp"

namespace gguf_test {
std::size_t tensor_count_from_second_tu(const bytes& b) {
    hearth::gguf::writer w;
    w.set("second.tu", std::uint32_t{1});
    std::vector<std::byte> again;
    w.write_to(again);
    (void)hearth::gguf::file::parse(again);
    return hearth::gguf::file::parse(b).tensors().size();
}
}  // namespace gguf_test
