#pragma once
// Where tests find their data: from environment variables that ctest sets for every test (see
// tests/CMakeLists.txt). Paths are not compiled in, so the objects of two clones of the repository
// are identical and ccache serves the second from the first. To run a test binary by hand, set
// HEARTH_SOURCE_DIR (and HEARTH_SHARED_DIR, HEARTH_MODEL_CACHE, HEARTH_BINARY_DIR as needed).
#include <cstdlib>
#include <filesystem>
#include <string>

namespace hearth_test {

inline std::filesystem::path env_or(const char* var, const char* fallback) {
    const char* v = std::getenv(var);
    return std::filesystem::path(v && *v ? v : fallback);
}
// The checkout: tests/data, README.md, examples.
inline std::filesystem::path source_dir() { return env_or("HEARTH_SOURCE_DIR", "."); }
// The build tree, for files tests write.
inline std::filesystem::path binary_dir() { return env_or("HEARTH_BINARY_DIR", "."); }
// ../shared beside the checkout: small models and tokenizer vocabularies.
inline std::filesystem::path shared_dir() { return env_or("HEARTH_SHARED_DIR", (source_dir() / ".." / "shared").c_str()); }
// Models that scripts/fetch-models extracted from PyPI packages.
inline std::filesystem::path model_cache() { return env_or("HEARTH_MODEL_CACHE", (source_dir() / "build" / "models").c_str()); }
// Checked-in reference data (produced by scripts/ref/*).
inline std::filesystem::path test_data() { return source_dir() / "tests" / "data"; }

// A model from the cache, or empty when it was not fetched (the test then SKIPs visibly).
inline std::filesystem::path cached_model(const std::string& file) {
    auto p = model_cache() / file;
    return std::filesystem::exists(p) ? p : std::filesystem::path{};
}

}  // namespace hearth_test
