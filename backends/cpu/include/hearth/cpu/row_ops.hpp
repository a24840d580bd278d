#pragma once
// Single-row kernels for attention over a quantized KV cache (and anything else that works one
// row at a time): the score q.k of a query in activation format against one key row, and the
// weighted accumulation y += s * v of one value row, both without dequantizing whole rows.
//
//   quantize_row<Arch>(type, x, out, n)   x (floats) -> one row of `type` (q8_0, q8_1, q8_K, f16, bf16, f32)
//   dot_row<Arch>(k_type, k_row, q_row, n) k_row . q_row, q_row in activation_type_of(k_type)
//   axpy_row<Arch>(v_type, v_row, s, y, n) y += s * v_row, v_row in f32, f16, bf16, q8_0 or q4_0 (SIMD)
//                                          or any other computable type (reference dequantizer)
#include <hearth/cpu/get_rows.hpp>
#include <hearth/cpu/kernels/kernels.hpp>
#include <hearth/quant/blocks.hpp>
#include <cstddef>
#include <cstring>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

template <class Arch> void quantize_row(dtype type, const float* x, std::byte* out, std::size_t n) {
    kernels<Arch>::quantize_activation(type, x, out, n);
}

// n must be a whole number of blocks of k_type (no check here: this runs once per cache cell).
template <class Arch> float dot_row(dtype k_type, const std::byte* k_row, const std::byte* q_row, std::size_t n) {
    return kernels<Arch>::key_dot(k_type, k_row, q_row, n);
}

namespace detail {
// Scalar: y += s * dequantize(row), products formed like the dequantizer (d * q), then scaled.
inline void axpy_row_reference(dtype type, const std::byte* row, float s, float* y, std::size_t n) {
    thread_local std::vector<float> tmp;
    if (tmp.size() < n) tmp.resize(n);
    dequantize_row(type, row, tmp.data(), n);
    for (std::size_t i = 0; i < n; ++i) y[i] += s * tmp[i];
}
}  // namespace detail

// y += s * row (n elements of v_type, a whole number of blocks). SIMD for the KV-cache types, the
// reference otherwise. Equal to the reference up to float rounding: (d * s) * q is rounded once
// less than s * (d * q).
template <class Arch> void axpy_row(dtype v_type, const std::byte* row, float s, float* y, std::size_t n) {
    if (row_kernels<Arch>::axpy(v_type, row, s, y, n)) return;
    detail::axpy_row_reference(v_type, row, s, y, n);
}

}  // namespace cpu
HEARTH_NAMESPACE_END
