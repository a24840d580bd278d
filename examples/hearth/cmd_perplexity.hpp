#pragma once
// `hearth perplexity`: perplexity over a text file, printed like llama.cpp's perplexity tool
// (the computation is hearth::perplexity, which follows llama.cpp's windowing).
#include "backend_select.hpp"
#include "cli_common.hpp"
#include "cmd_run.hpp"
#include <hearth/perplexity.hpp>
#include <cstdio>
#include <vector>

namespace hearth_cli {

inline void add_perplexity_command(CLI::App& app) {
    struct opts { model_options model; backend_options backend; std::string file; std::uint32_t batch = 128; };
    auto o = std::make_shared<opts>();
    o->model.context = 512;
    auto* cmd = app.add_subcommand("perplexity", "perplexity of a model over a text file");
    o->model.add_to(*cmd);
    o->backend.add_to(*cmd);
    cmd->add_option("-f,--file", o->file, "text file")->required()->check(CLI::ExistingFile);
    cmd->add_option("-b,--batch-size", o->batch, "tokens per forward pass")->capture_default_str();
    cmd->callback([o] {
        with_backend(o->backend, o->model, [&](auto& b) {
            auto m = open_model_on(b, o->model);
            hearth::session s(m, {o->model.context, o->model.cache_types()});
            const auto& tok = m->vocab();
            const auto tokens = tok.encode(read_file(o->file), true, false);
            std::fprintf(stderr, "perplexity: %zu tokens, %zu windows of %u, K %s, V %s\n", tokens.size(),
                         tokens.size() / o->model.context, o->model.context, o->model.cache_k.c_str(),
                         o->model.cache_v.c_str());
            const auto r = hearth::perplexity(s, tokens, o->model.context, o->batch, tok.add_bos(), tok.bos(),
                                              [](std::size_t i, double ppl) {
                                                  std::printf("[%zu]%.4f,", i + 1, ppl);
                                                  std::fflush(stdout);
                                              });
            std::printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", r.ppl, r.ppl_stderr);
        });
    });
}

}  // namespace hearth_cli
