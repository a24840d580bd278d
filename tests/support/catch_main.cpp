// Catch2's main, compiled once and linked into every test program (Debian's prebuilt
// Catch2WithMain exists only for x86-64; this also works for the aarch64 cross build).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
