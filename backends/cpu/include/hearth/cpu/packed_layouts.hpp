#pragma once
// The layouts the CPU backend repacks weights into (weight_layout), each with its packing: where
// its bytes lie, the scalar packing, a row back in the file's blocks, the scalar GEMV twin.
#include <hearth/cpu/matrix_view.hpp>
#include <hearth/cpu/packed_q4_0.hpp>
#include <hearth/cpu/packed_q4_k.hpp>
#include <hearth/cpu/packed_q8_0.hpp>
#include <hearth/error.hpp>
#include <type_traits>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

// Calls f(std::integral_constant<dtype, T>, Packing) for a repacked layout.
template <class F> decltype(auto) visit_packed_layout(weight_layout layout, F&& f) {
    switch (layout) {
    case weight_layout::q4_0x8: return f(std::integral_constant<dtype, dtype::q4_0>{}, q4_0x8_packing{});
    case weight_layout::q4_kx8: return f(std::integral_constant<dtype, dtype::q4_k>{}, q4_kx8_packing{});
    case weight_layout::q8_0x8: return f(std::integral_constant<dtype, dtype::q8_0>{}, q8_0x8_packing{});
    case weight_layout::file: break;
    }
    throw error(errc::invalid_argument, "cpu: a matrix in the file's layout is not a repacked one");
}

}  // namespace cpu
HEARTH_NAMESPACE_END
