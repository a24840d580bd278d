#pragma once
// y[t][r] = sum_k W[r][k] * x[t][k] for t < n_tokens, W straight from the mapping in any
// computable dtype. Activations are quantized ONCE per call to the weight's activation format
// (into the context's scratch), then each thread computes a contiguous range of output rows:
// GEMV for one token (memory-bound: every thread streams its own slice of W exactly once), a
// register-tiled GEMM for several (each weight block unpacked once per tile of tokens).
#include <hearth/cpu/kernels/kernels.hpp>
#include <hearth/cpu/matrix_view.hpp>
#include <hearth/cpu/scratch.hpp>
#include <hearth/cpu/thread_pool.hpp>
#include <hearth/error.hpp>
#include <cstddef>
#include <string>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

struct matmul_context {
    thread_pool& pool;
    scratch_buffer activations;  // quantized activation rows; grown, never shrunk
    scratch_buffer token_side;   // what a GEMM derives from them once per call (kernels::token_side_buffer)

    explicit matmul_context(thread_pool& p) : pool(p) {}
};

namespace detail {
inline void check_matmul(const matrix_view& W) {
    if (!matmul_supports(W.type))
        throw error(errc::unsupported, "cpu matmul: weight type " + std::string(name(W.type)) + " has no kernel");
    const std::size_t need = row_bytes(W.type, W.cols);  // throws when cols is not whole blocks
    if (W.rows > 1 && W.row_stride_bytes < need)
        throw error(errc::invalid_argument, "cpu matmul: row stride " + std::to_string(W.row_stride_bytes) +
                                                " bytes is smaller than a " + std::string(name(W.type)) + " row of " +
                                                std::to_string(W.cols) + " elements (" + std::to_string(need) + ")");
}
// Rows per scheduling unit: a multiple of every tile height, and 16 floats = one cache line of y
// so two threads never write the same line.
inline constexpr std::size_t row_grain = 16;
}  // namespace detail

template <class Arch>
void matmul(matmul_context& ctx, const matrix_view& W, const float* x, std::size_t x_stride, std::size_t n_tokens,
            float* y, std::size_t y_stride) {
    detail::check_matmul(W);
    if (n_tokens == 0 || W.rows == 0) return;
    const std::size_t k = W.cols;
    const dtype act = activation_type_of(W.type);

    const std::byte* a = nullptr;
    std::size_t a_stride = 0;
    std::byte* side = nullptr;
    if (act == dtype::f32) {
        a = reinterpret_cast<const std::byte*>(x);  // f32 weights read the activations as they are
        a_stride = x_stride * sizeof(float);
    } else {
        a_stride = (row_bytes(act, k) + scratch_buffer::alignment - 1) / scratch_buffer::alignment *
                   scratch_buffer::alignment;
        std::byte* buf = ctx.activations.get(a_stride * n_tokens);
        // What the GEMM derives from the activations (kernels::token_side_buffer) is made here,
        // once, by the thread that quantized them, not by every row range of every thread (a
        // thread runs many; made there, q8_0's cost a 256-row matmul 30% on two threads).
        side = n_tokens > 1 ? kernels<Arch>::token_side_buffer(W, n_tokens, ctx.token_side) : nullptr;
        ctx.pool.parallel_for(
            n_tokens,
            [&](unsigned, std::size_t t0, std::size_t t1) {
                for (std::size_t t = t0; t < t1; ++t)
                    kernels<Arch>::quantize_activation(act, x + t * x_stride, buf + t * a_stride, k);
                if (side) kernels<Arch>::make_token_side(W, buf, a_stride, t0, t1, n_tokens, side);
            },
            side ? kernels<Arch>::token_tile(W, n_tokens) : 1);
        a = buf;
    }
    ctx.pool.parallel_for(
        W.rows,
        [&](unsigned, std::size_t r0, std::size_t r1) {
            kernels<Arch>::rows(W, r0, r1, a, a_stride, n_tokens, y, y_stride, side);
        },
        detail::row_grain);
}

}  // namespace cpu
HEARTH_NAMESPACE_END
