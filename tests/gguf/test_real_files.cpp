// Real GGUF files from llama.cpp's ecosystem parse, with spot checks of keys and tensors.
#include "gguf_test_support.hpp"
#include <test_paths.hpp>
#include <hearth/gguf.hpp>

using namespace hearth;
using hearth::gguf::file;
using hearth::gguf::value_type;

TEST_CASE("llama-2-tiny-random: metadata, vocabulary and tensors", "[gguf][real]") {
    const auto f = file::open(hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf");
    CHECK(f.version() == 3);
    CHECK(f.alignment() == 32);
    CHECK(f.metadata_count() == 18);
    CHECK(f.get<std::string_view>("general.architecture") == "llama");
    CHECK(f.get<std::uint32_t>("llama.context_length") == 4096);
    CHECK(f.get<std::uint32_t>("llama.embedding_length") == 8);
    CHECK(f.get<int>("llama.block_count") == 1);
    CHECK(f.get<std::uint64_t>("llama.attention.head_count") == 2);
    CHECK(f.get<float>("llama.attention.layer_norm_rms_epsilon") > 0.0f);
    CHECK(f.get<std::string>("tokenizer.ggml.model") == "llama");
    CHECK(f.get<std::uint32_t>("tokenizer.ggml.bos_token_id") == 1);
    CHECK(f.get<std::uint32_t>("tokenizer.ggml.eos_token_id") == 2);
    CHECK_FALSE(f.get_optional<std::uint32_t>("tokenizer.ggml.padding_token_id").has_value());
    CHECK(f.get_optional<std::uint32_t>("tokenizer.ggml.unknown_token_id") == 0u);

    const auto* tokens = f.find("tokenizer.ggml.tokens");
    REQUIRE(tokens);
    CHECK(tokens->type() == value_type::array);
    CHECK(tokens->array_type() == value_type::string);
    CHECK(tokens->size() == 32000);
    CHECK(tokens->element(0).as<std::string_view>() == "<unk>");
    CHECK(tokens->element(2).as<std::string_view>() == "</s>");
    const auto vocab = f.get_array<std::string_view>("tokenizer.ggml.tokens");
    REQUIRE(vocab.size() == 32000);
    CHECK(vocab[1] == "<s>");
    CHECK(vocab[31999] == tokens->element(31999).as<std::string_view>());
    const auto scores = f.get_array<float>("tokenizer.ggml.scores");
    CHECK(scores.size() == 32000);
    const auto types = f.get_array<std::int32_t>("tokenizer.ggml.token_type");
    CHECK(types.size() == 32000);
    CHECK(types[0] == 2);  // <unk> is UNKNOWN
    CHECK(types[1] == 3);  // <s> is CONTROL

    // Metadata in file order.
    CHECK(f.metadata().front().key == "general.architecture");
    CHECK(f.metadata().back().key == "tokenizer.ggml.unknown_token_id");

    REQUIRE(f.tensors().size() == 12);
    CHECK(f.tensors().front().name == "token_embd.weight");
    const auto& emb = f.tensor("token_embd.weight");
    CHECK(emb.type == dtype::f16);
    CHECK(emb.n_dims == 2);
    CHECK(emb.ne == std::array<std::uint64_t, 4>{8, 32000, 1, 1});
    CHECK(emb.elements() == 256000);
    CHECK(emb.rows() == 32000);
    CHECK(emb.row_bytes() == 16);
    CHECK(emb.data.size() == 512000);
    CHECK(emb.offset == 0);
    CHECK(emb.data.data() == f.bytes().data() + f.data_offset());
    const auto& norm = f.tensor("output_norm.weight");
    CHECK(norm.type == dtype::f32);
    CHECK(norm.n_dims == 1);
    CHECK(norm.ne[0] == 8);
    CHECK(norm.data.size() == 32);
    CHECK(f.find_tensor("blk.0.ffn_down.weight")->ne[0] == 32);
    CHECK(f.find_tensor("nope") == nullptr);
    gguf_test::require_throws([&] { (void)f.tensor("blk.7.attn_q.weight"); }, errc::not_found,
                              {"blk.7.attn_q.weight", "llama-2-tiny-random.gguf"});
    gguf_test::require_throws([&] { (void)f.get<int>("llama.nope"); }, errc::not_found, {"llama.nope"});
    // Every tensor lies inside the file, at an aligned offset.
    for (const auto& t : f.tensors()) {
        CHECK(t.offset % f.alignment() == 0);
        CHECK(t.data.data() >= f.bytes().data());
        CHECK(t.data.data() + t.data.size() <= f.bytes().data() + f.bytes().size());
    }
}

TEST_CASE("every shared tokenizer vocabulary parses", "[gguf][real]") {
    struct expect { const char* file; const char* arch; std::size_t vocab; const char* model; };
    const expect cases[] = {
        {"ggml-vocab-deepseek-llm.gguf", "llama", 102400, "gpt2"},
        {"ggml-vocab-falcon.gguf", "falcon", 65024, "gpt2"},
        {"ggml-vocab-gpt-2.gguf", "gpt2", 50257, "gpt2"},
        {"ggml-vocab-llama-spm.gguf", "llama", 32000, "llama"},
        {"ggml-vocab-phi-3.gguf", "phi3", 32064, "llama"},
        {"ggml-vocab-starcoder.gguf", "starcoder2", 49152, "gpt2"},
    };
    std::size_t seen = 0;
    for (const auto& c : cases) {
        SECTION(c.file) {
            const auto f = file::open(hearth_test::shared_dir() / "tokenizer" / c.file);
            const auto arch = f.get<std::string>("general.architecture");
            CHECK(arch == c.arch);
            CHECK(f.get<std::uint32_t>(arch + ".context_length") > 0);
            CHECK(f.get<std::string_view>("tokenizer.ggml.model") == c.model);
            const auto tokens = f.get_array<std::string_view>("tokenizer.ggml.tokens");
            CHECK(tokens.size() == c.vocab);
            CHECK(f.get_array<std::int32_t>("tokenizer.ggml.token_type").size() == c.vocab);
            if (f.contains("tokenizer.ggml.merges")) CHECK(f.get_array<std::string>("tokenizer.ggml.merges").size() > 40000);
            CHECK(f.tensors().empty());
        }
        ++seen;
    }
    CHECK(seen == 6);
}

TEST_CASE("SmolLM2-135M Q4_1 (PyPI) parses", "[gguf][real]") {
    const auto path = hearth_test::cached_model("SmolLM2-135M-Instruct.Q4_1.gguf");
    if (path.empty()) {
        WARN("SmolLM2-135M-Instruct.Q4_1.gguf not fetched (run scripts/fetch-models build/models): skipped");
        return;
    }
    const auto f = file::open(path);
    CHECK(f.get<std::string_view>("general.architecture") == "llama");
    CHECK(f.get<std::uint32_t>("llama.context_length") == 8192);
    CHECK(f.get<std::uint32_t>("llama.vocab_size") == 49152);
    CHECK(f.get<std::uint32_t>("llama.block_count") == 30);
    CHECK(f.get<std::uint32_t>("general.file_type") == 3);  // MOSTLY_Q4_1
    CHECK(f.get_array<std::string_view>("tokenizer.ggml.tokens").size() == 49152);
    CHECK(f.get_array<std::string_view>("tokenizer.ggml.merges").size() == 48900);
    CHECK(f.tensors().size() == 272);
    const auto& q = f.tensor("blk.0.attn_q.weight");
    CHECK(q.type == dtype::q4_1);
    CHECK(q.ne == std::array<std::uint64_t, 4>{576, 576, 1, 1});
    CHECK(q.data.size() == 576 / 32 * 20 * 576);
    const auto& k = f.tensor("blk.0.attn_k.weight");
    CHECK(k.ne[1] == 192);
    const auto& emb = f.tensor("token_embd.weight");
    CHECK(emb.type == dtype::q8_0);
    CHECK(emb.ne[0] == 576);
    CHECK(emb.ne[1] == 49152);
    CHECK(f.find_tensor("blk.29.ffn_down.weight") != nullptr);
}

TEST_CASE("Gemma 3 270M Q4_K_M (PyPI) parses", "[gguf][real]") {
    const auto path = hearth_test::cached_model("gemma-3-270m-q4_k_m.gguf");
    if (path.empty()) {
        WARN("gemma-3-270m-q4_k_m.gguf not fetched (run scripts/fetch-models build/models): skipped");
        return;
    }
    const auto f = file::open(path);
    CHECK(f.get<std::string_view>("general.architecture") == "gemma3");
    CHECK(f.get<std::uint32_t>("gemma3.context_length") == 32768);
    CHECK(f.get<std::uint32_t>("gemma3.embedding_length") == 640);
    CHECK(f.get<std::uint32_t>("gemma3.block_count") == 18);
    CHECK(f.get<std::uint32_t>("gemma3.attention.key_length") == 256);
    CHECK(f.get<std::uint32_t>("general.file_type") == 15);  // MOSTLY_Q4_K_M
    CHECK(f.get<float>("gemma3.rope.freq_base") == 1e6f);
    const auto* tokens = f.find("tokenizer.ggml.tokens");
    REQUIRE(tokens);
    CHECK(tokens->size() == 262144);
    CHECK(tokens->element(0).as<std::string_view>() == "<pad>");
    CHECK(f.get_array<float>("tokenizer.ggml.scores").size() == 262144);
    CHECK(f.tensors().size() == 236);
    const auto& emb = f.tensor("token_embd.weight");
    CHECK(emb.type == dtype::q8_0);
    CHECK(emb.ne == std::array<std::uint64_t, 4>{640, 262144, 1, 1});
    CHECK(emb.data.size() == 178257920);
    CHECK(f.tensor("blk.0.attn_output.weight").type == dtype::q4_k);
    CHECK(f.tensor("blk.0.ffn_down.weight").type == dtype::q6_k);
    CHECK(f.tensor("blk.0.attn_q.weight").type == dtype::q5_0);
    CHECK(f.tensor("blk.0.attn_k_norm.weight").ne[0] == 256);
}
