// Two translation units of one program include the whole library (this one and
// test_two_units_b.cpp): every function defined in a header must be inline or a template, or the
// link fails with duplicate symbols.
#include <catch2/catch.hpp>
#include <hearth/cpu.hpp>
#include <hearth/hearth.hpp>

std::string hearth_unit_b_arch();

TEST_CASE("two translation units include the whole library and link", "[odr]") {
    CHECK(hearth_unit_b_arch() == hearth::cpu::arch_name<hearth::cpu::native_arch>);
    CHECK(hearth::parse_dtype("q4_0") == hearth::dtype::q4_0);
}
