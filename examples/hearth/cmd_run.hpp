#pragma once
// `hearth run`: generate text from a prompt; only the generated text goes to stdout.
#include "backend_select.hpp"
#include "cli_common.hpp"
#include <hearth/chat.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace hearth_cli {

struct run_options {
    model_options model;
    backend_options backend;
    std::string prompt, prompt_file, system, chat_template;
    int n_predict = 128;
    bool chat = false, no_stats = false;
    hearth::sampling_params sampling;
};

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw hearth::error(hearth::errc::io, "cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Renders a one-turn conversation with the model's chat template (or --chat-template).
template <class B>
std::string chat_prompt(const hearth::model<B>& m, const std::string& system, const std::string& user,
                        const std::string& override_name) {
    auto r = hearth::chat::resolve(m.chat_template(), override_name);
    if (r.fell_back) std::cerr << "hearth: warning: " << r.warning << "\n";
    std::vector<hearth::chat::message> msgs;
    if (!system.empty()) msgs.push_back({"system", system});
    msgs.push_back({"user", user});
    return hearth::chat::render(r.family, msgs, true);
}

inline void add_run_command(CLI::App& app) {
    auto o = std::make_shared<run_options>();
    auto* cmd = app.add_subcommand("run", "generate text from a prompt");
    o->model.add_to(*cmd);
    o->backend.add_to(*cmd);
    cmd->add_option("-p,--prompt", o->prompt, "prompt text");
    cmd->add_option("-f,--file", o->prompt_file, "read the prompt from a file")->check(CLI::ExistingFile);
    cmd->add_option("-n,--n-predict", o->n_predict, "tokens to generate")->capture_default_str();
    add_sampling_options(*cmd, o->sampling);
    cmd->add_flag("--chat", o->chat, "wrap the prompt in the model's chat template");
    add_chat_template_options(*cmd, o->chat_template, o->system);
    cmd->add_flag("--no-stats", o->no_stats, "do not print timings to stderr");
    cmd->callback([o] {
        if (o->prompt.empty() && o->prompt_file.empty())
            throw hearth::error(hearth::errc::invalid_argument, "run: give a prompt with -p TEXT or -f FILE");
        std::string prompt = o->prompt_file.empty() ? o->prompt : read_file(o->prompt_file);
        with_backend(o->backend, o->model, [&](auto& b) {
            auto m = open_model_on(b, o->model);
            hearth::session s(m, {o->model.context, o->model.cache_types()});
            if (o->chat) prompt = chat_prompt(*m, o->system, prompt, o->chat_template);
            hearth::generate_params gp;
            gp.max_tokens = o->n_predict;
            gp.sampling = o->sampling;
            progress_bar bar("prompt");
            gp.on_prompt_progress = [&](std::size_t done, std::size_t total) {
                bar.update(done, total);
                if (done == total) bar.finish();
            };
            const auto st = s.generate(prompt, gp, [](const hearth::piece& p) {
                std::fwrite(p.text.data(), 1, p.text.size(), stdout);
                std::fflush(stdout);
                return true;
            });
            std::fputc('\n', stdout);
            if (!o->no_stats) {
                std::fprintf(stderr,
                             "\nhearth: prompt %zu tokens, %.2f tokens/s | generated %zu tokens, %.2f tokens/s | "
                             "peak RSS %.1f MiB | KV cache %.1f MiB (%s/%s, %zu bytes/token) | %s\n",
                             st.prompt_tokens, st.prompt_tokens / std::max(1e-9, st.prompt_seconds),
                             st.generated_tokens, st.generated_tokens / std::max(1e-9, st.generate_seconds),
                             peak_rss_bytes() / 1048576.0, s.cache().bytes() / 1048576.0, o->model.cache_k.c_str(),
                             o->model.cache_v.c_str(), s.cache().bytes_per_token(), describe(b).c_str());
            }
        });
    });
}

}  // namespace hearth_cli
