// hearth's perplexity equals llama.cpp's (within 0.5%) on the same model, text, context and K/V
// cache types. The text is the Book of Ruth and Genesis 1-4 of the King James Version (public
// domain), printed by Debian's bible-kjv package (scripts/perplexity-text); references made with
// scripts/ref/perplexity_reference.py from llama.cpp itself.
#include <catch2/catch.hpp>
#include <hearth/cpu.hpp>
#include <hearth/perplexity.hpp>
#include <nlohmann/json.hpp>
#include <test_paths.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace fs = std::filesystem;
using backend_t = hearth::cpu::backend<>;

namespace {
fs::path find_model(const std::string& name) {
    for (const auto& dir : {hearth_test::shared_dir() / "models", hearth_test::model_cache()})
        if (fs::exists(dir / name)) return dir / name;
    return {};
}
std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}
// Whether `item` is in the comma-separated list of environment variable `var` ("all", or the
// variable unset or empty with `fallback` "all", takes everything).
bool listed(const char* var, const std::string& fallback, const std::string& item) {
    const char* env = std::getenv(var);
    const std::string list = env && *env ? env : fallback;
    return list == "all" || ("," + list + ",").find("," + item + ",") != std::string::npos;
}
// The K/V pairs to check: HEARTH_PERPLEXITY_CACHES (comma-separated, or "all"); by default f16/f16
// and the default q4_0/q8_0 cache, which bounds CI's time (each pair is a full pass over the text).
bool wanted(const std::string& cache) { return listed("HEARTH_PERPLEXITY_CACHES", "f16-f16,q4_0-q8_0", cache); }
// The models to check: HEARTH_PERPLEXITY_MODELS (comma-separated GGUF file names), by default every
// reference in tests/data/perplexity. The sanitizer stage of scripts/test names the tiny Llama only:
// under ASan+UBSan one pass of SmolLM2 over the text takes ~18 minutes on CI's two cores, while the
// tiny model goes through the same path (tokenizer, windows, graph, cache, the same bound) in seconds.
bool model_wanted(const std::string& file) { return listed("HEARTH_PERPLEXITY_MODELS", "all", file); }

// Whether this build's kernels round every op of `model` exactly as llama.cpp's CPU build did when
// it made the references (x86 with AVX2). Gemma 3 270M does not: its q4_K and q6_K matmuls give the
// same integer sums as llama.cpp's but add their float parts in another order (llama.cpp runs q4_K
// through repacked kernels, and prompts of 8+ tokens of q6_K through its "tiled" matmul): one
// last-bit difference in most outputs of the first layer, where everything before them, rotations
// and attention included, is bit-identical. Other instruction sets sum in their own order everywhere.
bool rounds_like_llama_cpp(const std::string& model) {
    return std::is_same_v<hearth::cpu::native_arch, hearth::cpu::avx2> && model != "gemma-3-270m-q4_k_m.gguf";
}

// The CPU backend with the embedding rows multiplied by (1 + nudge * 2^-22): a change the size of
// a rounding, which samples the noise of a quantized-key perplexity (see the test). nudge 0 is the
// backend itself, bit for bit.
struct nudged_backend : backend_t {
    using backend_t::backend_t;
    int nudge = 0;
    void get_rows(const weight& table, std::span<const std::int32_t> ids, tensor& out) {
        backend_t::get_rows(table, ids, out);
        if (nudge != 0) scale(out, 1.0f + static_cast<float>(nudge) * 0x1p-22f);
    }
};
}  // namespace

