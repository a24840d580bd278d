#pragma once
// Activation rounding before the matmul: x rows -> activation rows (activations.hpp), the same
// bytes as the host twin (reference::quantize) and hence as ggml's reference quantizers.
//   - q8_0/q8_1: one warp per 32-value group, lane j holds x[j]: the maximum and the integer sum
//     are exact in any order, every per-value step is the twin's (fdiv, fmul, roundf);
//   - q8_K: one warp per 256-value block, 8 consecutive values per lane: the signed extreme is
//     the first of the largest magnitudes (ties to the lower index, as ggml's scan), group sums
//     over the 4 lanes of each 32-value group;
//   - f16/bf16/f32: one thread per value.
#include <hearth/cuda/activations.hpp>
#include <hearth/cuda/kernels/warp.cuh>
#include <hearth/cuda/op_args.hpp>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {
namespace kernels {

template <bool with_sum>
__global__ void quantize_q8_kernel(quantize_args a, act_layout l) {
    const std::size_t groups = a.k / 32;
    const std::size_t warp = (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = static_cast<int>(threadIdx.x % 32);
    if (warp >= a.rows * groups) return;
    const std::size_t r = warp / groups, g = warp % groups;
    const float x = a.x[r * a.x_stride + 32 * g + static_cast<std::size_t>(lane)];
    const float amax = warp_max(abs_f(x));
    const float d = fdiv(amax, 127.0f);
    const float id = d != 0.0f ? fdiv(1.0f, d) : 0.0f;
    const int v = round_away(fmul(x, id));
    std::uint8_t* row = a.out + r * l.row_bytes;
    row[32 * g + static_cast<std::size_t>(lane)] = static_cast<std::uint8_t>(static_cast<std::int8_t>(v));
    const int sum = with_sum ? warp_sum(v) : 0;
    if (lane == 0) {
        store_f32(row + l.d_offset + 4 * g, half_to_float(float_to_half(d)));
        const std::uint32_t aux =
            with_sum ? float_to_bits(half_to_float(float_to_half(fmul(static_cast<float>(sum), d)))) : 0u;
        store_u32_aligned(row + l.aux_offset + 4 * g, aux);
    }
}

template <int = 0>
__global__ void quantize_q8_k_kernel(quantize_args a, act_layout l) {
    const std::size_t blocks = a.k / 256;
    const std::size_t warp = (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = static_cast<int>(threadIdx.x % 32);
    if (warp >= a.rows * blocks) return;
    const std::size_t r = warp / blocks, b = warp % blocks;
    const float* x = a.x + r * a.x_stride + 256 * b + 8 * static_cast<std::size_t>(lane);
    float v[8];
    float amax = 0.0f, max = 0.0f;
    int idx = 1 << 30;
    for (int j = 0; j < 8; ++j) {
        v[j] = x[j];
        if (abs_f(v[j]) > amax) amax = abs_f(v[j]), max = v[j], idx = 8 * lane + j;
    }
    for (int off = 16; off > 0; off /= 2) {
        const float oa = __shfl_xor_sync(full_mask, amax, off), om = __shfl_xor_sync(full_mask, max, off);
        const int oi = __shfl_xor_sync(full_mask, idx, off);
        if (oa > amax || (oa == amax && oi < idx)) amax = oa, max = om, idx = oi;
    }
    std::uint8_t* row = a.out + r * l.row_bytes;
    const std::size_t g = 8 * b + static_cast<std::size_t>(lane) / 4;  // this lane's 32-value group
    std::uint32_t packed[2] = {0u, 0u};
    int sum = 0;
    float d = 0.0f;
    if (amax != 0.0f) {
        const float iscale = fdiv(-127.0f, max);
        d = fdiv(1.0f, iscale);
        for (int j = 0; j < 8; ++j) {
            int q = round_even(fmul(iscale, v[j]));
            q = q < 127 ? q : 127;
            sum += q;
            packed[j / 4] |= (static_cast<std::uint32_t>(q) & 0xFFu) << (8 * (j % 4));
        }
    }
    sum += __shfl_xor_sync(full_mask, sum, 1);
    sum += __shfl_xor_sync(full_mask, sum, 2);
    std::uint8_t* q = row + 256 * b + 8 * static_cast<std::size_t>(lane);
    store_u32_aligned(q, packed[0]);
    store_u32_aligned(q + 4, packed[1]);
    if (lane % 4 == 0) {
        store_f32(row + l.d_offset + 4 * g, d);
        store_u32_aligned(row + l.aux_offset + 4 * g, static_cast<std::uint32_t>(sum));
    }
}

template <int = 0>
__global__ void quantize_float_kernel(quantize_args a, act_layout l) {
    const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.rows * a.k) return;
    const std::size_t r = i / a.k, j = i % a.k;
    store_act_float(a.act, a.out + r * l.row_bytes, j, a.x[r * a.x_stride + j]);
}

template <class Launch>
void run_quantize(Launch& launch, const quantize_args& a) {
    const act_layout l = layout_of(a.act, a.k);
    constexpr unsigned threads = 256;
    auto blocks_for = [&](std::size_t work_items) { return dim3(static_cast<unsigned>((work_items + threads - 1) / threads)); };
    switch (a.act) {
    case act_kind::q8_0: launch(quantize_q8_kernel<false>, blocks_for(a.rows * (a.k / 32) * 32), dim3(threads), 0, a, l); break;
    case act_kind::q8_1: launch(quantize_q8_kernel<true>, blocks_for(a.rows * (a.k / 32) * 32), dim3(threads), 0, a, l); break;
    case act_kind::q8_k: launch(quantize_q8_k_kernel<>, blocks_for(a.rows * (a.k / 256) * 32), dim3(threads), 0, a, l); break;
    default: launch(quantize_float_kernel<>, blocks_for(a.rows * a.k), dim3(threads), 0, a, l); break;
    }
}

}  // namespace kernels
}  // namespace cuda
HEARTH_NAMESPACE_END
