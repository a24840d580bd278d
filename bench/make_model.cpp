// Writes a GGUF model with the shapes of a real one (TinyLlama 1.1B, Llama 3.2 3B, Qwen3 1.7B ...)
// and random weights, quantized the way llama.cpp's llama-quantize would quantize the real file,
// so that hearth and llama.cpp can be timed on the same bytes without downloading a model.
// Speed does not depend on what the weights mean, only on their shapes and types; the values are
// N(0, 0.02) like an initialised transformer, the norms are 1, so activations stay finite and the
// kernels run on realistic (not degenerate) blocks.
//
//   bench_make_model --list
//   bench_make_model --shape tinyllama-1.1b --type q4_k_m --vocab ggml-vocab-llama-spm.gguf --out F.gguf
//                    [--threads N] [--seed S] [--layers N]
// (--layers keeps the shape but stops after N blocks: a small file to check that both engines
// load a shape's vocabulary, embeddings and layer layout, without generating all of it.)
//
// The vocabulary (every tokenizer.* key) is copied from a vocab-only GGUF; when the shape has more
// tokens than that vocabulary, the rest are padding tokens of type "unused" (real Qwen and Llama 3
// vocabularies pad their embedding tables the same way), so both engines load the file and
// tokenize text with it. The file is written under a temporary name and renamed when complete:
// an interrupted run never leaves a truncated model in the cache.
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/gguf/writer.hpp>
#include <hearth/quant/row.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using hearth::dtype;

