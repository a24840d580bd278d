// Hostile model metadata that the fuzzers led to, built here with gguf::writer so each case
// reads as what it is. Each must be refused with hearth::error while the model is being read,
// before anything is allocated from the file's claims.
#include <catch2/catch.hpp>
#include <hearth/gguf.hpp>
#include <hearth/model/config.hpp>
#include <hearth/model/tensors.hpp>
#include "test_paths.hpp"
#include <cstdint>
#include <string>
#include <vector>

namespace {

// A llama-architecture file: the keys read_model_config requires plus any extra ones, and
// token_embd / output_norm (f32) so find_model_tensors gets as far as the layers.
std::vector<std::byte> llama_file(std::uint32_t n_embd, std::uint32_t block_count, std::uint32_t n_head,
                                  std::uint32_t n_head_kv, std::uint32_t head_dim,
                                  const std::vector<std::pair<std::string, std::vector<std::uint64_t>>>& extra_tensors = {}) {
    static const std::vector<std::byte> zeros(1 << 16);
    hearth::gguf::writer w;
    w.set("general.architecture", "llama");
    w.set("llama.context_length", std::uint32_t{8});
    w.set("llama.embedding_length", n_embd);
    w.set("llama.block_count", block_count);
    w.set("llama.feed_forward_length", std::uint32_t{4});
    w.set("llama.attention.head_count", n_head);
    w.set("llama.attention.head_count_kv", n_head_kv);
    w.set("llama.attention.key_length", head_dim);
    w.set("llama.attention.value_length", head_dim);
    w.set("llama.rope.dimension_count", std::uint32_t{2});
    w.set("llama.vocab_size", std::uint32_t{4});
    auto add = [&](const std::string& name, std::vector<std::uint64_t> shape) {
        std::uint64_t n = 4;
        for (auto d : shape) n *= d;
        w.add_tensor(name, hearth::dtype::f32, shape, std::span<const std::byte>(zeros.data(), n));
    };
    add("token_embd.weight", {n_embd, 4});
    add("output_norm.weight", {n_embd});
    for (const auto& [name, shape] : extra_tensors) add(name, shape);
    std::vector<std::byte> out;
    w.write_to(out);
    return out;
}

hearth::error error_of(const std::vector<std::byte>& bytes) {
    const auto f = hearth::gguf::file::parse(bytes, "<hostile>");
    try {
        const auto c = hearth::read_model_config(f);
        (void)hearth::find_model_tensors(f, c);
    } catch (const hearth::error& e) {
        return e;
    }
    FAIL("the hostile model was accepted");
    return hearth::error(hearth::errc::io, "unreachable");
}

}  // namespace

TEST_CASE("hostile model: block_count 2^30 fails at the first missing layer, allocating nothing for the rest", "[fuzz]") {
    // fuzz_gguf: find_model_tensors sized its layer table from block_count up front (2^30 x 136 bytes).
    const auto e = error_of(llama_file(32, 1u << 30, 1, 1, 32));
    CHECK(e.kind() == hearth::errc::not_found);
    CHECK_THAT(std::string(e.what()), Catch::Contains("blk.0.attn_norm.weight"));
}

TEST_CASE("hostile model: head_count x head size past 2^30 is refused before it can wrap", "[fuzz]") {
    // 65536 heads of 65536: n_head * head_dim is 2^32, which wraps to 0 in 32 bits, so zero-width
    // q/k/v/output tensors would "match" while attention walks 2^32 floats per row.
    const std::uint32_t h = 65536;
    const auto e = error_of(llama_file(1, 1, h, h, h,
                                       {{"blk.0.attn_norm.weight", {1}}, {"blk.0.attn_q.weight", {1, 0}},
                                        {"blk.0.attn_k.weight", {1, 0}}, {"blk.0.attn_v.weight", {1, 0}},
                                        {"blk.0.attn_output.weight", {0, 1}}, {"blk.0.ffn_norm.weight", {1}},
                                        {"blk.0.ffn_gate.weight", {1, 4}}, {"blk.0.ffn_up.weight", {1, 4}},
                                        {"blk.0.ffn_down.weight", {4, 1}}}));
    CHECK(e.kind() == hearth::errc::bad_format);
    CHECK_THAT(std::string(e.what()), Catch::Contains("attention.head_count (65536) x llama.attention.key_length (65536)"));
    // The same shape family at a sane size still loads.
    const auto ok = llama_file(4, 1, 2, 1, 2,
                               {{"blk.0.attn_norm.weight", {4}}, {"blk.0.attn_q.weight", {4, 4}},
                                {"blk.0.attn_k.weight", {4, 2}}, {"blk.0.attn_v.weight", {4, 2}},
                                {"blk.0.attn_output.weight", {4, 4}}, {"blk.0.ffn_norm.weight", {4}},
                                {"blk.0.ffn_gate.weight", {4, 4}}, {"blk.0.ffn_up.weight", {4, 4}},
                                {"blk.0.ffn_down.weight", {4, 4}}});
    const auto f = hearth::gguf::file::parse(ok, "<sane>");
    const auto c = hearth::read_model_config(f);
    CHECK(hearth::find_model_tensors(f, c).layers.size() == 1);
}

TEST_CASE("hostile model: the real tiny llama still loads its config and every layer", "[fuzz]") {
    const auto f = hearth::gguf::file::open(hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf");
    const auto c = hearth::read_model_config(f);
    CHECK(hearth::find_model_tensors(f, c).layers.size() == c.n_layer);
}
