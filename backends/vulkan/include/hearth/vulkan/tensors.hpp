#pragma once
// What the Vulkan backend hands to the model graph: activation tensors (f32 matrices in device
// buffers, possibly row/column views), weights (raw GGUF blocks in device memory, in one or more
// row segments) and per-layer KV storage (device buffers in the cache's dtypes).
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/vulkan/buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

// rows x cols f32 values; element (i, j) is float number offset + i * stride + j of the buffer.
struct device_tensor {
    buffer_ptr buf;
    std::size_t offset = 0, n_rows = 0, n_cols = 0, stride = 0;  // in floats
};

// A run of whole rows of a weight in one buffer. Weights larger than what one shader binding may
// address (maxStorageBufferRange, 128 MiB on some drivers) are split into several.
struct weight_segment {
    buffer_ptr buf;
    std::size_t offset = 0;  // bytes
    std::size_t first_row = 0, rows = 0;
};

struct device_weight {
    dtype type = dtype::f32;           // as stored on the device (vectors: always f32)
    std::size_t rows = 0, cols = 0;    // rows x cols (1 row for vectors: norms, biases, rope factors)
    std::size_t row_bytes = 0;         // on the device
    std::vector<weight_segment> segments;
    std::shared_ptr<const std::vector<float>> host;  // vectors: the f32 values on the host too
};

// K and V of one layer for every cell: cell c's row holds all kv heads of the token in cell c.
struct kv_layer {
    dtype k_type = dtype::f16, v_type = dtype::f16;
    std::uint32_t n_cells = 0, n_head_kv = 0, head_dim_k = 0, head_dim_v = 0;
    std::size_t k_row_bytes = 0, v_row_bytes = 0, k_head_bytes = 0, v_head_bytes = 0;
    buffer_ptr k, v;
};

}  // namespace vulkan
HEARTH_NAMESPACE_END
