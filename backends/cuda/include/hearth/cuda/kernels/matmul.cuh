#pragma once
// y[t][r] = W[r] . a[t] over the quant units of weights.hpp, integer dp4a per unit.
//
// One warp per weight row, ROWS warps per block, TN tokens per block: lane l walks units l, l+32,
// ... of its row; each unit is decoded from the weight bytes ONCE and dotted with the same unit of
// all TN activation rows (register tiling over tokens: a weight unit is read from memory once per
// TN tokens; the activation units of the tile are shared by the block's ROWS warps through L1).
// Decode (one token) runs the TN = 1 instance: the whole row streams through the warp once.
// One launch may hold several weights of one type multiplying the same activations (matmul_args'
// parts: q, k and v; gate and up): their rows are numbered one after the other.
//
// Every output is summed in the host twin's order (reference/matmul.hpp): a lane's units in
// order, then the xor butterfly; so TN = 1 and TN = 8 give the same bits, and both equal the twin.
//
// Why dp4a tiles and not tensor cores: ggml's activation rounding (q8_0/q8_1/q8_K) is what keeps
// this backend's tokens equal to the CPU's, and int8 mma would need the weight units re-laid in
// fragment order; a tensor-core prefill (mma.sync m16n8k32 s8 over the same units) is the next step
// once a GPU is at hand to measure it.
#include <hearth/cuda/activations.hpp>
#include <hearth/cuda/kernels/warp.cuh>
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/weights.hpp>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {
namespace kernels {

inline constexpr int matmul_rows_per_block = 4;

// The part that global row r (counted over the parts in order) falls in, and r within it; false
// past the last part. Selected by comparisons: a dynamic index into the kernel's parameters would
// copy them to local memory.
__device__ __forceinline__ bool matmul_row_part(const matmul_args& a, std::size_t& r, matmul_part& part) {
    part = a.parts[0];
    if (r < part.w_rows) return true;
    r -= part.w_rows;
    if (a.n_parts < 2) return false;
    part = a.parts[1];
    if (r < part.w_rows) return true;
    r -= part.w_rows;
    if (a.n_parts < 3) return false;
    part = a.parts[2];
    return r < part.w_rows;
}

template <dtype T, int TN>
__global__ void __launch_bounds__(32 * matmul_rows_per_block) matmul_kernel(matmul_args a, act_layout l) {
    std::size_t r = static_cast<std::size_t>(blockIdx.x) * matmul_rows_per_block + threadIdx.y;
    matmul_part part;
    if (!matmul_row_part(a, r, part)) return;
    const std::size_t t0 = static_cast<std::size_t>(blockIdx.y) * TN;
    const int nt = static_cast<int>(a.n_tokens - t0 < TN ? a.n_tokens - t0 : TN);
    const std::size_t n_units = a.k / wfmt<T>::unit_elems;
    const std::uint8_t* w_row = part.w + r * a.w_row_bytes;
    float acc[TN];
    for (int j = 0; j < TN; ++j) acc[j] = 0.0f;
    for (std::size_t u = threadIdx.x; u < n_units; u += 32) {
        const auto w = wfmt<T>::load(w_row, u);
#pragma unroll
        for (int j = 0; j < TN; ++j)
            if (j < nt) acc[j] = fadd(acc[j], wfmt<T>::dot(w, load_act_unit<T>(a.act + (t0 + j) * l.row_bytes, l, u)));
    }
#pragma unroll
    for (int j = 0; j < TN; ++j) {
        const float s = warp_sum(acc[j]);  // every lane holds the sum
        if (static_cast<int>(threadIdx.x) == j && j < nt) part.y[(t0 + j) * part.y_stride + r] = s;
    }
}

template <class Launch>
void run_matmul(Launch& launch, const matmul_args& a) {
    visit_weight_type(a.type, [&](auto tag) {
        constexpr dtype T = decltype(tag)::value;
        const act_layout l = layout_of(wfmt<T>::act, a.k);
        const dim3 block(32, matmul_rows_per_block);
        const unsigned row_blocks = static_cast<unsigned>((a.rows() + matmul_rows_per_block - 1) / matmul_rows_per_block);
        if (a.n_tokens == 1) {
            launch(matmul_kernel<T, 1>, dim3(row_blocks, 1), block, 0, a, l);
        } else {
            constexpr int tn = 8;
            launch(matmul_kernel<T, tn>, dim3(row_blocks, static_cast<unsigned>((a.n_tokens + tn - 1) / tn)), block, 0, a, l);
        }
    });
}

// out[i] = the dequantized row ids[i]: one thread per unit.
template <dtype T>
__global__ void get_rows_kernel(get_rows_args a) {
    constexpr int ue = wfmt<T>::unit_elems;
    const std::size_t units = a.cols / ue;
    const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.n * units) return;
    const std::size_t n = i / units, u = i % units;
    const auto w = wfmt<T>::load(a.w + static_cast<std::size_t>(a.ids[n]) * a.w_row_bytes, u);
    float* out = a.out + n * a.out_stride + u * ue;
#pragma unroll
    for (int e = 0; e < ue; ++e) out[e] = wfmt<T>::value(w, e);
}

template <class Launch>
void run_get_rows(Launch& launch, const get_rows_args& a) {
    visit_weight_type(a.type, [&](auto tag) {
        constexpr dtype T = decltype(tag)::value;
        const std::size_t work = a.n * (a.cols / wfmt<T>::unit_elems);
        launch(get_rows_kernel<T>, dim3(static_cast<unsigned>((work + 127) / 128)), dim3(128), 0, a);
    });
}

}  // namespace kernels
}  // namespace cuda
HEARTH_NAMESPACE_END
