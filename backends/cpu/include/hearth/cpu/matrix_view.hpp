#pragma once
// A weight matrix: rows x cols of any computable dtype, either as it lies in the GGUF mapping
// (row-major) or repacked by the backend at load into a layout its GEMV reads faster.
#include <hearth/dtype.hpp>
#include <cstddef>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

// How a matrix's bytes are arranged.
enum class weight_layout : unsigned char {
    file,    // the GGUF's rows, row_stride_bytes apart
    q4_0x8,  // q4_0 in groups of 8 interleaved rows (packed_q4_0.hpp); rows is a multiple of 8
    q4_kx8,  // q4_K in groups of 8 interleaved rows (packed_q4_k.hpp); rows is a multiple of 8
    q8_0x8,  // q8_0 in groups of 8 interleaved rows (packed_q8_0.hpp); rows is a multiple of 8
};

struct matrix_view {
    dtype type;
    std::size_t rows;
    std::size_t cols;
    const std::byte* data;
    std::size_t row_stride_bytes;  // usually row_bytes(type, cols); for a repacked layout, the file's
    weight_layout layout = weight_layout::file;

    // Row r of a file-layout matrix (a repacked one has no contiguous rows: packed_q4_0.hpp).
    const std::byte* row(std::size_t r) const noexcept { return data + r * row_stride_bytes; }
};

}  // namespace cpu
HEARTH_NAMESPACE_END
