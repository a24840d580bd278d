// Parity with llama.cpp on real GGUF files: for every reference in tests/data/parity/ (made by
// scripts/ref/parity_reference.py from llama.cpp itself), the same prompt ids through hearth's
// graph must give the same greedy tokens and close last-position logits, for each K/V cache pair.
#include <catch2/catch.hpp>
#include <hearth/cpu.hpp>
#include <hearth/session.hpp>
#include <nlohmann/json.hpp>
#include <test_paths.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

namespace {

using backend_t = hearth::cpu::backend<>;
namespace fs = std::filesystem;

fs::path find_model(const std::string& name) {
    for (const auto& dir : {hearth_test::shared_dir() / "models", hearth_test::model_cache()})
        if (fs::exists(dir / name)) return dir / name;
    return {};
}

hearth::cache_types parse_cache_pair(const std::string& s) {  // "q4_0-q8_0"
    const auto dash = s.find('-');
    return {*hearth::parse_dtype(s.substr(0, dash)), *hearth::parse_dtype(s.substr(dash + 1))};
}

// Tolerances, and why (all measured on the reference data in tests/data/parity):
// - Both engines quantize activations to 8 bits before every quantized matmul, and sum in different
//   orders (SIMD widths, block order, threads). A tiny float difference flips an int8 rounding in the
//   next layer, and 30 layers amplify it: llama.cpp itself sits 0.74 logits (8% of the top-256 range)
//   from an exact float64 forward pass of SmolLM2 (numpy over gguf-py's dequantized weights). Two
//   engines each carrying that noise differ by up to twice as much: with f16/f16 caches, max
//   |delta logit| <= 16% of the range and KL <= 0.02.
// - A quantized K cache adds a shift of its own that is a random draw per prompt: llama.cpp's
//   q4_0/q8_0 run differs from its own f16/f16 run by KL 0.0002-0.35 depending on the prompt, and
//   hearth's by similar amounts (independently rounded K). For quantized caches the bound adds both
//   engines' measured shifts (llama.cpp's from the reference, hearth's measured here against its own
//   f16/f16 run). Whether hearth's quantized cache is as good as llama.cpp's is decided by the
//   perplexity test (tests/perplexity), which averages over thousands of tokens.
// - Greedy tokens must be equal until the first step where hearth's top-2 margin is below the
//   noise above (1 logit with an f16 cache, 1.5 with q8_0 keys, 3 with q4_0 keys): a near-tie
//   may fall either way in either engine, and after it the continuations legitimately differ.
constexpr double f16_rel_logit_diff = 0.16;
constexpr double f16_kl = 0.02;

struct compare_result { double max_abs = 0, range = 0, kl = 0, ref_margin = 0; int argmax_ref = -1, argmax_ours = -1; };

double log_sum_exp(std::span<const float> l) {
    double mx = -INFINITY;
    for (float v : l) mx = std::max<double>(mx, v);
    double s = 0;
    for (float v : l) s += std::exp(double(v) - mx);
    return mx + std::log(s);
}

compare_result compare(std::span<const float> ours, const nlohmann::json& run) {
    compare_result r;
    const auto& ids = run["top_ids"];
    const auto& ref = run["top_logits"];
    const double ref_lse = run["logsumexp"].get<double>(), our_lse = log_sum_exp(ours);
    r.argmax_ref = ids[0].get<int>();
    r.argmax_ours = int(std::max_element(ours.begin(), ours.end()) - ours.begin());
    r.range = ref[0].get<double>() - ref[ids.size() - 1].get<double>();
    r.ref_margin = ref[0].get<double>() - ref[1].get<double>();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const double a = ref[i].get<double>(), b = ours[ids[i].get<int>()];
        r.max_abs = std::max(r.max_abs, std::abs(a - b));
        const double lp = a - ref_lse, lq = b - our_lse;
        r.kl += std::exp(lp) * (lp - lq);
    }
    return r;
}

// llama.cpp's own distance between its run with this cache and its f16/f16 run (KL and max shift).
std::pair<double, double> reference_cache_noise(const nlohmann::json& run, const nlohmann::json& f16_run) {
    std::map<int, double> f16;
    const auto& fi = f16_run["top_ids"];
    for (std::size_t i = 0; i < fi.size(); ++i) f16[fi[i].get<int>()] = f16_run["top_logits"][i].get<double>();
    double kl = 0, shift = 0;
    const double lse = run["logsumexp"].get<double>(), flse = f16_run["logsumexp"].get<double>();
    for (std::size_t i = 0; i < run["top_ids"].size(); ++i) {
        auto it = f16.find(run["top_ids"][i].get<int>());
        if (it == f16.end()) continue;
        const double a = run["top_logits"][i].get<double>();
        shift = std::max(shift, std::abs(a - it->second));
        kl += std::exp(a - lse) * ((a - lse) - (it->second - flse));
    }
    return {std::max(0.0, kl), shift};
}

// hearth's own distance between its run with a quantized cache and its f16/f16 run, over the
// reference's top ids (KL and max shift).
std::pair<double, double> own_cache_noise(std::span<const float> cache_logits, std::span<const float> f16_logits,
                                          const nlohmann::json& run) {
    const double lc = log_sum_exp(cache_logits), lf = log_sum_exp(f16_logits);
    double kl = 0, shift = 0;
    for (const auto& id : run["top_ids"]) {
        const auto i = id.get<std::size_t>();
        shift = std::max(shift, double(std::abs(cache_logits[i] - f16_logits[i])));
        kl += std::exp(cache_logits[i] - lc) * ((cache_logits[i] - lc) - (f16_logits[i] - lf));
    }
    return {std::max(0.0, kl), shift};
}

