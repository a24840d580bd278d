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
#include <fstream>

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

// Tolerances, and why:
// - Logits: hearth and llama.cpp sum the same products in different orders (SIMD widths, block
//   order, thread splits) and llama.cpp evaluates GELU through an f16 lookup table, so logits differ
//   by float rounding that grows through the layers. A quantized KV cache adds quantization of the
//   queries (q8_0) on both sides, rounded identically, but the attention sums still differ in order.
//   Bounds: |delta logit| relative to the logit range, and KL over the reference's top-256 tokens.
constexpr double max_rel_logit_diff = 0.02;  // of (max logit - min top-256 logit)
constexpr double max_kl = 0.01;              // nats

struct compare_result { double max_abs = 0, range = 0, kl = 0; int argmax_ref = -1, argmax_ours = -1; };

compare_result compare(std::span<const float> ours, const nlohmann::json& run) {
    compare_result r;
    const auto& ids = run["top_ids"];
    const auto& ref = run["top_logits"];
    const double ref_lse = run["logsumexp"].get<double>();
    double mx = -INFINITY;
    for (float v : ours) mx = std::max<double>(mx, v);
    double s = 0;
    for (float v : ours) s += std::exp(double(v) - mx);
    const double our_lse = mx + std::log(s);
    r.argmax_ref = ids[0].get<int>();
    r.argmax_ours = int(std::max_element(ours.begin(), ours.end()) - ours.begin());
    r.range = ref[0].get<double>() - ref[ids.size() - 1].get<double>();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const double a = ref[i].get<double>(), b = ours[ids[i].get<int>()];
        r.max_abs = std::max(r.max_abs, std::abs(a - b));
        const double lp = a - ref_lse, lq = b - our_lse;
        r.kl += std::exp(lp) * (lp - lq);
    }
    return r;
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
            for (const auto& run : runs) {
                INFO(name << " cache " << cache << " prompt: " << run["prompt"].get<std::string>());
                hearth::session<backend_t> s(m, {ref["n_ctx"].get<std::uint32_t>(), parse_cache_pair(cache)});
                const auto prompt = run["prompt_ids"].get<std::vector<std::int32_t>>();
                auto logits = s.decode(prompt);
                const auto c = compare(logits, run);
                INFO("max |delta logit| " << c.max_abs << " over range " << c.range << ", KL " << c.kl);
                CHECK(c.argmax_ours == c.argmax_ref);
                CHECK(c.max_abs <= max_rel_logit_diff * c.range);
                CHECK(c.kl <= max_kl);
                const auto greedy = run["greedy"].get<std::vector<std::int32_t>>();
                std::vector<std::int32_t> ours;
                for (std::size_t i = 0; i < greedy.size(); ++i) {
                    const auto l = s.logits();
                    const std::int32_t t = std::int32_t(std::max_element(l.begin(), l.end()) - l.begin());
                    ours.push_back(t);
                    if (i + 1 < greedy.size()) s.decode(std::span(&t, 1));
                }
                CHECK(ours == greedy);
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
