#pragma once
// A weight matrix as it lies in the GGUF mapping: rows x cols, row-major, any computable dtype.
#include <hearth/dtype.hpp>
#include <cstddef>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

struct matrix_view {
    dtype type;
    std::size_t rows;
    std::size_t cols;
    const std::byte* data;
    std::size_t row_stride_bytes;  // usually row_bytes(type, cols)

    const std::byte* row(std::size_t r) const noexcept { return data + r * row_stride_bytes; }
};

}  // namespace cpu
HEARTH_NAMESPACE_END
