// `hearth verify`: exit codes and messages for a digest and for a manifest, through the same
// CLI11 wiring the hearth program uses.
#include <catch2/catch.hpp>
#include "cmd_verify.hpp"
#include "integrity_test_support.hpp"
#include "test_paths.hpp"
#include <sstream>
#include <string>
#include <vector>

namespace {
const std::string tiny_sha = "81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb";
const std::string abc_hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string tiny_llama() { return (hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf").string(); }

struct outcome {
    int code;
    std::string out, err;
};
outcome verify(const hearth_cli::verify_options& o) {
    std::ostringstream out, err;
    const int code = hearth_cli::run_verify(o, out, err);
    return {code, out.str(), err.str()};
}

// Parses `args` as `hearth verify ...` would and returns the process exit code main() gives.
int cli_exit_code(std::vector<std::string> args) {
    CLI::App app{"test"};
    app.require_subcommand(1);
    hearth_cli::add_verify_command(app);
    args.insert(args.begin(), "verify");
    std::vector<const char*> argv{"hearth"};
    for (auto& a : args) argv.push_back(a.c_str());
    std::ostringstream sink;
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
        return app.exit(e, sink, sink);
    } catch (const hearth::error&) {
        return 1;  // main() prints "hearth: <message>" and returns 1
    }
    return 0;
}
}  // namespace

TEST_CASE("hearth verify --sha256: OK and exit 0 for the right digest", "[integrity][cli]") {
    const auto r = verify({tiny_llama(), tiny_sha, ""});
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("llama-2-tiny-random.gguf: OK (sha256 " + tiny_sha + ")"));
    CHECK(r.err.empty());
    CHECK(cli_exit_code({tiny_llama(), "--sha256", tiny_sha}) == 0);
}

TEST_CASE("hearth verify --sha256: FAILED with both digests and exit 1 for a wrong one", "[integrity][cli]") {
    const auto r = verify({tiny_llama(), abc_hex, ""});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("llama-2-tiny-random.gguf: FAILED: SHA-256 mismatch: expected " + abc_hex +
                                      ", found " + tiny_sha));
    CHECK(cli_exit_code({tiny_llama(), "--sha256", abc_hex}) == 1);
}

TEST_CASE("hearth verify: malformed requests are errors, not silent passes", "[integrity][cli]") {
    CHECK_THROWS_AS(verify({tiny_llama(), "1234", ""}), hearth::error);
    CHECK(cli_exit_code({tiny_llama(), "--sha256", "1234"}) == 1);
    CHECK(cli_exit_code({tiny_llama()}) != 0);                // no digest at all
    CHECK(cli_exit_code({"--sha256", tiny_sha}) != 0);        // a digest but no file
    CHECK(cli_exit_code({"/nonexistent/m.gguf", "--sha256", tiny_sha}) == 1);
}

TEST_CASE("hearth verify --manifest: every file, or only MODEL", "[integrity][cli]") {
    integrity_test::scratch_dir dir;
    dir.write("a.gguf", "abc");
    dir.write("b.gguf", "tampered");
    const auto good = dir.write("GOOD", abc_hex + "  a.gguf\n").string();
    const auto sums = dir.write("SHA256SUMS", abc_hex + "  a.gguf\n" + abc_hex + "  b.gguf\n").string();

    auto r = verify({"", "", good});
    CHECK(r.code == 0);
    CHECK(r.out == "a.gguf: OK\n");

    r = verify({"", "", sums});
    CHECK(r.code == 1);
    CHECK(r.out == "a.gguf: OK\n");
    CHECK_THAT(r.err, Catch::Contains("b.gguf: FAILED: SHA-256 mismatch"));
    CHECK_THAT(r.err, Catch::Contains("1 of 2 files did NOT match"));

    r = verify({(dir / "a.gguf").string(), "", sums});
    CHECK(r.code == 0);
    CHECK(r.out == "a.gguf: OK\n");

    CHECK(cli_exit_code({"--manifest", good}) == 0);
    CHECK(cli_exit_code({"--manifest", sums}) == 1);
    CHECK(cli_exit_code({(dir / "a.gguf").string(), "--manifest", sums}) == 0);
    CHECK(cli_exit_code({(dir / "b.gguf").string(), "--manifest", sums}) == 1);
    CHECK(cli_exit_code({(dir / "c.gguf").string(), "--manifest", sums}) == 1);  // not listed
    CHECK(cli_exit_code({"--manifest", (dir / "missing").string()}) != 0);
}