TEST_CASE("perplexity matches llama.cpp within 0.5% for every cache pair", "[perplexity]") {
    const char* text_path = std::getenv("HEARTH_PERPLEXITY_TEXT");
    REQUIRE(text_path);
    const std::string text = read_all(text_path);
    REQUIRE(text.size() > 10000);
    int models = 0;
    for (const auto& entry : fs::directory_iterator(hearth_test::test_data() / "perplexity")) {
        if (entry.path().extension() != ".json") continue;
        const auto ref = nlohmann::json::parse(std::ifstream(entry.path()));
        if (!model_wanted(ref["model"].get<std::string>())) {
            std::printf("perplexity %s: not in HEARTH_PERPLEXITY_MODELS, not run\n", ref["model"].get<std::string>().c_str());
            continue;
        }
        const fs::path path = find_model(ref["model"].get<std::string>());
        if (path.empty()) {
            WARN("SKIPPED " << ref["model"].get<std::string>() << ": not fetched (scripts/fetch-models)");
            continue;
        }
        ++models;
        nudged_backend b(hearth::cpu::options{0});
        auto m = hearth::model<nudged_backend>::open(b, path);
        const auto& tok = m->vocab();
        const auto tokens = tok.encode(text, true, false);
        const auto n_ctx = ref["n_ctx"].get<std::uint32_t>();
        for (const auto& [cache, r] : ref["runs"].items()) {
            if (!wanted(cache)) continue;
            INFO(path.filename().string() << " cache " << cache);
            REQUIRE(tokens.size() == r["tokens"].get<std::size_t>());  // same text, same tokenizer
            const auto dash = cache.find('-');
            hearth::cache_types ct{*hearth::parse_dtype(cache.substr(0, dash)), *hearth::parse_dtype(cache.substr(dash + 1))};
            hearth::session<nudged_backend> s(m, {n_ctx, ct});
            // With 4-bit keys the perplexity of a few thousand tokens is a chaotic function of the
            // float roundings upstream of the keys: a last-bit difference in a key flips some of
            // its 4-bit roundings and the model amplifies them (changing only the q8 activation
            // rounding convention once moved SmolLM2 by 1.6%). Where hearth rounds exactly as
            // llama.cpp does (the AVX2 arch on SmolLM2: every logit of every batch size is
            // bit-identical), the four batch sizes give one value and the bound is 0.5% flat.
            // Where it does not (rounds_like_llama_cpp), one run is one draw of that noise: Gemma 3
            // 270M with q4_0 keys measured 8.84 .. 9.06 over eight runs with the embedding scale
            // multiplied by 1 + {0, +-1, +-2, 3, +-5} * 1e-7 (llama.cpp: 8.92; with the rotation off,
            // hearth 9.34 and llama.cpp 9.42, the gap reversed). There the four runs also nudge the
            // embeddings by 0, +1, -1, +2 units of 2^-22 (nudged_backend), hearth is their mean, and
            // the 0.5% bound is widened by twice their sample standard deviation, printed below.
            // Float and 8-bit keys get one run and 0.5% flat.
            const bool noisy_keys = r.contains("ppl_by_batch") && ct.k == hearth::dtype::q4_0;
            const bool sample_noise = noisy_keys && !rounds_like_llama_cpp(ref["model"].get<std::string>());
            const std::vector<std::size_t> batches = noisy_keys ? std::vector<std::size_t>{64, 128, 256, 512}
                                                                : std::vector<std::size_t>{128};
            constexpr int nudges[] = {0, 1, -1, 2};
            std::vector<double> runs;
            std::size_t scored = 0;
            for (std::size_t i = 0; i < batches.size(); ++i) {
                b.nudge = sample_noise ? nudges[i] : 0;
                const auto run = hearth::perplexity(s, tokens, n_ctx, batches[i], tok.add_bos(), tok.bos());
                runs.push_back(run.ppl);
                scored = run.scored;
            }
            b.nudge = 0;
            double ours = 0, spread = 0;
            for (double p : runs) ours += p / static_cast<double>(runs.size());
            for (double p : runs) spread += (p - ours) * (p - ours);
            spread = runs.size() > 1 ? std::sqrt(spread / static_cast<double>(runs.size() - 1)) / ours : 0.0;
            const double bound = 0.005 + 2.0 * spread;
            const double ours_lo = *std::min_element(runs.begin(), runs.end());
            const double ours_hi = *std::max_element(runs.begin(), runs.end());
            const double want = r["ppl"].get<double>();  // llama.cpp: mean over its batch sizes
            double lo = want, hi = want;
            if (r.contains("ppl_by_batch"))
                for (const auto& [batch, p] : r["ppl_by_batch"].items())
                    lo = std::min(lo, p.get<double>()), hi = std::max(hi, p.get<double>());
            std::printf("perplexity %s %s: hearth %.4f (%.4f .. %.4f over %zu runs) llama.cpp %.4f (%.4f .. %.4f): "
                        "%+.3f%%, bound %.3f%%\n",
                        path.filename().c_str(), cache.c_str(), ours, ours_lo, ours_hi, batches.size(), want, lo, hi,
                        100.0 * (ours / want - 1.0), 100.0 * bound);
            CHECK(scored == r["scored"].get<std::size_t>());
            CHECK(std::abs(ours / want - 1.0) <= bound);
        }
    }
    CHECK(models > 0);
}
