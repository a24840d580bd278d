// Replay driver: runs a fuzz target's LLVMFuzzerTestOneInput once over every file it is given
// (files, or folders of files), without libFuzzer. scripts/fuzz-coverage links it into the
// targets built with clang's source-based coverage, so the report counts what the corpus reaches
// and nothing of libFuzzer's own instrumentation.
//
// Usage: fuzz_<target> PATH...   (prints how many inputs ran; exits 1 if any input let an
// exception escape, naming it: under libFuzzer that input would have been a finding)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Defined only by the targets that load something once before the first input (the tokenizer's
// vocabularies); weak so the others link without it.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// Every regular file under the arguments, in name order within a folder (a stable order gives
// the same profile from the same corpus).
std::vector<fs::path> inputs_of(int argc, char** argv) {
    std::vector<fs::path> all;
    for (int i = 1; i < argc; ++i) {
        const fs::path p = argv[i];
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<fs::path> here;
            for (const auto& e : fs::recursive_directory_iterator(p, ec))
                if (e.is_regular_file()) here.push_back(e.path());
            std::sort(here.begin(), here.end());
            all.insert(all.end(), here.begin(), here.end());
        } else if (fs::is_regular_file(p, ec)) {
            all.push_back(p);
        } else {
            std::fprintf(stderr, "replay: %s: no such file or folder (skipped)\n", argv[i]);
        }
    }
    return all;
}

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    std::size_t ran = 0, escaped = 0;
    for (const auto& p : inputs_of(argc, argv)) {
        const auto bytes = read_bytes(p);  // exactly the input's size, as libFuzzer passes it
        try {
            LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
        } catch (const std::exception& e) {
            ++escaped;
            std::fprintf(stderr, "replay: %s: exception escaped: %s\n", p.c_str(), e.what());
        } catch (...) {
            ++escaped;
            std::fprintf(stderr, "replay: %s: unknown exception escaped\n", p.c_str());
        }
        ++ran;
    }
    std::printf("replay: %zu inputs run, %zu with an escaped exception\n", ran, escaped);
    return escaped == 0 ? 0 : 1;
}
