#pragma once
// Where tests find their data. Environment variables override the configure-time defaults so a
// test binary can be pointed at other data without a rebuild.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace hearth_test {

inline std::filesystem::path env_or(const char* var, const char* fallback) {
    const char* v = std::getenv(var);
    return std::filesystem::path(v && *v ? v : fallback);
}
// ../shared beside the checkout: small models and tokenizer vocabularies.
inline std::filesystem::path shared_dir() { return env_or("HEARTH_SHARED_DIR", HEARTH_SHARED_DIR); }
// Models that scripts/fetch-models extracted from PyPI packages.
inline std::filesystem::path model_cache() { return env_or("HEARTH_MODEL_CACHE", HEARTH_MODEL_CACHE); }
// Checked-in reference data (produced by scripts/ref/*).
inline std::filesystem::path test_data() { return std::filesystem::path(HEARTH_SOURCE_DIR) / "tests" / "data"; }

// A model from the cache, or empty when it was not fetched (the test then SKIPs visibly).
inline std::filesystem::path cached_model(const std::string& file) {
    auto p = model_cache() / file;
    return std::filesystem::exists(p) ? p : std::filesystem::path{};
}

}  // namespace hearth_test
