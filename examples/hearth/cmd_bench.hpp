#pragma once
// `hearth bench`: prompt processing and generation speed measured separately, the way llama-bench
// measures them, printed as a markdown table or (-o json) as a JSON array with llama-bench's
// field names, so scripts written for llama-bench read hearth's output unchanged.
//
// A pp test feeds n_prompt random tokens in batches of n_batch; a tg test decodes n_gen tokens
// one at a time; with -d, n_depth random tokens are fed first (not timed), to measure at a filled
// context. Each test runs once to warm up, then -r times from an empty cache.
#include "backend_select.hpp"
#include "cli_common.hpp"
#include <hearth/config.hpp>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <map>
#include <numeric>
#include <random>
#include <sstream>

namespace hearth_cli {

struct bench_options {
    model_options model;
    backend_options backend;
    std::vector<int> n_prompt{512}, n_gen{128}, n_depth{0};
    int reps = 5;
    std::uint32_t n_batch = 512;
    std::string output = "md";
};

struct bench_result {
    int n_prompt = 0, n_gen = 0, n_depth = 0;
    std::vector<double> samples_ns;
    std::vector<double> samples_ts() const {
        std::vector<double> ts;
        for (double ns : samples_ns) ts.push_back(1e9 * (n_prompt + n_gen) / ns);
        return ts;
    }
};

namespace bench_detail {
inline double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }
// Sample standard deviation (n - 1), as llama-bench reports it; 0 for a single sample.
inline double stddev(const std::vector<double>& v) {
    if (v.size() < 2) return 0.0;
    const double m = mean(v);
    double s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / (v.size() - 1));
}
inline std::string cpu_name() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}
inline std::string iso_time_now() {
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}
// "llama 135M Q4_1": architecture, parameter count, the weight type holding most bytes.
struct model_facts {
    std::string type;
    std::uint64_t size = 0, n_params = 0;
};
template <class B>
model_facts describe(const hearth::model<B>& m) {
    model_facts f;
    std::map<std::string, std::uint64_t> bytes_by_type;
    for (const auto& t : m.file().tensors()) {
        f.size += t.data.size();
        f.n_params += t.elements();
        bytes_by_type[std::string(hearth::name(t.type))] += t.data.size();
    }
    const auto main_type = std::max_element(bytes_by_type.begin(), bytes_by_type.end(),
                                            [](const auto& a, const auto& b) { return a.second < b.second; });
    std::ostringstream s;
    const double p = static_cast<double>(f.n_params);
    s << m.config().arch->name << " ";
    if (p >= 1e9) s << std::setprecision(2) << p / 1e9 << "B";
    else s << static_cast<long long>(std::llround(p / 1e6)) << "M";
    std::string type = main_type == bytes_by_type.end() ? "?" : main_type->first;
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::toupper(c); });
    s << " " << type;
    f.type = s.str();
    return f;
}
}  // namespace bench_detail

// Runs one test: a warm-up, then `reps` timed runs, each from an empty cache.
template <class B>
bench_result run_bench_test(const std::shared_ptr<const hearth::model<B>>& m, const bench_options& o, int n_prompt,
                            int n_gen, int n_depth) {
    using clock = std::chrono::steady_clock;
    const std::uint32_t ctx = static_cast<std::uint32_t>(n_depth + n_prompt + n_gen + 1);
    hearth::session<B> s(m, {ctx, o.model.cache_types(), o.n_batch});
    const auto& tok = m->vocab();
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> any_token(0, static_cast<int>(m->config().n_vocab) - 1);
    auto random_tokens = [&](int n) {
        std::vector<hearth::token_id> ids(static_cast<std::size_t>(n));
        for (auto& id : ids) id = any_token(rng);
        if (!ids.empty() && tok.add_bos()) ids[0] = tok.bos();
        return ids;
    };
    bench_result r{n_prompt, n_gen, n_depth, {}};
    for (int rep = -1; rep < o.reps; ++rep) {  // rep -1: warm-up
        s.reset();
        if (n_depth > 0) s.prefill(random_tokens(n_depth));
        const auto prompt = random_tokens(n_prompt);
        const auto t0 = clock::now();
        if (n_prompt > 0) s.prefill(prompt);
        hearth::token_id next = n_depth == 0 && tok.add_bos() ? tok.bos() : any_token(rng);
        for (int i = 0; i < n_gen; ++i) {
            s.decode(std::span<const hearth::token_id>(&next, 1));
            next = any_token(rng);
        }
        const double ns = std::chrono::duration<double, std::nano>(clock::now() - t0).count();
        if (rep >= 0) r.samples_ns.push_back(ns);
    }
    return r;
}

