#pragma once
// Activation rounding before the matmul: x rows -> activation rows (activations.hpp), the same
// bytes as the host twin (reference::quantize) and hence as ggml's reference quantizers.
//   - q8_0/q8_1: one warp per 32-value group, lane j holds x[j]: the maximum and the integer sum
//     are exact in any order, every per-value step is the twin's (fdiv, fmul, roundf);
//   - q8_K: one warp per 256-value block, 8 consecutive values per lane: the signed extreme is
//     the first of the largest magnitudes (ties to the lower index, as ggml's scan), group sums
//     over the 4 lanes of each 32-value group;
//   - f16/bf16/f32: one thread per value.
// The input may be a gated unit computed on the way (quantize_args::has_glu: swiglu/geglu and the
// rounding in one launch), and rms_norm rounds its output with the same warp functions
// (quantize_row_by_block) when a matmul reads it next.
#include <hearth/cuda/activations.hpp>
#include <hearth/cuda/kernels/warp.cuh>
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/row_math.hpp>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {
namespace kernels {

// Value j of row r of a quantize op's input: x's, or the gated unit computed here (and stored to
// its float output, once: every value is read by exactly one thread).
struct quantize_source {
    const quantize_args& a;
    __device__ __forceinline__ float operator()(std::size_t r, std::size_t j) const {
        if (!a.has_glu) return a.x[r * a.x_stride + j];
        const eltwise_args& e = a.glu;
        const float v = eltwise_value(e.op, e.a[r * e.a_stride + j], e.b[r * e.b_stride + j], e.s);
        e.y[r * e.y_stride + j] = v;
        return v;
    }
};
// Value j of one float row (the rows rms_norm has just written).
struct row_values {
    const float* x;
    std::size_t stride;
    __device__ __forceinline__ float operator()(std::size_t r, std::size_t j) const { return x[r * stride + j]; }
};

// q8_0 / q8_1 group g of row r, by one warp (lane j: value 32 g + j).
template <bool with_sum, class Src>
__device__ __forceinline__ void quantize_q8_group(const Src& src, std::size_t r, std::size_t g, std::uint8_t* row,
                                                  const act_layout& l, int lane) {
    const float x = src(r, 32 * g + static_cast<std::size_t>(lane));
    const float amax = warp_max(abs_f(x));
    const float d = fdiv(amax, 127.0f);
    const float id = d != 0.0f ? fdiv(1.0f, d) : 0.0f;
    const int v = round_away(fmul(x, id));
    row[32 * g + static_cast<std::size_t>(lane)] = static_cast<std::uint8_t>(static_cast<std::int8_t>(v));
    const int sum = with_sum ? warp_sum(v) : 0;
    if (lane == 0) {
        store_f32(row + l.d_offset + 4 * g, half_to_float(float_to_half(d)));
        const std::uint32_t aux =
            with_sum ? float_to_bits(half_to_float(float_to_half(fmul(static_cast<float>(sum), d)))) : 0u;
        store_u32_aligned(row + l.aux_offset + 4 * g, aux);
    }
}

// q8_K block b (256 values) of row r, by one warp (lane: 8 consecutive values).
template <class Src>
__device__ __forceinline__ void quantize_q8_k_block(const Src& src, std::size_t r, std::size_t b, std::uint8_t* row,
                                                    const act_layout& l, int lane) {
    float v[8];
    float amax = 0.0f, max = 0.0f;
    int idx = 1 << 30;
    for (int j = 0; j < 8; ++j) {
        v[j] = src(r, 256 * b + 8 * static_cast<std::size_t>(lane) + static_cast<std::size_t>(j));
        if (abs_f(v[j]) > amax) amax = abs_f(v[j]), max = v[j], idx = 8 * lane + j;
    }
    for (int off = 16; off > 0; off /= 2) {
        const float oa = __shfl_xor_sync(full_mask, amax, off), om = __shfl_xor_sync(full_mask, max, off);
        const int oi = __shfl_xor_sync(full_mask, idx, off);
        if (oa > amax || (oa == amax && oi < idx)) amax = oa, max = om, idx = oi;
    }
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

// Row r of width k rounded to `act` by the `warps` warps of a block (this thread: `warp`, `lane`):
// what rms_norm does after the norm when the matmul's rounding is fused into it.
template <class Src>
__device__ __forceinline__ void quantize_row_by_block(const Src& src, std::size_t r, act_kind act, std::size_t k,
                                                      std::uint8_t* row, unsigned warp, unsigned warps, int lane) {
    const act_layout l = layout_of(act, k);
    switch (act) {
    case act_kind::q8_0:
        for (std::size_t g = warp; g < k / 32; g += warps) quantize_q8_group<false>(src, r, g, row, l, lane);
        break;
    case act_kind::q8_1:
        for (std::size_t g = warp; g < k / 32; g += warps) quantize_q8_group<true>(src, r, g, row, l, lane);
        break;
    case act_kind::q8_k:
        for (std::size_t b = warp; b < k / 256; b += warps) quantize_q8_k_block(src, r, b, row, l, lane);
        break;
    default:
        for (std::size_t j = 32 * warp + static_cast<std::size_t>(lane); j < k; j += 32 * warps)
            store_act_float(act, row, j, src(r, j));
        break;
    }
}

template <bool with_sum>
__global__ void quantize_q8_kernel(quantize_args a, act_layout l) {
    const std::size_t groups = a.k / 32;
    const std::size_t warp = (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = static_cast<int>(threadIdx.x % 32);
    if (warp >= a.rows * groups) return;
    const std::size_t r = warp / groups, g = warp % groups;
    quantize_q8_group<with_sum>(quantize_source{a}, r, g, a.out + r * l.row_bytes, l, lane);
}

template <int = 0>
__global__ void quantize_q8_k_kernel(quantize_args a, act_layout l) {
    const std::size_t blocks = a.k / 256;
    const std::size_t warp = (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = static_cast<int>(threadIdx.x % 32);
    if (warp >= a.rows * blocks) return;
    const std::size_t r = warp / blocks, b = warp % blocks;
    quantize_q8_k_block(quantize_source{a}, r, b, a.out + r * l.row_bytes, l, lane);
}

template <int = 0>
__global__ void quantize_float_kernel(quantize_args a, act_layout l) {
    const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= a.rows * a.k) return;
    const std::size_t r = i / a.k, j = i % a.k;
    store_act_float(a.act, a.out + r * l.row_bytes, j, quantize_source{a}(r, j));
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
