// The `hearth` command-line tool. Each subcommand lives in its own cmd_*.hpp and registers
// itself with add_<name>_command(app); main only wires them up and turns errors into exit codes.
#include <CLI/CLI.hpp>
#include <hearth/hearth.hpp>
#include "cmd_bench.hpp"
#include "cmd_chat.hpp"
#include "cmd_inspect.hpp"
#include "cmd_perplexity.hpp"
#include "cmd_run.hpp"
#include "cmd_tokenize.hpp"
#include "cmd_verify.hpp"
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
    CLI::App app{"hearth: run small language models from GGUF files, offline"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("hearth ") + hearth::version.string);
    hearth_cli::add_run_command(app);
    hearth_cli::add_chat_command(app);
    hearth_cli::add_bench_command(app);
    hearth_cli::add_perplexity_command(app);
    hearth_cli::add_inspect_command(app);
    hearth_cli::add_tokenize_command(app);
    hearth_cli::add_verify_command(app);
    try {
        auto args = hearth_cli::expand_llama_aliases(argc, argv);
        std::vector<char*> argp;
        for (auto& a : args) argp.push_back(a.data());
        app.parse(static_cast<int>(argp.size()), argp.data());
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const hearth::error& e) {
        std::cerr << "hearth: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "hearth: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
