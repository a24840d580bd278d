// Rewriting a real GGUF file (every key copied as read, every tensor from its view) with
// gguf::writer reproduces the original byte for byte. The originals were written by llama.cpp's
// own tools, so this pins our layout (order, alignment, padding) to theirs.
#include "gguf_test_support.hpp"
#include <test_paths.hpp>
#include <hearth/gguf.hpp>

using namespace hearth;
using namespace hearth::gguf;

namespace {
std::vector<std::byte> rewrite(const file& f) {
    writer w;
    for (const auto& e : f.metadata()) w.set(e.key, e.val);
    for (const auto& t : f.tensors())
        w.add_tensor(t.name, t.type, std::span<const std::uint64_t>(t.ne.data(), static_cast<std::size_t>(t.n_dims)),
                     t.data);
    std::vector<std::byte> out;
    w.write_to(out);
    return out;
}

void check_identical(const std::filesystem::path& path) {
    INFO(path.string());
    const auto f = file::open(path);
    const auto again = rewrite(f);
    CHECK(again.size() == f.bytes().size());
    const auto mismatch = std::mismatch(again.begin(), again.end(), f.bytes().begin(), f.bytes().end());
    INFO("first difference at byte " << (mismatch.first - again.begin()));
    CHECK(std::equal(again.begin(), again.end(), f.bytes().begin(), f.bytes().end()));
}
}  // namespace

TEST_CASE("rewriting llama-2-tiny-random reproduces it byte for byte", "[gguf][writer][real]") {
    check_identical(hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf");
}

TEST_CASE("rewriting the tokenizer vocabularies reproduces them byte for byte", "[gguf][writer][real]") {
    for (const char* name : {"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-phi-3.gguf"})
        check_identical(hearth_test::shared_dir() / "tokenizer" / name);
}

TEST_CASE("rewriting SmolLM2 Q4_1 reproduces it byte for byte", "[gguf][writer][real]") {
    const auto path = hearth_test::cached_model("SmolLM2-135M-Instruct.Q4_1.gguf");
    if (path.empty()) {
        WARN("SmolLM2-135M-Instruct.Q4_1.gguf not fetched: skipped");
        return;
    }
    check_identical(path);
}
