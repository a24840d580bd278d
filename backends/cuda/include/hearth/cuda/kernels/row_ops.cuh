#pragma once
// The row-wise ops: element-wise (add, bias, scale, swiglu, geglu), rms_norm over rows or heads,
// rotary embedding and the blocked Walsh-Hadamard transform. Each computes what its host twin in
// reference/row_ops.hpp computes, with the same row_math.hpp functions.
#include <hearth/cuda/kernels/quantize.cuh>
#include <hearth/cuda/kernels/warp.cuh>
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/row_math.hpp>
#include <hearth/cuda/limits.hpp>
#include <algorithm>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {
namespace kernels {

// One thread per element (grid-stride: any number of rows).
template <int = 0>
__global__ void eltwise_kernel(eltwise_args a) {
    const std::size_t n = a.rows * a.cols;
    for (std::size_t idx = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n;
         idx += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
        const std::size_t i = idx / a.cols, j = idx % a.cols;
        const float y = a.b ? a.b[i * a.b_stride + j] : 0.0f;
        a.y[i * a.y_stride + j] = eltwise_value(a.op, a.a[i * a.a_stride + j], y, a.s);
    }
}

inline unsigned grid_for(std::size_t n, unsigned threads) {
    const std::size_t blocks = (n + threads - 1) / threads;
    return static_cast<unsigned>(blocks < 65535u * 16u ? (blocks ? blocks : 1) : 65535u * 16u);
}

template <class Launch>
void run_eltwise(Launch& launch, const eltwise_args& a) {
    if (a.rows * a.cols == 0) return;
    launch(eltwise_kernel<>, dim3(grid_for(a.rows * a.cols, 256)), dim3(256), 0, a);
}

// One block per segment; the sum of squares reduced per warp, then across the block's warps.
// Each thread holds up to rms_per_thread of its elements (and their weights) in registers from
// the first pass to the second: all its loads are in flight at once, where a strided loop waited
// for each (on an H100 a 2048-wide row took 10 us). Rows wider than that per thread run the rest
// through plain loops. rms_norm may be in place (y = x): every element is read before it is written.
// With an addend (rms_norm_args) the kernel is the residual add then the norm; y may then be the
// addend itself (add(x, cur), then rms_norm(x) into cur): every addend element is read before the
// block's barrier, every y element written after it.
inline constexpr int rms_per_thread = 8;

template <int = 0>
__global__ void rms_norm_kernel(rms_norm_args a) {
    const std::size_t seg = blockIdx.x;
    const std::size_t i = seg / a.segments, h = seg % a.segments;
    const float* x = a.x + i * a.x_stride + h * a.width;
    float* y = a.y + i * a.y_stride + h * a.width;
    const std::size_t t = threadIdx.x, n = blockDim.x, held = rms_per_thread * n;
    float xv[rms_per_thread], wv[rms_per_thread];
#pragma unroll
    for (int k = 0; k < rms_per_thread; ++k) {
        const std::size_t j = t + k * n;
        xv[k] = j < a.width ? x[j] : 0.0f;
        wv[k] = a.w && j < a.width ? a.w[j] : 0.0f;
    }
    if (a.addend) {  // the residual add first: x += addend, written back (each thread its own elements)
        float* xs = const_cast<float*>(x);
        const float* b = a.addend + i * a.addend_stride;
        float bv[rms_per_thread];  // all loaded before the first store (which might alias them)
#pragma unroll
        for (int k = 0; k < rms_per_thread; ++k) {
            const std::size_t j = t + k * n;
            bv[k] = j < a.width ? b[j] : 0.0f;
        }
#pragma unroll
        for (int k = 0; k < rms_per_thread; ++k) {
            const std::size_t j = t + k * n;
            if (j < a.width) xv[k] = xv[k] + bv[k], xs[j] = xv[k];
        }
        for (std::size_t j = t + held; j < a.width; j += n) xs[j] = xs[j] + b[j];
    }
    float sum = 0.0f;
#pragma unroll
    for (int k = 0; k < rms_per_thread; ++k) sum += xv[k] * xv[k];
    for (std::size_t j = t + held; j < a.width; j += n) sum += x[j] * x[j];
    sum = warp_sum(sum);
    __shared__ float partial[32];
    if (t % 32 == 0) partial[t / 32] = sum;
    __syncthreads();
    float total = 0.0f;
    for (unsigned w = 0; w < n / 32; ++w) total += partial[w];
    const float s = 1.0f / ::sqrtf(total / static_cast<float>(a.width) + a.eps);
    for (std::size_t j = t + held; j < a.width; j += n) y[j] = a.w ? x[j] * s * a.w[j] : x[j] * s;
#pragma unroll
    for (int k = 0; k < rms_per_thread; ++k) {
        const std::size_t j = t + k * n;
        if (j < a.width) y[j] = a.w ? xv[k] * s * wv[k] : xv[k] * s;
    }
    if (!a.quant_out) return;
    __syncthreads();  // the block's writes of y are visible to its threads after the barrier
    quantize_row_by_block(row_values{a.y, a.y_stride}, i, a.quant_act, a.width,
                          a.quant_out + i * layout_of(a.quant_act, a.width).row_bytes, static_cast<unsigned>(t / 32),
                          static_cast<unsigned>(n / 32), static_cast<int>(t % 32));
}

template <class Launch>
void run_rms_norm(Launch& launch, const rms_norm_args& a) {
    if (a.rows * a.segments == 0) return;
    // Enough warps that each thread holds at most rms_per_thread elements (up to 1024 threads).
    const std::size_t warps = (a.width + 32 * rms_per_thread - 1) / (32 * rms_per_thread);
    const unsigned threads = static_cast<unsigned>(32 * (warps < 1 ? 1 : warps > 32 ? 32 : warps));
    launch(rms_norm_kernel<>, dim3(static_cast<unsigned>(a.rows * a.segments)), dim3(threads), 0, a);
}

// Rotates the pairs of `heads` heads of one row with the block's cos/sin tables, a pair per thread in turn.
__device__ __forceinline__ void rope_row(float* row, std::size_t heads, const rope_args& a, const float* cs, const float* sn) {
    const std::size_t pairs = static_cast<std::size_t>(a.n_dims / 2);
    for (std::size_t idx = threadIdx.x; idx < heads * pairs; idx += blockDim.x) {
        const int p = static_cast<int>(idx % pairs);
        rope_rotate(row + (idx / pairs) * a.head_dim, p, a.n_dims, a.neox, cs[p], sn[p]);
    }
}

// One block per token: thread 0 walks the angles pair after pair (theta *= theta_scale, the CPU's
// float recurrence), every thread then turns its pairs' angles into cos/sin, then rotates pairs of
// all heads.
template <int = 0>
__global__ void rope_kernel(rope_args a) {
    __shared__ float theta[max_rope_dims / 2], cs[max_rope_dims / 2], sn[max_rope_dims / 2];
    const int pairs = a.n_dims / 2;
    const std::size_t i = blockIdx.x;
    if (threadIdx.x == 0) {
        float t = static_cast<float>(a.positions[i]);
        for (int p = 0; p < pairs; ++p) theta[p] = t, t *= a.theta_scale;
    }
    __syncthreads();
    for (int p = static_cast<int>(threadIdx.x); p < pairs; p += static_cast<int>(blockDim.x))
        rope_pair(a, theta[p], 2 * p, cs[p], sn[p]);
    __syncthreads();
    rope_row(a.x + i * a.stride, a.heads, a, cs, sn);
    if (a.x2) rope_row(a.x2 + i * a.stride2, a.heads2, a, cs, sn);
}

template <class Launch>
void run_rope(Launch& launch, const rope_args& a) {
    if (a.rows) launch(rope_kernel<>, dim3(static_cast<unsigned>(a.rows)), dim3(128), 0, a);
}

// One block per (row, transform block): log2(block) butterfly stages in shared memory, one pair
// per thread per stage, then the 1/sqrt(block) scale: the CPU's operations, so the same bits.
template <int = 0>
__global__ void hadamard_kernel(hadamard_args a) {
    __shared__ float buf[max_hadamard_block];
    // blockIdx.z picks the tensor: 0 is a's own, 1 and 2 its `more` (the grid covers the largest).
    hadamard_more t{a.x, a.stride, a.rows, a.cols};
    if (blockIdx.z == 1) t = a.more[0];
    if (blockIdx.z == 2) t = a.more[1];
    const std::size_t i = blockIdx.x, b0 = static_cast<std::size_t>(blockIdx.y) * a.block;
    if (i >= t.rows || b0 >= t.cols) return;  // the whole block: before any barrier
    float* x = t.x + i * t.stride + b0;
    for (std::size_t k = threadIdx.x; k < a.block; k += blockDim.x) buf[k] = x[k];
    __syncthreads();
    for (std::size_t h = 1; h < a.block; h *= 2) {
        for (std::size_t p = threadIdx.x; p < a.block / 2; p += blockDim.x) {
            const std::size_t j = (p / h) * 2 * h + p % h;
            const float u = buf[j], v = buf[j + h];
            buf[j] = u + v;
            buf[j + h] = u - v;
        }
        __syncthreads();
    }
    for (std::size_t k = threadIdx.x; k < a.block; k += blockDim.x) x[k] = buf[k] * a.scale;
}

template <class Launch>
void run_hadamard(Launch& launch, const hadamard_args& a) {
    if (a.rows == 0) return;
    const unsigned threads = static_cast<unsigned>(a.block >= 64 ? a.block / 2 : 32);
    std::size_t rows = a.rows, cols = a.cols;
    for (int m = 0; m < a.n_more; ++m) rows = std::max(rows, a.more[m].rows), cols = std::max(cols, a.more[m].cols);
    launch(hadamard_kernel<>, dim3(static_cast<unsigned>(rows), static_cast<unsigned>(cols / a.block), 1u + static_cast<unsigned>(a.n_more)),
           dim3(threads), 0, a);
}

}  // namespace kernels
}  // namespace cuda
HEARTH_NAMESPACE_END
