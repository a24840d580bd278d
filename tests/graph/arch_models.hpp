#pragma once
// Small models of the architectures no test file exists for (qwen2, qwen3, phi3, and llama with
// llama3 rope frequency factors or YaRN scaling), built from deterministic pseudo-random f32
// weights with hearth's GGUF writer. The same bytes are written to disk by the test's hidden
// "[.write-arch-models]" case for scripts/ref/arch_reference.py, which records llama.cpp's
// outputs on them; the reference stores the file's SHA-256, so a changed generator is caught.
//
// Shapes: 2 layers, n_embd 256, 4 query heads of 64 (so quantized caches and their Hadamard
// rotation apply), 2 KV heads (GQA), FFN 512, a 259-token vocabulary (<unk>, <s>, </s> and the
// 256 byte tokens: llama.cpp's SentencePiece loader accepts it; tests feed ids directly).
#include <hearth/dtype.hpp>
#include <hearth/fp16.hpp>
#include <hearth/gguf/writer.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace arch_models {

struct spec {
    const char* name;  // file stem and reference name
    const char* arch;  // general.architecture
    bool rope_freqs = false;
    bool yarn = false;
};

inline constexpr spec specs[] = {
    {"arch-qwen2", "qwen2"},
    {"arch-qwen3", "qwen3"},
    {"arch-phi3", "phi3"},
    {"arch-llama3-rope-freqs", "llama", true, false},
    {"arch-llama-yarn", "llama", false, true},
};

inline constexpr std::uint32_t n_embd = 256, n_head = 4, n_head_kv = 2, head_dim = 64, n_ff = 512, n_layer = 2,
                               n_vocab = 259, n_ctx_train = 4096;

// splitmix64: the same stream on every platform (integer arithmetic only).
class random_stream {
public:
    explicit random_stream(std::uint64_t seed) : s_(seed) {}
    // Uniform in [-a, a), from the top 24 bits: exact in float on every platform.
    float uniform(float a) {
        s_ += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = s_;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        const float u = static_cast<float>(z >> 40) / 16777216.0f;  // [0, 1)
        return (2.0f * u - 1.0f) * a;
    }

private:
    std::uint64_t s_;
};

// Owns the tensor bytes until the writer has written them.
class builder {
public:
    explicit builder(std::uint64_t seed) : rng_(seed) {}
    hearth::gguf::writer w;

    // Weights of a layer with `fan_in` inputs: uniform with variance 1/fan_in, so activations
    // stay near unit scale through the layers and the logits spread over several units.
    void weight(const std::string& name, std::uint64_t cols, std::uint64_t rows, float gain = 1.0f) {
        const float a = gain * std::sqrt(3.0f / static_cast<float>(cols));
        add(name, {cols, rows}, [&] { return rng_.uniform(a); });
    }
    void vector(const std::string& name, std::uint64_t n, float center, float spread) {
        add(name, {n}, [&] { return center + rng_.uniform(spread); });
    }
    // f16 tensor (token embeddings and output, as real files keep them).
    void weight_f16(const std::string& name, std::uint64_t cols, std::uint64_t rows, float a) {
        auto& buf = data_.emplace_back(cols * rows * 2);
        auto* p = reinterpret_cast<std::uint16_t*>(buf.data());
        for (std::uint64_t i = 0; i < cols * rows; ++i) p[i] = hearth::fp32_to_fp16(rng_.uniform(a));
        w.add_tensor(name, hearth::dtype::f16, {cols, rows}, buf);
    }

private:
    template <class F>
    void add(const std::string& name, std::initializer_list<std::uint64_t> shape, F next) {
        std::uint64_t n = 1;
        for (auto d : shape) n *= d;
        auto& buf = data_.emplace_back(n * 4);
        for (std::uint64_t i = 0; i < n; ++i) {
            const float v = next();
            std::memcpy(buf.data() + i * 4, &v, 4);
        }
        w.add_tensor(name, hearth::dtype::f32, std::span<const std::uint64_t>(shape.begin(), shape.size()), buf);
    }

    random_stream rng_;
    std::deque<std::vector<std::byte>> data_;  // stable addresses
};

