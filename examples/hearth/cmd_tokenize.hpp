#pragma once
// `hearth tokenize -m MODEL (-p TEXT | -f FILE) [--ids] [--add-special] [--parse-special]`: the
// model file's tokenizer on a text, without loading any weights. By default no BOS/EOS is added,
// special-token texts stay plain text, and a file's bytes are tokenized exactly as they are.
// Output: one "id -> 'piece'" line per token (pieces as raw bytes, control tokens shown by their
// text, like llama.cpp's llama-tokenize), or with --ids the ids alone, space-separated.
#include <CLI/CLI.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/tokenizer.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace hearth_cli {

struct tokenize_options {
    std::string model;
    std::string prompt;
    std::string file;
    bool ids_only = false;
    bool add_special = false;
    bool parse_special = false;
};

inline std::string read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw hearth::error(hearth::errc::io, "tokenize: cannot open '" + path + "'");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw hearth::error(hearth::errc::io, "tokenize: cannot read '" + path + "'");
    return bytes;
}

inline void print_tokens(std::ostream& out, const hearth::tokenizer& tok, const std::vector<hearth::token_id>& ids,
                         bool ids_only) {
    if (ids_only) {
        for (std::size_t i = 0; i < ids.size(); ++i) out << (i ? " " : "") << ids[i];
        out << "\n";
        return;
    }
    for (auto id : ids) out << id << " -> '" << tok.piece(id, /*render_special=*/true) << "'\n";
}

inline void run_tokenize(const tokenize_options& o) {
    const auto file = hearth::gguf::file::open(o.model);
    const auto tok = hearth::tokenizer::from_gguf(file);
    const std::string text = o.file.empty() ? o.prompt : read_file_bytes(o.file);
    print_tokens(std::cout, tok, tok.encode(text, o.add_special, o.parse_special), o.ids_only);
}

inline void add_tokenize_command(CLI::App& app) {
    auto opt = std::make_shared<tokenize_options>();
    auto* cmd = app.add_subcommand("tokenize", "Show how a model's tokenizer splits a text (no weights are loaded)");
    cmd->add_option("-m,--model", opt->model, "GGUF model (or vocabulary) file")->required()->check(CLI::ExistingFile);
    auto* p = cmd->add_option("-p,--prompt", opt->prompt, "text to tokenize");
    auto* f = cmd->add_option("-f,--file", opt->file, "file whose bytes are tokenized as they are")
                  ->check(CLI::ExistingFile);
    p->excludes(f);
    f->excludes(p);
    cmd->add_flag("--ids", opt->ids_only, "print only the ids, space-separated");
    cmd->add_flag("--add-special", opt->add_special, "add BOS/EOS as the model asks");
    cmd->add_flag("--parse-special", opt->parse_special, "turn special-token texts (<|im_start|>, ...) into tokens");
    cmd->callback([opt, p, f] {
        if (p->count() == 0 && f->count() == 0)
            throw CLI::RequiredError("a text to tokenize (-p TEXT or -f FILE)");
        run_tokenize(*opt);
    });
}

}  // namespace hearth_cli
