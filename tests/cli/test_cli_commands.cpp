// `hearth chat` and `hearth bench` through the same code the CLI runs, plus the session pieces
// they stand on: a prompt fed in batches with progress, and model loading with progress.
#include <catch2/catch.hpp>
#include <test_paths.hpp>
#include "../../examples/hearth/cmd_bench.hpp"
#include "../../examples/hearth/cmd_chat.hpp"
#include "../../examples/hearth/cmd_perplexity.hpp"
#include "../../examples/hearth/cmd_run.hpp"
#include <sstream>

namespace fs = std::filesystem;
using namespace hearth_cli;

namespace {
fs::path tiny_model() { return hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf"; }

model_options options_for(const fs::path& model, const char* k = "f16", const char* v = "f16") {
    model_options o;
    o.model = model.string();
    o.threads = 2;
    o.context = 512;
    o.cache_k = k, o.cache_v = v;
    return o;
}
}  // namespace

TEST_CASE("model loading reports progress up to every byte of the file's tensors", "[cli][progress]") {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
    auto& b = backend_for(options_for(tiny_model()));
    auto m = cpu_model::open(b, tiny_model(), [&](std::uint64_t d, std::uint64_t t) { calls.emplace_back(d, t); });
    REQUIRE(!calls.empty());
    std::uint64_t total = 0;
    for (const auto& t : m->file().tensors()) total += t.data.size();
    CHECK(calls.back().first == total);
    for (std::size_t i = 0; i < calls.size(); ++i) {
        CHECK(calls[i].second == total);
        if (i) CHECK(calls[i].first >= calls[i - 1].first);
    }
}

TEST_CASE("a prompt fed in batches reports progress and gives the one-pass logits", "[cli][progress]") {
    auto& b = backend_for(options_for(tiny_model()));
    auto m = cpu_model::open(b, tiny_model());
    std::vector<hearth::token_id> ids;
    for (int i = 0; i < 10; ++i) ids.push_back(1 + 37 * i);
    cpu_session whole(m, {64, {hearth::dtype::f16, hearth::dtype::f16}, 512});
    const auto whole_logits = whole.decode(ids);
    const std::vector<float> one_pass(whole_logits.begin(), whole_logits.end());
    cpu_session batched(m, {64, {hearth::dtype::f16, hearth::dtype::f16}, 4});
    std::vector<std::size_t> seen;
    REQUIRE(batched.prefill(ids, [&](std::size_t done, std::size_t total) {
        CHECK(total == ids.size());
        seen.push_back(done);
    }));
    CHECK(seen == std::vector<std::size_t>{4, 8, 10});
    CHECK(batched.position() == 10);
    const auto got = batched.logits();
    REQUIRE(got.size() == one_pass.size());
    // Batches of 4 take the matmul's other path for the last two tokens; both quantize the
    // activations identically, so only float summation order differs.
    float range = 0, diff = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
        range = std::max(range, std::fabs(one_pass[i])), diff = std::max(diff, std::fabs(got[i] - one_pass[i]));
    CHECK(diff <= 1e-4f * range);
    // A cancelled prefill stops between batches and keeps what it fed.
    std::atomic<bool> cancel{true};
    batched.reset();
    CHECK_FALSE(batched.prefill(ids, {}, &cancel));
    CHECK(batched.position() == 0);
}

TEST_CASE("chat keeps the conversation in the cache and answers in context", "[cli][chat]") {
    const fs::path smol = hearth_test::cached_model("SmolLM2-135M-Instruct.Q4_1.gguf");
    if (smol.empty()) {
        WARN("SKIPPED: SmolLM2 not fetched (scripts/fetch-models)");
        return;
    }
    chat_options o;
    o.model = options_for(smol, "q4_0", "q8_0");
    o.model.context = 1024;
    o.n_predict = 40;
    o.sampling.temperature = 0.0f;
    auto m = open_model(o.model);
    chat_loop chat(m, o);
    std::ostringstream first, second;
    CHECK(chat.answer("What is the capital of France?", first));
    CHECK(chat.answer("And of Germany?", second));  // only answerable with the first turn in view
    INFO(first.str() << "|" << second.str());
    CHECK_THAT(first.str(), Catch::Contains("Paris"));
    CHECK_THAT(second.str(), Catch::Contains("Berlin"));
}

TEST_CASE("bench runs llama-bench's tests and prints its JSON fields", "[cli][bench]") {
    bench_options o;
    o.model = options_for(tiny_model());
    o.reps = 3;
    auto m = open_model(o.model);
    const auto pp = run_bench_test(m, o, 32, 0, 0);
    const auto tg = run_bench_test(m, o, 0, 8, 16);
    REQUIRE(pp.samples_ns.size() == 3);
    REQUIRE(tg.samples_ns.size() == 3);
    for (double ns : pp.samples_ns) CHECK(ns > 0);
    CHECK(bench_test_name(pp) == "pp32");
    CHECK(bench_test_name(tg) == "tg8 @ d16");
    const auto facts = bench_detail::describe(*m);
    CHECK(facts.type == "llama 1M F16");
    const auto j = bench_json({pp, tg}, facts, o, backend_for(o.model));
    REQUIRE(j.size() == 2);
    for (const char* field : {"n_prompt", "n_gen", "n_depth", "n_threads", "type_k", "type_v", "avg_ts", "stddev_ts",
                              "avg_ns", "samples_ts", "model_size", "model_n_params", "model_type", "n_batch"})
        CHECK(j[0].contains(field));
    CHECK(j[0]["n_prompt"] == 32);
    CHECK(j[0]["n_gen"] == 0);
    CHECK(j[1]["n_depth"] == 16);
    CHECK(j[0]["type_k"] == "f16");
    const auto ts = pp.samples_ts();
    CHECK(j[0]["avg_ts"].get<double>() == Approx((ts[0] + ts[1] + ts[2]) / 3));
    CHECK(j[0]["avg_ts"].get<double>() == Approx(32e9 * 3 / (pp.samples_ns[0] + pp.samples_ns[1] + pp.samples_ns[2])).epsilon(0.5));
}

// This program does not link hearth::vulkan, like a CLI built without -DHEARTH_VULKAN=ON: asking
// for the Vulkan backend must say so and how to get it, and the CPU backend must still run.
TEST_CASE("--backend vulkan without the Vulkan backend says how to build it; --device needs it", "[cli][backend]") {
    static_assert(!vulkan_available, "test_cli is built without hearth::vulkan");
    const model_options mo = options_for(tiny_model());
    backend_options bo;
    bo.name = "vulkan";
    bool ran = false;
    try {
        with_backend(bo, mo, [&](auto&) { ran = true; });
        FAIL("with_backend(vulkan) did not throw");
    } catch (const hearth::error& e) {
        CHECK(e.kind() == hearth::errc::unsupported);
        CHECK_THAT(e.what(), Catch::Contains("built without the Vulkan backend") && Catch::Contains("-DHEARTH_VULKAN=ON"));
    }
    CHECK_FALSE(ran);
    bo.name = "cpu";
    bo.device = 0;
    CHECK_THROWS_WITH(with_backend(bo, mo, [&](auto&) { ran = true; }), Catch::Contains("--backend vulkan"));
    CHECK_FALSE(ran);
    bo.device = -1;
    std::string name;
    with_backend(bo, mo, [&](auto& b) {
        auto m = open_model_on(b, mo);
        name = describe(b);
        CHECK(m->config().n_vocab > 0);
    });
    CHECK(name == describe(backend_for(mo)));
}

TEST_CASE("--backend and --device parse on run, bench, chat and perplexity", "[cli][backend]") {
    for (const char* sub : {"run", "bench", "chat", "perplexity"}) {
        CLI::App app{"test"};
        add_run_command(app), add_bench_command(app), add_chat_command(app), add_perplexity_command(app);
        INFO(sub);
        auto* cmd = app.get_subcommand(sub);
        CHECK(cmd->get_option("--backend") != nullptr);
        CHECK(cmd->get_option("--device") != nullptr);
        // Values other than cpu, vulkan and cuda are refused while parsing, before any model is opened.
        std::vector<std::string> args{"hearth", sub, "-m", tiny_model().string(), "--backend", "metal"};
        if (std::string(sub) == "perplexity") args.insert(args.end(), {"-f", tiny_model().string()});
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        CHECK_THROWS_AS(app.parse(static_cast<int>(argv.size()), argv.data()), CLI::ValidationError);
    }
}

TEST_CASE("--backend cuda in a build without the CUDA backend says how to get it", "[cli][backend]") {
    if (hearth_cli::cuda_available) {
        WARN("SKIPPED: this CLI has the CUDA backend");
        return;
    }
    CLI::App app{"test"};
    add_bench_command(app);
    std::vector<std::string> args{"hearth", "bench", "-m", tiny_model().string(), "--backend", "cuda", "-p", "1", "-n", "0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    CHECK_THROWS_WITH(app.parse(static_cast<int>(argv.size()), argv.data()),
                      Catch::Contains("-DHEARTH_CUDA=ON"));
}