inline std::string bench_test_name(const bench_result& r) {
    std::string name = r.n_prompt > 0 ? "pp" + std::to_string(r.n_prompt) : "tg" + std::to_string(r.n_gen);
    if (r.n_depth > 0) name += " @ d" + std::to_string(r.n_depth);
    return name;
}

template <class B>
void print_bench_markdown(const std::vector<bench_result>& results, const bench_detail::model_facts& f,
                          const bench_options& o, const B& b) {
    std::printf("| model | size | params | backend | threads | type_k | type_v | test | t/s |\n");
    std::printf("| --- | ---: | ---: | --- | ---: | --- | --- | ---: | ---: |\n");
    for (const auto& r : results) {
        const auto ts = r.samples_ts();
        std::printf("| %s | %.2f MiB | %.2f M | %s | %u | %s | %s | %s | %.2f ± %.2f |\n", f.type.c_str(),
                    f.size / 1048576.0, f.n_params / 1e6, b.name(), host_threads(b), o.model.cache_k.c_str(),
                    o.model.cache_v.c_str(), bench_test_name(r).c_str(), bench_detail::mean(ts),
                    bench_detail::stddev(ts));
    }
}

template <class B>
nlohmann::json bench_json(const std::vector<bench_result>& results, const bench_detail::model_facts& f,
                          const bench_options& o, const B& b) {
    const std::string gpu = gpu_name(b);
    auto out = nlohmann::json::array();
    for (const auto& r : results) {
        const auto ts = r.samples_ts();
        out.push_back({
            {"build_commit", std::string("hearth-") + hearth::version.string},
            {"build_number", 0},
            {"cpu_info", bench_detail::cpu_name()},
            {"gpu_info", gpu},
            {"backends", b.name()},
            {"model_filename", o.model.model},
            {"model_type", f.type},
            {"model_size", f.size},
            {"model_n_params", f.n_params},
            {"n_batch", o.n_batch},
            {"n_ubatch", o.n_batch},
            {"n_threads", host_threads(b)},
            {"type_k", o.model.cache_k},
            {"type_v", o.model.cache_v},
            {"n_gpu_layers", gpu.empty() ? 0 : 99},  // a GPU backend runs every layer there
            {"flash_attn", true},
            {"use_mmap", true},
            {"n_prompt", r.n_prompt},
            {"n_gen", r.n_gen},
            {"n_depth", r.n_depth},
            {"test_time", bench_detail::iso_time_now()},
            {"avg_ns", static_cast<std::uint64_t>(bench_detail::mean(r.samples_ns))},
            {"stddev_ns", static_cast<std::uint64_t>(bench_detail::stddev(r.samples_ns))},
            {"avg_ts", bench_detail::mean(ts)},
            {"stddev_ts", bench_detail::stddev(ts)},
            {"samples_ns", r.samples_ns},
            {"samples_ts", ts},
        });
    }
    return out;
}

inline void add_bench_command(CLI::App& app) {
    auto o = std::make_shared<bench_options>();
    auto* cmd = app.add_subcommand("bench", "measure prompt and generation speed (llama-bench's tests and fields)");
    o->model.add_to(*cmd);
    o->backend.add_to(*cmd);
    cmd->add_option("-p,--n-prompt", o->n_prompt, "prompt tokens per pp test (comma-separated list; 0: none)")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("-n,--n-gen", o->n_gen, "generated tokens per tg test (comma-separated list; 0: none)")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("-d,--n-depth", o->n_depth, "tokens already in the context (comma-separated list)")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("-r,--repetitions", o->reps, "timed runs per test")->capture_default_str()->check(CLI::Range(1, 1000));
    cmd->add_option("-b,--batch-size", o->n_batch, "prompt tokens per forward pass")->capture_default_str();
    cmd->add_option("-o,--output", o->output, "md or json")->capture_default_str()->check(CLI::IsMember({"md", "json"}));
    cmd->callback([o] {
        for (const auto* list : {&o->n_prompt, &o->n_gen, &o->n_depth})
            for (int v : *list)
                if (v < 0) throw hearth::error(hearth::errc::invalid_argument, "bench: token counts cannot be negative");
        with_backend(o->backend, o->model, [&](auto& b) {
            auto m = open_model_on(b, o->model);
            const auto facts = bench_detail::describe(*m);
            std::vector<bench_result> results;
            for (int d : o->n_depth) {
                for (int p : o->n_prompt)
                    if (p > 0) results.push_back(run_bench_test(m, *o, p, 0, d));
                for (int n : o->n_gen)
                    if (n > 0) results.push_back(run_bench_test(m, *o, 0, n, d));
            }
            if (o->output == "json") std::printf("%s\n", bench_json(results, facts, *o, b).dump(2).c_str());
            else print_bench_markdown(results, facts, *o, b);
        });
    });
}

}  // namespace hearth_cli
