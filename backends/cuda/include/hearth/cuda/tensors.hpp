#pragma once
// What the CUDA backend hands to the model graph. Memory is owned by shared pointers whose deleter
// belongs to the executor (cudaFree for the device, delete[] for the host twin), so views and
// copies keep their storage alive and nothing is freed while a tensor still refers to it.
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

using memory = std::shared_ptr<std::uint8_t>;

// rows x cols f32 values; element (i, j) at data[i * stride + j]. Views share the storage.
struct tensor {
    memory storage;
    float* data = nullptr;
    std::size_t n_rows = 0, n_cols = 0, stride = 0;
    float* row(std::size_t i) const { return data + i * stride; }
};

// A GGUF tensor in the executor's memory, rows x cols of `type` (raw blocks, decoded by the
// kernels). Vectors (norm weights, biases, rope factors) are stored as f32: `f32` points at them.
struct weight {
    dtype type = dtype::f32;
    std::size_t rows = 0, cols = 0, row_bytes = 0;
    memory storage;
    const std::uint8_t* data = nullptr;
    const float* f32 = nullptr;
};

// K and V of one layer for every cell: cell c's row holds all kv heads of the token in cell c,
// in the cache's dtypes (GGUF block layouts, so it is byte-comparable with the CPU backend's).
struct kv_layer {
    dtype k_type = dtype::f16, v_type = dtype::f16;
    std::uint32_t n_cells = 0, n_head_kv = 0, head_dim_k = 0, head_dim_v = 0;
    std::size_t k_row_bytes = 0, v_row_bytes = 0, k_head_bytes = 0, v_head_bytes = 0;
    memory k, v;
};

}  // namespace cuda
HEARTH_NAMESPACE_END
