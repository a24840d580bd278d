// The `hearth` command-line tool. Each subcommand lives in its own cmd_*.hpp and registers
// itself with add_<name>_command(app); main only wires them up and turns errors into exit codes.
#include <CLI/CLI.hpp>
#include <hearth/hearth.hpp>
#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"hearth: run small language models from GGUF files, offline"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("hearth ") + hearth::version.string);
    try {
        app.parse(argc, argv);
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
