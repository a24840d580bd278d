#pragma once
// `hearth verify MODEL --sha256 HEX` and `hearth verify [MODEL] --manifest FILE`: check model
// files against the SHA-256 digests their publisher printed, before running them.
//
//   --sha256 HEX      MODEL must hash to HEX (64 hex digits, as sha256sum prints).
//   --manifest FILE   FILE lists digests in sha256sum's format, names relative to FILE's folder;
//                     every listed file is checked, or only MODEL when one is given.
// Prints one "NAME: OK" or "NAME: FAILED ..." line per file (as `sha256sum -c` does) and exits
// 0 when every file matched, 1 otherwise (mismatch, missing file, malformed manifest).
#include <CLI/CLI.hpp>
#include <hearth/error.hpp>
#include <hearth/integrity/all.hpp>
#include <cstddef>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>

namespace hearth_cli {

struct verify_options {
    std::string model;
    std::string sha256;
    std::string manifest;
};

// Returns the exit code. Problems with the request itself (bad digest text, unreadable or
// malformed manifest, MODEL not listed) are hearth::errors and propagate.
inline int run_verify(const verify_options& o, std::ostream& out, std::ostream& err) {
    int failures = 0;
    if (!o.sha256.empty()) {
        const auto expected = hearth::sha256_digest::from_hex(o.sha256);
        if (!expected)
            throw hearth::error(hearth::errc::invalid_argument,
                                "verify: --sha256 expects 64 hex digits, found '" + o.sha256.substr(0, 80) + "' (" +
                                    std::to_string(o.sha256.size()) + " characters)");
        const auto actual = hearth::sha256_file(o.model);
        if (actual == *expected) {
            out << o.model << ": OK (sha256 " << actual.hex() << ")\n";
        } else {
            err << o.model << ": FAILED: SHA-256 mismatch: expected " << expected->hex() << ", found " << actual.hex()
                << " (the file is damaged, incomplete, or not the file the digest names)\n";
            ++failures;
        }
    }
    if (!o.manifest.empty()) {
        const auto verdicts = hearth::verify_manifest(o.manifest, o.model);
        for (const auto& v : verdicts) {
            if (v.ok()) {
                out << v.entry.name << ": OK\n";
            } else {
                err << v.entry.name << ": FAILED: " << v.message << "\n";
                ++failures;
            }
        }
        if (failures && verdicts.size() > 1)
            err << "hearth verify: " << failures << " of " << verdicts.size() << " files did NOT match\n";
    }
    return failures ? 1 : 0;
}

inline void add_verify_command(CLI::App& app) {
    auto opt = std::make_shared<verify_options>();
    auto* cmd = app.add_subcommand("verify", "Check model files against published SHA-256 digests");
    auto* model = cmd->add_option("model", opt->model, "the GGUF file to check (with --manifest: only this one)");
    auto* sha = cmd->add_option("--sha256", opt->sha256, "expected SHA-256 of MODEL (64 hex digits)");
    auto* manifest = cmd->add_option("--manifest", opt->manifest,
                                     "file of 'SHA256  NAME' lines (sha256sum's output), names relative to its folder")
                         ->check(CLI::ExistingFile);
    sha->needs(model);
    cmd->callback([opt, sha, manifest] {
        if (sha->count() == 0 && manifest->count() == 0)
            throw CLI::RequiredError("a digest to check against (--sha256 HEX or --manifest FILE)");
        if (const int code = run_verify(*opt, std::cout, std::cerr); code != 0)
            throw CLI::RuntimeError(code);  // messages already printed; CLI::App::exit returns the code
    });
}

}  // namespace hearth_cli