namespace {

// Hyperparameters of the published models (their config.json), as the GGUF keys spell them.
struct shape {
    const char* name;
    const char* arch;          // general.architecture
    const char* vocab;         // the stand-in vocabulary file, ggml-vocab-<vocab>.gguf
    std::uint32_t n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx_train;
    float rope_base, norm_eps;
    bool tied_embeddings;      // no output.weight: the output projection reuses token_embd
};

constexpr shape shapes[] = {
    // name             arch     vocab        embd  layer head kv  hdim  n_ff  vocab   ctx     rope      eps    tied
    {"tinyllama-1.1b", "llama", "llama-spm", 2048, 22, 32, 4, 64, 5632, 32000, 2048, 10000.0f, 1e-5f, false},
    {"llama3.2-3b",    "llama", "llama-spm", 3072, 28, 24, 8, 128, 8192, 128256, 131072, 500000.0f, 1e-5f, true},
    {"qwen3-1.7b",     "qwen3", "gpt-2",     2048, 28, 16, 8, 128, 6144, 151936, 40960, 1000000.0f, 1e-6f, true},
    // The 7-8B class, for GPU benchmarks (Llama 3.1 8B's shape; its vocabulary is padded).
    {"llama3.1-8b",    "llama", "llama-spm", 4096, 32, 32, 8, 128, 14336, 128256, 131072, 500000.0f, 1e-5f, false},
    // A few MB: for smoke runs of the harness (bench/compare --quick), not for numbers.
    {"llama-quick",    "llama", "llama-spm", 512, 4, 8, 4, 64, 1536, 32000, 2048, 10000.0f, 1e-5f, false},
};

const shape* find_shape(const std::string& n) {
    for (const auto& s : shapes)
        if (n == s.name) return &s;
    return nullptr;
}

// The tensor types of a llama-quantize file type (llama.cpp's llama_tensor_get_type without an
// importance matrix, for dense models): the output projection (or the tied embedding table) goes
// to Q6_K unless the whole file is Q8_0; Q4_K_M also gives Q6_K to attn_v and ffn_down in the
// first and last eighth of the layers and every third layer between.
enum class file_type { q4_0, q4_k_m, q8_0 };
struct file_type_info {
    const char* name;
    file_type type;
    std::uint32_t llama_ftype;  // general.file_type (LLAMA_FTYPE_MOSTLY_*)
    dtype base;
};
constexpr file_type_info file_types[] = {
    {"q4_0", file_type::q4_0, 2, dtype::q4_0},
    {"q4_k_m", file_type::q4_k_m, 15, dtype::q4_k},
    {"q8_0", file_type::q8_0, 7, dtype::q8_0},
};

bool use_more_bits(std::uint32_t i, std::uint32_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

enum class role { token_embd, output, attn_v, ffn_down, other };

dtype tensor_type(const file_type_info& ft, role r, std::uint32_t layer, std::uint32_t n_layer, bool tied) {
    if (r == role::output || (r == role::token_embd && tied)) return ft.type == file_type::q8_0 ? dtype::q8_0 : dtype::q6_k;
    if (ft.type == file_type::q4_k_m && (r == role::attn_v || r == role::ffn_down) && use_more_bits(layer, n_layer))
        return dtype::q6_k;
    return ft.base;
}

// splitmix64: a seed per (tensor, row) makes the file the same whatever the thread count.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
std::uint64_t hash_name(const std::string& s) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

// Box-Muller over a xorshift stream: fast enough for billions of weights, and normal.
void fill_normal(float* out, std::size_t n, std::uint64_t seed, float sigma) {
    std::uint64_t s = mix(seed) | 1;
    auto uniform = [&] {  // (0, 1]
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return (static_cast<double>(s >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    };
    for (std::size_t i = 0; i < n; i += 2) {
        const double r = std::sqrt(-2.0 * std::log(uniform())), a = 6.283185307179586 * uniform();
        out[i] = static_cast<float>(sigma * r * std::cos(a));
        if (i + 1 < n) out[i + 1] = static_cast<float>(sigma * r * std::sin(a));
    }
}

struct tensor_plan {
    std::string name;
    dtype type;
    std::uint64_t cols, rows;  // ggml order: ne[0] = cols (row length), ne[1] = rows; rows = 1 for vectors
    bool is_norm;
    std::vector<std::byte> bytes;
};

void generate(tensor_plan& t, std::uint64_t seed, unsigned threads) {
    const std::size_t rb = hearth::row_bytes(t.type, t.cols);
    t.bytes.resize(rb * t.rows);
    if (t.is_norm) {
        const std::vector<float> ones(t.cols, 1.0f);
        hearth::quant::quantize_row(t.type, ones.data(), t.bytes.data(), t.cols);
        return;
    }
    const std::uint64_t tseed = seed ^ hash_name(t.name);
    std::atomic<std::uint64_t> next{0};
    constexpr std::uint64_t chunk = 64;
    auto work = [&] {
        std::vector<float> row(t.cols);
        for (;;) {
            const std::uint64_t r0 = next.fetch_add(chunk);
            if (r0 >= t.rows) return;
            for (std::uint64_t r = r0; r < std::min(t.rows, r0 + chunk); ++r) {
                fill_normal(row.data(), t.cols, tseed ^ mix(r), 0.02f);
                hearth::quant::quantize_row(t.type, row.data(), t.bytes.data() + r * rb, t.cols);
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
}

std::vector<tensor_plan> plan_tensors(const shape& s, const file_type_info& ft) {
    std::vector<tensor_plan> v;
    auto add = [&](std::string name, dtype t, std::uint64_t cols, std::uint64_t rows, bool norm = false) {
        v.push_back({std::move(name), t, cols, rows, norm, {}});
    };
    const std::uint64_t e = s.n_embd, q = std::uint64_t{s.n_head} * s.head_dim, kv = std::uint64_t{s.n_head_kv} * s.head_dim;
    const bool qk_norm = std::string(s.arch) == "qwen3";
    add("token_embd.weight", tensor_type(ft, role::token_embd, 0, s.n_layer, s.tied_embeddings), e, s.n_vocab);
    add("output_norm.weight", dtype::f32, e, 1, true);
    if (!s.tied_embeddings) add("output.weight", tensor_type(ft, role::output, 0, s.n_layer, false), e, s.n_vocab);
    for (std::uint32_t il = 0; il < s.n_layer; ++il) {
        const std::string b = "blk." + std::to_string(il) + ".";
        auto type = [&](role r) { return tensor_type(ft, r, il, s.n_layer, s.tied_embeddings); };
        add(b + "attn_norm.weight", dtype::f32, e, 1, true);
        add(b + "attn_q.weight", type(role::other), e, q);
        add(b + "attn_k.weight", type(role::other), e, kv);
        add(b + "attn_v.weight", type(role::attn_v), e, kv);
        if (qk_norm) {
            add(b + "attn_q_norm.weight", dtype::f32, s.head_dim, 1, true);
            add(b + "attn_k_norm.weight", dtype::f32, s.head_dim, 1, true);
        }
        add(b + "attn_output.weight", type(role::other), q, e);
        add(b + "ffn_norm.weight", dtype::f32, e, 1, true);
        add(b + "ffn_gate.weight", type(role::other), e, s.n_ff);
        add(b + "ffn_up.weight", type(role::other), e, s.n_ff);
        add(b + "ffn_down.weight", type(role::ffn_down), s.n_ff, e);
    }
    return v;
}

// Every tokenizer.* key of the vocab file; the token arrays padded up to n_vocab.
void copy_vocabulary(hearth::gguf::writer& w, const hearth::gguf::file& vf, std::uint32_t n_vocab) {
    const auto tokens = vf.get_array<std::string>("tokenizer.ggml.tokens");
    if (tokens.size() > n_vocab)
        throw hearth::error(hearth::errc::invalid_argument,
                            vf.source() + " holds " + std::to_string(tokens.size()) +
                                " tokens, more than the shape's vocabulary of " + std::to_string(n_vocab));
    for (const auto& e : vf.metadata()) {
        if (e.key.rfind("tokenizer.", 0) == 0) w.set(e.key, e.val);
    }
    if (tokens.size() == n_vocab) return;
    constexpr std::int32_t unused = 5;  // llama_token_type LLAMA_TOKEN_TYPE_UNUSED
    auto padded = tokens;
    for (std::size_t i = tokens.size(); i < n_vocab; ++i) padded.push_back("<|bench_pad_" + std::to_string(i) + "|>");
    w.set("tokenizer.ggml.tokens", padded);
    if (vf.contains("tokenizer.ggml.token_type")) {
        auto types = vf.get_array<std::int32_t>("tokenizer.ggml.token_type");
        types.resize(n_vocab, unused);
        w.set("tokenizer.ggml.token_type", types);
    }
    if (vf.contains("tokenizer.ggml.scores")) {
        auto scores = vf.get_array<float>("tokenizer.ggml.scores");
        scores.resize(n_vocab, 0.0f);
        w.set("tokenizer.ggml.scores", scores);
    }
}

void set_hyperparameters(hearth::gguf::writer& w, const shape& s, const file_type_info& ft) {
    const std::string a = s.arch;
    w.set("general.architecture", a);
    w.set("general.name", std::string("bench ") + s.name + " random " + ft.name);
    w.set("general.file_type", ft.llama_ftype);
    w.set("general.quantization_version", std::uint32_t{2});
    w.set(a + ".context_length", s.n_ctx_train);
    w.set(a + ".embedding_length", s.n_embd);
    w.set(a + ".block_count", s.n_layer);
    w.set(a + ".feed_forward_length", s.n_ff);
    w.set(a + ".attention.head_count", s.n_head);
    w.set(a + ".attention.head_count_kv", s.n_head_kv);
    w.set(a + ".attention.key_length", s.head_dim);
    w.set(a + ".attention.value_length", s.head_dim);
    w.set(a + ".attention.layer_norm_rms_epsilon", s.norm_eps);
    w.set(a + ".rope.freq_base", s.rope_base);
    w.set(a + ".rope.dimension_count", s.head_dim);
    w.set(a + ".vocab_size", s.n_vocab);
}

int usage(const char* argv0) {
    std::fprintf(stderr,
                 "usage: %s --list\n"
                 "       %s --shape NAME --type q4_0|q4_k_m|q8_0 --vocab VOCAB.gguf --out MODEL.gguf [--threads N] [--seed S]\n"
                 "          [--layers N]\n",
                 argv0, argv0);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string shape_name, type_name, vocab, out;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::uint64_t seed = 42;
    std::uint32_t layers = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--list") {
            // One line per shape: name, architecture, vocabulary, parameters (for bench/compare).
            for (const auto& s : shapes) {
                std::uint64_t params = 0;
                for (const auto& t : plan_tensors(s, file_types[0])) params += t.cols * t.rows;
                std::printf("%s %s %s %llu\n", s.name, s.arch, s.vocab, static_cast<unsigned long long>(params));
            }
            return 0;
        }
        if (i + 1 >= argc) return usage(argv[0]);
        const std::string v = argv[++i];
        if (a == "--shape") shape_name = v;
        else if (a == "--type") type_name = v;
        else if (a == "--vocab") vocab = v;
        else if (a == "--out") out = v;
        else if (a == "--threads") threads = static_cast<unsigned>(std::max(1, std::atoi(v.c_str())));
        else if (a == "--seed") seed = std::strtoull(v.c_str(), nullptr, 10);
        else if (a == "--layers") layers = static_cast<std::uint32_t>(std::max(1, std::atoi(v.c_str())));
        else return usage(argv[0]);
    }
    if (shape_name.empty() || type_name.empty() || vocab.empty() || out.empty()) return usage(argv[0]);
    const shape* found = find_shape(shape_name);
    if (!found) {
        std::fprintf(stderr, "unknown shape '%s' (--list shows them)\n", shape_name.c_str());
        return 2;
    }
    shape trimmed = *found;
    if (layers) trimmed.n_layer = std::min(layers, trimmed.n_layer);
    const shape* s = &trimmed;
    const file_type_info* ft = nullptr;
    for (const auto& f : file_types)
        if (type_name == f.name) ft = &f;
    if (!ft) {
        std::fprintf(stderr, "unknown type '%s' (q4_0, q4_k_m, q8_0)\n", type_name.c_str());
        return 2;
    }
    try {
        const auto t0 = std::chrono::steady_clock::now();
        const auto vf = hearth::gguf::file::open(vocab);
        hearth::gguf::writer w;
        set_hyperparameters(w, *s, *ft);
        copy_vocabulary(w, vf, s->n_vocab);
        auto tensors = plan_tensors(*s, *ft);
        std::uint64_t bytes = 0, params = 0;
        for (auto& t : tensors) {
            generate(t, seed, threads);
            const std::uint64_t shape2[] = {t.cols, t.rows};
            w.add_tensor(t.name, t.type, std::span<const std::uint64_t>(shape2, t.is_norm ? 1 : 2), t.bytes);
            bytes += t.bytes.size();
            params += t.cols * t.rows;
        }
        const std::filesystem::path final_path(out), tmp = final_path.string() + ".partial";
        if (final_path.has_parent_path()) std::filesystem::create_directories(final_path.parent_path());
        w.write(tmp);
        std::filesystem::rename(tmp, final_path);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "%s: %s %s, %.3f B params, %.1f MiB of weights, %zu tensors, %.1f s\n", out.c_str(),
                     s->name, ft->name, params / 1e9, bytes / 1048576.0, tensors.size(), secs);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_make_model: %s\n", e.what());
        return 1;
    }
    return 0;
}