inline void add_vocabulary(hearth::gguf::writer& w) {
    std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
    std::vector<float> scores{0.0f, 0.0f, 0.0f};
    std::vector<std::int32_t> types{2, 3, 3};  // unknown, control, control
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        tokens.emplace_back(name);
        scores.push_back(0.0f);
        types.push_back(6);  // byte
    }
    w.set("tokenizer.ggml.model", "llama");
    w.set("tokenizer.ggml.tokens", tokens);
    w.set("tokenizer.ggml.scores", scores);
    w.set("tokenizer.ggml.token_type", types);
    w.set("tokenizer.ggml.unknown_token_id", std::uint32_t{0});
    w.set("tokenizer.ggml.bos_token_id", std::uint32_t{1});
    w.set("tokenizer.ggml.eos_token_id", std::uint32_t{2});
    w.set("tokenizer.ggml.add_bos_token", true);
}

// The whole GGUF file of one spec, in memory.
inline std::vector<std::byte> make(const spec& s) {
    std::uint64_t seed = 0;
    for (const char* c = s.name; *c; ++c) seed = seed * 131 + static_cast<unsigned char>(*c);
    builder b(seed);
    auto& w = b.w;
    const std::string a = s.arch;
    w.set("general.architecture", s.arch);
    // Not the file stem: llama.cpp changes token attributes of models whose name says "phi3".
    w.set("general.name", "hearth generated test model");
    w.set(a + ".context_length", n_ctx_train);
    w.set(a + ".embedding_length", n_embd);
    w.set(a + ".block_count", n_layer);
    w.set(a + ".feed_forward_length", n_ff);
    w.set(a + ".attention.head_count", n_head);
    w.set(a + ".attention.head_count_kv", n_head_kv);
    w.set(a + ".attention.key_length", head_dim);
    w.set(a + ".attention.value_length", head_dim);
    w.set(a + ".attention.layer_norm_rms_epsilon", 1e-6f);
    w.set(a + ".rope.freq_base", 10000.0f);
    w.set(a + ".rope.dimension_count", head_dim);
    if (s.yarn) {
        w.set(a + ".rope.scaling.type", "yarn");
        w.set(a + ".rope.scaling.factor", 4.0f);
        w.set(a + ".rope.scaling.original_context_length", std::uint32_t{1024});
    }
    if (a == "phi3") w.set(a + ".rope.scaling.original_context_length", n_ctx_train);
    add_vocabulary(w);

    const std::uint64_t q = n_head * head_dim, kv = n_head_kv * head_dim;
    b.weight_f16("token_embd.weight", n_embd, n_vocab, 1.0f);
    b.vector("output_norm.weight", n_embd, 1.0f, 0.2f);
    b.weight_f16("output.weight", n_embd, n_vocab, 4.0f * std::sqrt(3.0f / n_embd));
    if (s.rope_freqs) b.vector("rope_freqs.weight", head_dim / 2, 2.5f, 1.5f);  // factors in [1, 4)
    for (std::uint32_t il = 0; il < n_layer; ++il) {
        const std::string p = "blk." + std::to_string(il) + ".";
        b.vector(p + "attn_norm.weight", n_embd, 1.0f, 0.2f);
        if (a == "phi3") {
            b.weight(p + "attn_qkv.weight", n_embd, q + 2 * kv, 2.0f);
        } else {
            b.weight(p + "attn_q.weight", n_embd, q, 2.0f);
            b.weight(p + "attn_k.weight", n_embd, kv, 2.0f);
            b.weight(p + "attn_v.weight", n_embd, kv);
        }
        if (a == "qwen2") {
            b.vector(p + "attn_q.bias", q, 0.0f, 0.5f);
            b.vector(p + "attn_k.bias", kv, 0.0f, 0.5f);
            b.vector(p + "attn_v.bias", kv, 0.0f, 0.5f);
        }
        if (a == "qwen3") {
            b.vector(p + "attn_q_norm.weight", head_dim, 1.0f, 0.3f);
            b.vector(p + "attn_k_norm.weight", head_dim, 1.0f, 0.3f);
        }
        b.weight(p + "attn_output.weight", q, n_embd);
        b.vector(p + "ffn_norm.weight", n_embd, 1.0f, 0.2f);
        if (a == "phi3") {
            b.weight(p + "ffn_up.weight", n_embd, 2 * n_ff);
        } else {
            b.weight(p + "ffn_gate.weight", n_embd, n_ff);
            b.weight(p + "ffn_up.weight", n_embd, n_ff);
        }
        b.weight(p + "ffn_down.weight", n_ff, n_embd);
    }
    std::vector<std::byte> out;
    w.write_to(out);
    return out;
}

}  // namespace arch_models
