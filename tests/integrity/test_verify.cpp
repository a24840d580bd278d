// Verifying files against a digest: a real model file against the digest its README publishes,
// mismatches, bad digests and missing files, each with the error a user can act on.
#include <catch2/catch.hpp>
#include <hearth/integrity/verify.hpp>
#include "integrity_test_support.hpp"
#include "test_paths.hpp"
#include <cctype>
#include <array>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>
#include <cstdio>
#include <string>
#include <vector>

using hearth::errc;

namespace {
// From ../shared/models/README.md (the digest its publisher lists for the file).
constexpr const char* tiny_llama_sha256 = "81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb";
constexpr std::uintmax_t tiny_llama_bytes = 1750560;

std::filesystem::path tiny_llama() { return hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf"; }

template <class F>
hearth::error error_of(F&& f) {
    try {
        f();
    } catch (const hearth::error& e) {
        return e;
    }
    FAIL("expected a hearth::error");
    return hearth::error(errc::io, "unreachable");
}
}  // namespace

TEST_CASE("sha256_file: the shared tiny llama hashes to the digest its README lists", "[integrity][verify]") {
    REQUIRE(std::filesystem::file_size(tiny_llama()) == tiny_llama_bytes);
    CHECK(hearth::sha256_file(tiny_llama()).hex() == tiny_llama_sha256);
    CHECK_NOTHROW(hearth::verify_sha256(tiny_llama(), tiny_llama_sha256));
    std::string upper = tiny_llama_sha256;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK_NOTHROW(hearth::verify_sha256(tiny_llama(), upper));
}

TEST_CASE("verify_sha256: the cached Gemma 3 file matches the digest scripts/fetch-models pins", "[integrity][verify]") {
    const auto p = hearth_test::cached_model("gemma-3-270m-q4_k_m.gguf");
    if (p.empty()) {
        WARN("gemma-3-270m-q4_k_m.gguf not in the model cache: run scripts/fetch-models build/models");
        return;
    }
    CHECK_NOTHROW(hearth::verify_sha256(p, "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"));
}

TEST_CASE("sha256_file: progress reaches the file size", "[integrity][verify]") {
    std::uint64_t last_done = 0, last_total = 0;
    int calls = 0;
    hearth::sha256_file(tiny_llama(), [&](std::uint64_t done, std::uint64_t total) {
        CHECK(done > last_done);
        last_done = done, last_total = total, ++calls;
    });
    CHECK(calls >= 1);
    CHECK(last_done == tiny_llama_bytes);
    CHECK(last_total == tiny_llama_bytes);
}

TEST_CASE("sha256_file: an empty file has the digest of the empty message", "[integrity][verify]") {
    integrity_test::scratch_dir dir;
    const auto p = dir.write("empty.gguf", "");
    CHECK(hearth::sha256_file(p).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("verify_sha256: a mismatch names the file, both digests and the size", "[integrity][verify]") {
    std::string wrong = tiny_llama_sha256;
    wrong[10] = wrong[10] == '0' ? '1' : '0';
    const auto e = error_of([&] { hearth::verify_sha256(tiny_llama(), wrong); });
    CHECK(e.kind() == errc::bad_format);
    const std::string m = e.what();
    CHECK_THAT(m, Catch::Contains("llama-2-tiny-random.gguf"));
    CHECK_THAT(m, Catch::Contains("SHA-256 mismatch"));
    CHECK_THAT(m, Catch::Contains("expected " + wrong));
    CHECK_THAT(m, Catch::Contains(std::string("found ") + tiny_llama_sha256));
    CHECK_THAT(m, Catch::Contains(std::to_string(tiny_llama_bytes) + " bytes"));
}

TEST_CASE("verify_sha256: one flipped byte in a copy is caught", "[integrity][verify]") {
    integrity_test::scratch_dir dir;
    std::ifstream in(tiny_llama(), std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    REQUIRE(bytes.size() == tiny_llama_bytes);
    bytes[bytes.size() / 2] ^= 0x01;
    const auto p = dir.write("flipped.gguf", bytes);
    CHECK(error_of([&] { hearth::verify_sha256(p, tiny_llama_sha256); }).kind() == errc::bad_format);
    bytes.resize(bytes.size() - 1);  // and a truncated download
    dir.write("flipped.gguf", bytes);
    CHECK(error_of([&] { hearth::verify_sha256(p, tiny_llama_sha256); }).kind() == errc::bad_format);
}

TEST_CASE("verify_sha256: a digest that is not 64 hex digits is the caller's error", "[integrity][verify]") {
    for (const std::string& bad : std::vector<std::string>{"", "abc", std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'z'),
                            std::string("sha256:") + tiny_llama_sha256}) {
        INFO("'" << bad << "'");
        const auto e = error_of([&] { hearth::verify_sha256(tiny_llama(), bad); });
        CHECK(e.kind() == errc::invalid_argument);
        CHECK_THAT(std::string(e.what()), Catch::Contains("64 hex digits"));
    }
}

TEST_CASE("verify_sha256: a missing file or a folder is an io error", "[integrity][verify]") {
    integrity_test::scratch_dir dir;
    const auto missing = error_of([&] { hearth::verify_sha256(dir / "nope.gguf", tiny_llama_sha256); });
    CHECK(missing.kind() == errc::io);
    CHECK_THAT(std::string(missing.what()), Catch::Contains("nope.gguf"));
    CHECK(error_of([&] { hearth::verify_sha256(dir.path(), tiny_llama_sha256); }).kind() == errc::io);
}

TEST_CASE("require_sha256: checks bytes a loader already holds", "[integrity][verify]") {
    const std::string abc = "abc";
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(abc.data()), abc.size());
    CHECK_NOTHROW(hearth::require_sha256(bytes, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "mem"));
    const auto e = error_of([&] { hearth::require_sha256(bytes, std::string(64, '0'), "<memory>"); });
    CHECK(e.kind() == errc::bad_format);
    CHECK_THAT(std::string(e.what()), Catch::StartsWith("<memory>: SHA-256 mismatch"));
}

// Throughput on the largest cached model, for the report: `test_integrity "[.throughput]" -s`.
TEST_CASE("sha256_file throughput on gemma-3-270m", "[.throughput]") {
    const auto p = hearth_test::cached_model("gemma-3-270m-q4_k_m.gguf");
    if (p.empty()) {
        WARN("gemma-3-270m-q4_k_m.gguf not in the model cache: run scripts/fetch-models build/models");
        return;
    }
    const auto size = std::filesystem::file_size(p);
    // Wall time includes waiting for the disk and for the CPU on a shared machine; CPU time is the
    // hashing alone.
    std::printf("SHA extensions in use: %s\n", hearth::sha256::uses_sha_extensions ? "yes" : "no");
    for (int run = 0; run < 3; ++run) {
        const auto t0 = std::chrono::steady_clock::now();
        const std::clock_t c0 = std::clock();
        const auto d = hearth::sha256_file(p);
        const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("gemma-3-270m-q4_k_m.gguf: %.1f MB in %.3f s wall = %.0f MB/s; %.3f s CPU = %.0f MB/s  %s\n",
                    size / 1e6, s, size / 1e6 / s, cpu, size / 1e6 / cpu, d.hex().c_str());
    }
    const std::vector<std::byte> buf(std::size_t{256} << 20, std::byte{0x5a});
    for (int run = 0; run < 2; ++run) {
        const std::clock_t c0 = std::clock();
        const auto d = hearth::sha256::of(buf);
        const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
        std::printf("in memory, this build's kernel: 268.4 MB in %.3f s CPU = %.0f MB/s  %s\n", cpu, 268.4 / cpu, d.hex().substr(0, 16).c_str());
    }
    std::array<std::uint32_t, 8> state = hearth::detail::sha256_h0;
    const std::clock_t c0 = std::clock();
    hearth::detail::sha256_compress_scalar(state, buf.data(), buf.size() / 64);
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("in memory, scalar reference: 268.4 MB in %.3f s CPU = %.0f MB/s  (h0 %08x)\n", cpu, 268.4 / cpu,
                static_cast<unsigned>(state[0]));
}
