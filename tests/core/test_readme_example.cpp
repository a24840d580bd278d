// README.md shows examples/embed/embed.cpp verbatim; CI compiles that file, so the example in the
// README is known to compile as long as the two stay identical.
#include <catch2/catch.hpp>
#include <test_paths.hpp>
#include <fstream>
#include <sstream>
#include <string>

static std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST_CASE("README's embedding example is examples/embed/embed.cpp", "[readme]") {
    const std::string readme = slurp(hearth_test::source_dir().string() + "/README.md");
    const std::string code = slurp(hearth_test::source_dir().string() + "/examples/embed/embed.cpp");
    REQUIRE(!code.empty());
    CHECK(readme.find("```cpp\n" + code + "```") != std::string::npos);
    std::size_t lines = 0;
    for (char c : code) lines += c == '\n';
    CHECK(lines <= 16);
}