double tie_margin(const hearth::cache_types& c) {
    if (c.k == hearth::dtype::q4_0 || c.v == hearth::dtype::q4_0) return 3.0;
    if (c.k == hearth::dtype::q8_0 || c.v == hearth::dtype::q8_0) return 1.5;
    return 1.0;
}

}  // namespace

TEST_CASE("greedy tokens and logits match llama.cpp on real models", "[model][parity]") {
    const fs::path dir = hearth_test::test_data() / "parity";
    REQUIRE(fs::exists(dir));
    int files = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        nlohmann::json ref = nlohmann::json::parse(std::ifstream(entry.path()));
        const std::string name = ref["model"];
        const fs::path path = find_model(name);
        if (path.empty()) {
            WARN("SKIPPED " << name << ": not found (run scripts/fetch-models build/models)");
            continue;
        }
        ++files;
        backend_t b(hearth::cpu::options{2});
        auto m = hearth::model<backend_t>::open(b, path);
        for (const auto& [cache, runs] : ref["runs"].items()) {
            for (std::size_t pi = 0; pi < runs.size(); ++pi) {
                const auto& run = runs[pi];
                INFO(name << " cache " << cache << " prompt: " << run["prompt"].get<std::string>());
                hearth::session<backend_t> s(m, {ref["n_ctx"].get<std::uint32_t>(), parse_cache_pair(cache)});
                const auto prompt = run["prompt_ids"].get<std::vector<std::int32_t>>();
                auto logits = s.decode(prompt);
                const auto c = compare(logits, run);
                std::pair<double, double> own{0.0, 0.0};
                if (cache != "f16-f16") {
                    hearth::session<backend_t> f16(m, {ref["n_ctx"].get<std::uint32_t>(), {hearth::dtype::f16, hearth::dtype::f16}});
                    own = own_cache_noise(logits, f16.decode(prompt), run);
                }
                const auto& f16_run = ref["runs"]["f16-f16"][pi];
                const auto [noise_kl, noise_shift] =
                    cache == "f16-f16" ? std::pair{0.0, 0.0} : reference_cache_noise(run, f16_run);
                INFO("max |delta logit| " << c.max_abs << " over range " << c.range << ", KL " << c.kl
                                          << "; cache shift of llama.cpp: KL " << noise_kl << ", " << noise_shift
                                          << "; of hearth: KL " << own.first << ", " << own.second);
                if (c.ref_margin > 2 * tie_margin(parse_cache_pair(cache))) CHECK(c.argmax_ours == c.argmax_ref);
                CHECK(c.max_abs <= f16_rel_logit_diff * c.range + noise_shift + own.second);
                CHECK(c.kl <= f16_kl + 2 * (noise_kl + own.first));
                const auto greedy = run["greedy"].get<std::vector<std::int32_t>>();
                const double tie = tie_margin(parse_cache_pair(cache));
                std::size_t matched = 0;
                for (; matched < greedy.size(); ++matched) {
                    const auto l = s.logits();
                    std::vector<float> sorted(l.begin(), l.end());
                    std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
                    const std::int32_t t = std::int32_t(std::max_element(l.begin(), l.end()) - l.begin());
                    if (t != greedy[matched]) {
                        INFO("first different token at step " << matched << ": hearth " << t << ", llama.cpp "
                                                              << greedy[matched] << ", hearth's top-2 margin "
                                                              << sorted[0] - sorted[1]);
                        CHECK(sorted[0] - sorted[1] < tie);
                        break;
                    }
                    if (matched + 1 < greedy.size()) s.decode(std::span(&t, 1));
                }
                std::printf("parity %s %s prompt %zu: %zu/%zu greedy tokens equal, max|dlogit| %.3g (range %.2f), KL %.4f\n",
                            name.c_str(), cache.c_str(), pi, matched, greedy.size(),
                            c.max_abs, c.range, c.kl);
            }
        }
    }
    CHECK(files > 0);
}

TEST_CASE("a quantized KV cache is refused for heads narrower than a block", "[model][kv]") {
    backend_t b(hearth::cpu::options{1});
    auto m = hearth::model<backend_t>::open(b, hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf");
    try {
        hearth::session<backend_t> s(m, {64, {hearth::dtype::q4_0, hearth::dtype::q8_0}});
        FAIL("a q4_0 cache was accepted for head dimension 4");
    } catch (const hearth::error& e) {
        CHECK(e.kind() == hearth::errc::invalid_argument);
        const std::string msg = e.what();
        CHECK(msg.find("head dimension is 4") != std::string::npos);
        CHECK(msg.find("f16") != std::string::npos);
    }
    hearth::session<backend_t> ok(m, {64, {hearth::dtype::f16, hearth::dtype::f16}});
    const std::int32_t bos = 1;
    CHECK(ok.decode(std::span(&bos, 1)).size() == 32000);
}

TEST_CASE("a prompt longer than the context is an error before any work", "[model][kv]") {
    backend_t b(hearth::cpu::options{1});
    auto m = hearth::model<backend_t>::open(b, hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf");
    hearth::session<backend_t> s(m, {8, {hearth::dtype::f16, hearth::dtype::f16}});
    std::vector<std::int32_t> ids(9, 1);
    CHECK_THROWS_AS(s.decode(ids), hearth::error);
    CHECK(s.position() == 0);
    std::vector<std::int32_t> bad{1, 40000};
    CHECK_THROWS_AS(s.decode(bad), hearth::error);
}
