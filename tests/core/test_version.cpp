#include <catch2/catch.hpp>
#include <hearth/config.hpp>
#include <string>

TEST_CASE("the version string agrees with its numbers", "[version]") {
    using hearth::version;
    CHECK(std::string(version.string) == std::to_string(version.major) + "." +
                                             std::to_string(version.minor) + "." +
                                             std::to_string(version.patch));
}
