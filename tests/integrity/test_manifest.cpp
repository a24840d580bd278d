// Manifests in sha256sum's format: parsing (both line formats, escapes, CRLF, comments), refusing
// malformed or unsafe lines, and verifying files relative to the manifest's folder.
#include <catch2/catch.hpp>
#include <hearth/integrity/manifest.hpp>
#include "integrity_test_support.hpp"
#include <string>
#include <vector>

using hearth::errc;
using hearth::file_verdict;

namespace {
const std::string abc_hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string empty_hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

hearth::error parse_error(const std::string& text) {
    try {
        hearth::parse_manifest(text, "SUMS");
    } catch (const hearth::error& e) {
        return e;
    }
    FAIL("expected parse_manifest to throw for:\n" << text);
    return hearth::error(errc::io, "unreachable");
}
}  // namespace

TEST_CASE("parse_manifest: sha256sum's text, binary, escaped and tag lines", "[integrity][manifest]") {
    const std::string text = "# published with the release\n" + abc_hex + "  model.gguf\n" + empty_hex +
                             " *sub/empty.bin\r\n\n" + "\\" + abc_hex + "  odd\\\\name\\nwith newline\n" +
                             "SHA256 (tagged (1).gguf) = " + abc_hex + "\n" + abc_hex + "  name with  spaces ";
    const auto e = hearth::parse_manifest(text, "SUMS");
    REQUIRE(e.size() == 5);
    CHECK(e[0].name == "model.gguf");
    CHECK(e[0].digest.hex() == abc_hex);
    CHECK(e[0].line == 2);
    CHECK(e[1].name == "sub/empty.bin");  // '*' (binary mode) and CRLF
    CHECK(e[1].digest.hex() == empty_hex);
    CHECK(e[2].name == "odd\\name\nwith newline");
    CHECK(e[3].name == "tagged (1).gguf");
    CHECK(e[3].line == 6);
    CHECK(e[4].name == "name with  spaces ");  // names are taken verbatim, as sha256sum does
}

TEST_CASE("parse_manifest: uppercase digests and a repeated identical line are fine", "[integrity][manifest]") {
    std::string upper = abc_hex;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto e = hearth::parse_manifest(upper + "  a\n" + abc_hex + "  a\n", "SUMS");
    REQUIRE(e.size() == 2);
    CHECK(e[0].digest == e[1].digest);
}

TEST_CASE("parse_manifest: malformed lines say which line and what was expected", "[integrity][manifest]") {
    struct bad { std::string text; const char* says; };
    const bad cases[] = {
        {abc_hex + " model.gguf\n", "SUMS:1: expected '<64 hex digits>  NAME'"},        // one space only
        {abc_hex + "  \n", "SUMS:1: expected"},                                          // no name
        {"\n\n" + abc_hex.substr(1) + "   x\n", "SUMS:3: "},                            // 63 digits
        {std::string(64, 'q') + "  x\n", "is not a SHA-256 digest"},
        {"SHA256 (x) " + abc_hex + "\n", "expected 'SHA256 (NAME) = <64 hex digits>'"},
        {"\\" + abc_hex + "  bad\\tescape\n", "bad escape"},
        {"SHA256 (x) = " + abc_hex.substr(2) + "\n", "is not a SHA-256 digest"},
        {abc_hex + "  a\n" + empty_hex + "  a\n", "SUMS:2: 'a' is listed again with another digest (first on line 1)"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const auto e = parse_error(c.text);
        CHECK(e.kind() == errc::bad_format);
        CHECK_THAT(std::string(e.what()), Catch::Contains(c.says));
    }
}

TEST_CASE("parse_manifest: names outside the manifest's folder are refused", "[integrity][manifest]") {
    for (std::string name : std::vector<std::string>{"/etc/passwd", "../model.gguf", "sub/../../model.gguf", "./..", ".."}) {
        INFO(name);
        const auto e = parse_error(abc_hex + "  " + name + "\n");
        CHECK(e.kind() == errc::bad_format);
        CHECK_THAT(std::string(e.what()), Catch::Contains("leaves the manifest's folder"));
    }
    // Going down and back up inside the folder is fine.
    CHECK(hearth::parse_manifest(abc_hex + "  sub/../model.gguf\n", "SUMS").size() == 1);
    const auto nul = parse_error(abc_hex + "  a" + std::string(1, '\0') + "b\n");
    CHECK_THAT(std::string(nul.what()), Catch::Contains("a\\x00b"));
}

TEST_CASE("parse_manifest: a manifest with no digest lines is an error", "[integrity][manifest]") {
    for (std::string text : std::vector<std::string>{"", "\n\n", "# only a comment\n"}) {
        const auto e = parse_error(text);
        CHECK(e.kind() == errc::not_found);
        CHECK_THAT(std::string(e.what()), Catch::Contains("no SHA-256 lines"));
    }
}

TEST_CASE("verify_manifest: every listed file, relative to the manifest's folder", "[integrity][manifest]") {
    integrity_test::scratch_dir dir;
    dir.write("models/a.gguf", "abc");
    dir.write("models/sub/b.gguf", "");
    dir.write("models/c.gguf", "not what the manifest says");
    const auto sums = dir.write("models/SHA256SUMS", abc_hex + "  a.gguf\n" + empty_hex + "  sub/b.gguf\n" + abc_hex +
                                                         "  c.gguf\n" + abc_hex + "  gone.gguf\n");
    const auto v = hearth::verify_manifest(sums);
    REQUIRE(v.size() == 4);
    CHECK(v[0].ok());
    CHECK(v[0].path == dir / "models/a.gguf");
    CHECK(v[1].ok());
    CHECK(v[2].result == file_verdict::outcome::mismatch);
    CHECK(v[2].actual == hearth::sha256::of("not what the manifest says"));
    CHECK_THAT(v[2].message, Catch::Contains("expected " + abc_hex));
    CHECK_THAT(v[2].message, Catch::Contains("line 3"));
    CHECK(v[3].result == file_verdict::outcome::unreadable);
    CHECK_THAT(v[3].message, Catch::Contains("gone.gguf"));
}

TEST_CASE("verify_manifest: only the named model, however its path is spelled", "[integrity][manifest]") {
    integrity_test::scratch_dir dir;
    dir.write("a.gguf", "abc");
    dir.write("b.gguf", "tampered");
    const auto sums = dir.write("SUMS", abc_hex + "  a.gguf\n" + abc_hex + "  b.gguf\n");
    const auto only_a = hearth::verify_manifest(sums, dir / "a.gguf");
    REQUIRE(only_a.size() == 1);
    CHECK(only_a[0].ok());
    const auto via_dotdot = hearth::verify_manifest(sums, dir.path() / "x" / ".." / "b.gguf");
    REQUIRE(via_dotdot.size() == 1);
    CHECK(via_dotdot[0].result == file_verdict::outcome::mismatch);

    try {
        hearth::verify_manifest(sums, dir / "c.gguf");
        FAIL("a model the manifest does not list must be an error");
    } catch (const hearth::error& e) {
        CHECK(e.kind() == errc::not_found);
        CHECK_THAT(std::string(e.what()), Catch::Contains("is not listed in manifest"));
    }
}

TEST_CASE("read_manifest: a missing manifest is an io error", "[integrity][manifest]") {
    integrity_test::scratch_dir dir;
    try {
        hearth::read_manifest(dir / "SUMS");
        FAIL("expected an error");
    } catch (const hearth::error& e) {
        CHECK(e.kind() == errc::io);
        CHECK_THAT(std::string(e.what()), Catch::Contains("SUMS"));
    }
}
