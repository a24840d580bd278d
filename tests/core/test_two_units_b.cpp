// The second translation unit of the link test (see test_two_units_a.cpp).
#include <hearth/cpu.hpp>
#include <hearth/hearth.hpp>
#include <string>

std::string hearth_unit_b_arch() { return hearth::cpu::arch_name<hearth::cpu::native_arch>; }
