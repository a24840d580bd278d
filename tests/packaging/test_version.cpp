// config.hpp's version macros must equal CMake's project(VERSION), the single version source
// (the build passes it in as PROJECT_VERSION*); the other copies are checked by versions.cmake.
#include <catch2/catch.hpp>
#include <hearth/config.hpp>
#include <string>

TEST_CASE("config.hpp's version is project(VERSION)", "[packaging]") {
    CHECK(HEARTH_VERSION_MAJOR == PROJECT_VERSION_MAJOR);
    CHECK(HEARTH_VERSION_MINOR == PROJECT_VERSION_MINOR);
    CHECK(HEARTH_VERSION_PATCH == PROJECT_VERSION_PATCH);
    CHECK(std::string(HEARTH_VERSION_STRING) == PROJECT_VERSION);
    CHECK(hearth::version.major == PROJECT_VERSION_MAJOR);
    CHECK(hearth::version.minor == PROJECT_VERSION_MINOR);
    CHECK(hearth::version.patch == PROJECT_VERSION_PATCH);
    CHECK(std::string(hearth::version.string) == PROJECT_VERSION);
}
