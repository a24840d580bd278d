// Exits 77 (ctest SKIP) before any test runs when this host cannot execute the instruction set
// the program was compiled for, and says so.
#include "cpu_test_support.hpp"

namespace {
struct arch_guard {
    arch_guard() {
        if (!hearth::cpu::host_supports<cpu_test::arch>()) {
            std::fprintf(stderr, "SKIP: this host cannot run %s code\n", hearth::cpu::arch_name<cpu_test::arch>);
            std::exit(77);
        }
        std::fprintf(stderr, "testing cpu kernels for arch %s\n", hearth::cpu::arch_name<cpu_test::arch>);
    }
} guard;
}  // namespace

TEST_CASE("arch: the compiled instruction set is the expected one", "[cpu][arch]") {
    const std::string name = hearth::cpu::arch_name<cpu_test::arch>;
    CHECK((name == "scalar" || name == "avx2" || name == "avx512" || name == "neon"));
    CHECK(hearth::cpu::host_supports<hearth::cpu::scalar>());
}
