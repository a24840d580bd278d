#pragma once
// `hearth chat`: an interactive conversation on a terminal. Each turn renders the whole
// conversation with the model's chat template and feeds only the text the session has not seen
// yet, so the history stays in the KV cache instead of being recomputed every turn.
// Ctrl-C stops a reply (a second Ctrl-C, or one at the prompt, exits); Ctrl-D at the prompt exits.
#include "backend_select.hpp"
#include "cli_common.hpp"
#include "cmd_run.hpp"
#include <hearth/chat.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace hearth_cli {

namespace chat_detail {
inline std::atomic<bool> interrupted{false};
extern "C" inline void on_sigint(int) { interrupted.store(true); }

// SIGINT sets a flag instead of killing the process; without SA_RESTART a read blocked on the
// terminal returns, so Ctrl-C at the prompt ends std::getline too.
inline void install_sigint_handler() {
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
}
}  // namespace chat_detail

struct chat_options {
    model_options model;
    backend_options backend;
    std::string system, chat_template;
    int n_predict = -1;  // per reply; -1: until the model ends its turn or the context is full
    hearth::sampling_params sampling;
};

// One conversation: the messages so far and the rendered text whose tokens the session holds.
template <class B>
class chat_loop {
public:
    chat_loop(std::shared_ptr<const hearth::model<B>> m, const chat_options& o)
        : model_(std::move(m)), opts_(o), session_(model_, {o.model.context, o.model.cache_types()}) {
        auto r = hearth::chat::resolve(model_->chat_template(), o.chat_template);
        if (r.fell_back) std::cerr << "hearth: warning: " << r.warning << "\n";
        family_ = r.family;
        start_over();
    }

    // Answers one user message, streaming the reply to `out`. Returns false if Ctrl-C stopped it.
    bool answer(const std::string& user, std::ostream& out) {
        messages_.push_back({"user", user});
        std::string full = hearth::chat::render(family_, messages_, true);
        if (full.compare(0, fed_.size(), fed_) != 0) {
            // The template rewrote earlier turns (some strip or fold them): start the cache over.
            session_.reset();
            fed_.clear();
        }
        std::string delta = full.substr(fed_.size());
        if (session_.position() + static_cast<std::int32_t>(model_->vocab().encode(delta, false, true).size()) + 8 >=
            static_cast<std::int32_t>(session_.cache().context_size())) {
            std::cerr << "hearth: the conversation filled the context of " << session_.cache().context_size()
                      << " tokens; starting over with only the system message (raise it with -c)\n";
            start_over();
            messages_.push_back({"user", user});
            full = hearth::chat::render(family_, messages_, true);
            delta = full;
        }
        hearth::generate_params gp;
        gp.max_tokens = opts_.n_predict < 0 ? static_cast<int>(session_.cache().context_size()) : opts_.n_predict;
        gp.sampling = opts_.sampling;
        gp.cancel = &chat_detail::interrupted;
        std::string reply;
        const auto st = session_.generate(delta, gp, [&](const hearth::piece& p) {
            reply += p.text;
            out << p.text << std::flush;
            return true;
        });
        out << "\n";
        fed_ = full + reply;
        messages_.push_back({"assistant", reply});
        return st.reason != hearth::generation_stats::end::cancelled;
    }

private:
    void start_over() {
        session_.reset();
        fed_.clear();
        messages_.clear();
        if (!opts_.system.empty()) messages_.push_back({"system", opts_.system});
    }

    std::shared_ptr<const hearth::model<B>> model_;
    chat_options opts_;
    hearth::session<B> session_;
    hearth::chat::template_family family_{};
    std::vector<hearth::chat::message> messages_;
    std::string fed_;
};

inline void add_chat_command(CLI::App& app) {
    auto o = std::make_shared<chat_options>();
    auto* cmd = app.add_subcommand("chat", "interactive chat with a model on the terminal");
    o->model.add_to(*cmd);
    o->backend.add_to(*cmd);
    cmd->add_option("-n,--n-predict", o->n_predict, "tokens per reply at most (-1: until the model stops)")
        ->capture_default_str();
    add_sampling_options(*cmd, o->sampling);
    add_chat_template_options(*cmd, o->chat_template, o->system);
    cmd->callback([o] {
        with_backend(o->backend, o->model, [&](auto& b) {
            auto m = open_model_on(b, o->model);
            chat_loop chat(m, *o);
            chat_detail::install_sigint_handler();
            const bool terminal = isatty(fileno(stdin)) != 0;
            if (terminal) std::cerr << "hearth chat: Ctrl-C stops a reply, Ctrl-D exits.\n";
            for (;;) {
                if (terminal) std::cout << "> " << std::flush;
                chat_detail::interrupted.store(false);
                std::string line;
                if (!std::getline(std::cin, line) || chat_detail::interrupted.load()) break;
                if (line.empty()) continue;
                if (!chat.answer(line, std::cout) && terminal) std::cerr << "[stopped]\n";
            }
            if (terminal) std::cout << "\n";
        });
    });
}

}  // namespace hearth_cli
