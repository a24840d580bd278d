#pragma once
// What the model-running subcommands share: the options that pick a backend, threads and cache
// types, and loading a model with them.
#include <CLI/CLI.hpp>
#include "progress_bar.hpp"
#include <hearth/cpu.hpp>
#include <hearth/session.hpp>
#include <sys/resource.h>
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hearth_cli {

using cpu_backend = hearth::cpu::backend<>;
using cpu_model = hearth::model<cpu_backend>;
using cpu_session = hearth::session<cpu_backend>;

struct model_options {
    std::string model;
    unsigned threads = 0;
    std::uint32_t context = 4096;
    std::string cache_k = "q4_0", cache_v = "q8_0";
    bool no_kv_rotation = false;
    bool no_repack = false;
    bool no_huge_pages = false;

    void add_to(CLI::App& cmd, bool with_cache = true) {
        cmd.add_option("-m,--model", model, "GGUF model file")->required()->check(CLI::ExistingFile);
        cmd.add_option("-t,--threads", threads, "threads (default: all hardware threads)");
        cmd.add_flag("--no-repack", no_repack,
                     "CPU: read every weight in place from the file mapping (zero copy), not repacked into the "
                     "layout its kernels read fastest (x86: q4_0, q4_K; q8_0 with AVX-512 VNNI)");
        cmd.add_flag("--no-huge-pages", no_huge_pages,
                     "CPU: keep repacked weights in ordinary pages, and other weights in the file mapping (by "
                     "default matrices of 2 MiB or more are copied into huge pages, which decode faster; the first "
                     "decode step pays for the copy)");
        cmd.add_option("-c,--ctx-size", context, "context size in tokens")->capture_default_str();
        if (with_cache) {
            cmd.add_option("--cache-type-k", cache_k, "K cache type: f32, f16, q8_0, q4_0")->capture_default_str();
            cmd.add_option("--cache-type-v", cache_v, "V cache type: f32, f16, q8_0, q4_0")->capture_default_str();
            cmd.add_flag("--no-kv-rotation", no_kv_rotation,
                         "store a quantized K/V cache without the Walsh-Hadamard rotation (lower quality; "
                         "for comparing with engines that do not rotate)");
        }
    }
    hearth::cache_types cache_types() const {
        return {parse_cache(cache_k, "-ctk"), parse_cache(cache_v, "-ctv"), !no_kv_rotation};
    }

    static hearth::dtype parse_cache(const std::string& s, const char* flag) {
        auto t = hearth::parse_dtype(s);
        if (!t || !hearth::is_cache_dtype(*t))
            throw hearth::error(hearth::errc::invalid_argument, std::string(flag) + ": unknown cache type '" + s +
                                                                    "' (use f32, f16, q8_0 or q4_0)");
        return *t;
    }
};

inline void add_sampling_options(CLI::App& cmd, hearth::sampling_params& sp) {
    cmd.add_option("--temp", sp.temperature, "temperature (0: greedy)")->capture_default_str();
    cmd.add_option("--top-k", sp.top_k, "top-k (0: off)")->capture_default_str();
    cmd.add_option("--top-p", sp.top_p, "top-p (1: off)")->capture_default_str();
    cmd.add_option("--min-p", sp.min_p, "min-p (0: off)")->capture_default_str();
    cmd.add_option("--typical", sp.typical_p, "typical-p (1: off)")->capture_default_str();
    cmd.add_option("--repeat-penalty", sp.repeat_penalty, "repetition penalty (1: off)")->capture_default_str();
    cmd.add_option("--repeat-last-n", sp.penalty_last_n, "penalty window")->capture_default_str();
    cmd.add_option("--presence-penalty", sp.presence_penalty, "presence penalty")->capture_default_str();
    cmd.add_option("--frequency-penalty", sp.frequency_penalty, "frequency penalty")->capture_default_str();
    cmd.add_option("-s,--seed", sp.seed, "random seed (same seed, same text)");
}

inline void add_chat_template_options(CLI::App& cmd, std::string& template_name, std::string& system) {
    cmd.add_option("--chat-template", template_name,
                   "chat template name, overriding the file's (chatml, llama3, llama2, mistral, gemma, phi3, ...)");
    cmd.add_option("--system-prompt", system, "system message");
}

// The backend lives as long as the process: models keep a reference to it.
inline cpu_backend& backend_for(const model_options& o) {
    static std::unique_ptr<cpu_backend> b;
    if (!b) b = std::make_unique<cpu_backend>(hearth::cpu::options{
                                               .threads = o.threads, .repack = !o.no_repack, .huge_pages = !o.no_huge_pages});
    return *b;
}

// Opens the model on the backend, with a progress bar while the weights load (GPU uploads).
inline std::shared_ptr<const cpu_model> open_model(const model_options& o) {
    auto& b = backend_for(o);
    progress_bar bar("loading " + std::filesystem::path(o.model).filename().string());
    auto m = cpu_model::open(b, o.model, [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
    bar.finish();
    return m;
}

inline std::size_t peak_rss_bytes() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<std::size_t>(u.ru_maxrss) * 1024;
}

// llama.cpp spells some long options with one dash (-ctk, -ctv, -sys); CLI11 only accepts
// single-character short names, so those spellings are rewritten to their long forms first.
inline std::vector<std::string> expand_llama_aliases(int argc, char** argv) {
    static const std::pair<const char*, const char*> aliases[] = {
        {"-ctk", "--cache-type-k"}, {"-ctv", "--cache-type-v"}, {"-sys", "--system-prompt"}, {"-ngl", "--n-gpu-layers"}};
    std::vector<std::string> out(argv, argv + argc);
    for (auto& a : out)
        for (const auto& [from, to] : aliases)
            if (a == from) a = to;
    return out;
}

inline bool stderr_is_terminal() { return isatty(fileno(stderr)) != 0; }

}  // namespace hearth_cli
