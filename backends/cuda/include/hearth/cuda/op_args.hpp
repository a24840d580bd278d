#pragma once
// The arguments of every op of the CUDA backend, as plain structs of pointers and sizes. The
// backend's glue (basic_backend.hpp) fills them; an executor runs them: device_exec launches the
// CUDA kernels on device pointers, reference_exec runs the host twins on host pointers. The same
// glue therefore runs on machines without a GPU, which is how the tests check it there.
// Strides count floats; row_bytes count bytes. Pointers are device pointers for device_exec.
#include <hearth/config.hpp>
#include <hearth/cuda/activations.hpp>
#include <hearth/dtype.hpp>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

enum class eltwise_op : std::uint8_t {
    add,     // y = a + b
    bias,    // y = a + b[col]   (b is one row)
    scale,   // y = a * s
    swiglu,  // y = silu(a) * b
    geglu,   // y = gelu_tanh(a) * b
};

struct eltwise_args {
    eltwise_op op;
    float* y;
    std::size_t y_stride;
    const float* a;
    std::size_t a_stride;
    const float* b;
    std::size_t b_stride;
    std::size_t rows, cols;
    float s;
};

// x (rows x k floats) -> activation rows of `act` (layout_of(act, k)), row_bytes apart.
struct quantize_args {
    act_kind act;
    const float* x;
    std::size_t x_stride;
    std::size_t rows, k;
    std::uint8_t* out;
    // With has_glu, x is not read: value j of row r is the gated unit glu (swiglu or geglu) computes,
    // stored to glu.y as that op stores it, then rounded: the op and the rounding in one launch.
    bool has_glu = false;
    eltwise_args glu{};
};

// One weight of a matmul and where its products go: y[t][r] = W[r] . a[t] for r < w_rows.
struct matmul_part {
    const std::uint8_t* w;
    std::size_t w_rows;
    float* y;
    std::size_t y_stride;
};

// Up to max_matmul_parts weights of one type and width times the same activation rows (a layer's
// q, k and v; its gate and up), in one launch: t < n_tokens; act: activation rows of
// act_kind_of(type).
inline constexpr int max_matmul_parts = 3;
struct matmul_args {
    dtype type;
    std::size_t w_row_bytes, k;
    const std::uint8_t* act;
    std::size_t n_tokens;
    matmul_part parts[max_matmul_parts];
    int n_parts;
    HEARTH_CUDA_HD std::size_t rows() const {
        std::size_t n = 0;
        for (int p = 0; p < n_parts; ++p) n += parts[p].w_rows;
        return n;
    }
};

// out[i] = dequantized row ids[i] of W (ids already checked against w_rows).
struct get_rows_args {
    dtype type;
    const std::uint8_t* w;
    std::size_t w_row_bytes, cols;
    const std::int32_t* ids;
    std::size_t n;
    float* out;
    std::size_t out_stride;
};


// Per segment (row i, segment h: `width` floats at x + i*x_stride + h*width):
// y = x / sqrt(mean(x^2) + eps) * w   (w: `width` floats, or null).
struct rms_norm_args {
    const float* x;
    std::size_t x_stride;
    float* y;
    std::size_t y_stride;
    std::size_t rows, segments, width;
    const float* w;
    float eps;
    // With addend set (whole rows: segments == 1), first x += addend (x's rows written back, as the
    // add op writes them), then the norm of the sums: a residual add and the next norm in one launch.
    const float* addend = nullptr;
    std::size_t addend_stride = 0;
    // With quant_out set (segments == 1), y's rows are then rounded to activation rows of quant_act
    // (layout_of(quant_act, width)) for the matmul that reads them: the norm and the rounding in one launch.
    std::uint8_t* quant_out = nullptr;
    act_kind quant_act = act_kind::f32;
};

// In place, every head of every row, at the row's position. The host computes what depends only
// on the config (theta_scale, the YaRN correction dims, the magnitude scale) exactly as the CPU
// backend does, so the device and the host twin start from the same floats.
struct rope_args {
    float* x;
    std::size_t stride, rows, heads, head_dim;
    const std::int32_t* positions;
    int n_dims;
    bool neox;
    float theta_scale;    // freq_base^(-2/n_dims)
    float freq_scale, ext_factor, mscale;
    float corr_low, corr_high;
    const float* freq_factors;  // n_dims/2 values or null
    // A second tensor rotated with the same rows, positions and constants (a layer's keys, with
    // its queries in x): one launch, the angles computed once.
    float* x2 = nullptr;
    std::size_t stride2 = 0, heads2 = 0;
};

// In place, every `block` consecutive values of each row: orthonormal Walsh-Hadamard.
struct hadamard_more {
    float* x;
    std::size_t stride, rows, cols;
};
struct hadamard_args {
    float* x;
    std::size_t stride, rows, cols, block;
    float scale;  // 1/sqrt(block), as the CPU computes it
    // Further tensors transformed in the same launch with the same block (a layer's q, k and v).
    hadamard_more more[2] = {};
    int n_more = 0;
};

// Stores rows src[i] (width floats) in cell slots[i] of a cache of `type`, quantized like ggml.
struct kv_store_args {
    dtype type;
    const float* src;
    std::size_t src_stride, width;
    const std::uint32_t* slots;
    std::size_t n;
    std::uint8_t* cache;
    std::size_t cache_row_bytes;
};

// out[i, head h] = softmax over the visible cells of (q.k * scale, soft-capped) times v.
struct attention_args {
    const float* q;
    std::size_t q_stride;
    float* out;
    std::size_t out_stride;
    std::size_t n_tokens;
    std::uint32_t n_head, n_head_kv, head_dim_k, head_dim_v;
    dtype k_type, v_type;
    const std::uint8_t* k;
    const std::uint8_t* v;
    std::size_t k_row_bytes, v_row_bytes, k_head_bytes, v_head_bytes;
    const std::int32_t* positions;  // per token
    const std::int32_t* seq_ids;    // per token
    const std::int32_t* cell_pos;   // per cell
    const std::int32_t* cell_seq;   // per cell
    std::uint32_t n_cells;          // cells in use (cell_pos/cell_seq hold this many)
    float scale;                    // kq_scale, divided by softcap when capped (as the CPU does)
    float softcap;
    std::uint32_t window;
};

}  // namespace cuda
HEARTH_NAMESPACE_END
