// Every checked-in fuzz input (tests/data/fuzz/<target>/*) through the same code its libFuzzer
// target runs. An input may be refused with hearth::error; any other exception (the targets'
// invariant checks throw std::logic_error), a crash or a sanitizer report fails the test.
#include <catch2/catch.hpp>
#include <hearth/cpu.hpp>
#include "targets/chat_target.hpp"
#include "targets/gguf_target.hpp"
#include "targets/model_target.hpp"
#include "targets/sampler_target.hpp"
#include "targets/tokenizer_target.hpp"
#include "test_paths.hpp"
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::vector<std::filesystem::path> inputs_of(const std::string& target) {
    std::vector<std::filesystem::path> files;
    const auto dir = hearth_test::test_data() / "fuzz" / target;
    if (std::filesystem::is_directory(dir))
        for (const auto& e : std::filesystem::directory_iterator(dir))
            if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `body` on each input of `target`; returns how many ran.
std::size_t replay(const std::string& target, const std::function<void(std::span<const std::byte>)>& body) {
    const auto files = inputs_of(target);
    for (const auto& f : files) {
        const std::string bytes = read_bytes(f);
        INFO(target << " input " << f.filename().string() << " (" << bytes.size() << " bytes)");
        try {
            body({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()});
        } catch (const hearth::error&) {
            // refusing the input is fine
        } catch (const std::exception& e) {
            FAIL("invariant broken: " << e.what());
        }
    }
    return files.size();
}

}  // namespace

TEST_CASE("fuzz regressions: gguf", "[fuzz]") {
    replay("gguf", [](std::span<const std::byte> in) { hearth_fuzz::gguf_one_input(in); });
}

TEST_CASE("fuzz regressions: model", "[fuzz]") {
    static hearth::cpu::backend<> backend(hearth::cpu::options{1});
    const auto n = replay("model", [](std::span<const std::byte> in) { hearth_fuzz::model_one_input(backend, in); });
    CHECK(n >= 1);
}

TEST_CASE("fuzz regressions: tokenizer", "[fuzz]") {
    static const auto vocabularies = hearth_fuzz::load_vocabularies(hearth_test::shared_dir() / "tokenizer");
    const auto n = replay("tokenizer", [](std::span<const std::byte> in) { hearth_fuzz::tokenizer_one_input(vocabularies, in); });
    CHECK(n >= 2);
}

TEST_CASE("fuzz regressions: chat", "[fuzz]") {
    replay("chat", [](std::span<const std::byte> in) { hearth_fuzz::chat_one_input(in); });
}

TEST_CASE("fuzz regressions: sampler", "[fuzz]") {
    replay("sampler", [](std::span<const std::byte> in) { hearth_fuzz::sampler_one_input(in); });
}
