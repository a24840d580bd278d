#pragma once
// Warp-wide reductions by xor butterfly (offsets 16, 8, 4, 2, 1): every lane ends with the same
// value, and the float sum is exactly what reference::warp_butterfly_sum computes on the host.
#include <hearth/cuda/portable.hpp>

HEARTH_NAMESPACE_BEGIN
namespace cuda {
namespace kernels {

inline constexpr unsigned full_mask = 0xffffffffu;

__device__ __forceinline__ float warp_sum(float v) {
    for (int off = 16; off > 0; off /= 2) v = fadd(v, __shfl_xor_sync(full_mask, v, off));
    return v;
}
__device__ __forceinline__ int warp_sum(int v) {
    for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(full_mask, v, off);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int off = 16; off > 0; off /= 2) v = ::fmaxf(v, __shfl_xor_sync(full_mask, v, off));
    return v;
}

}  // namespace kernels
}  // namespace cuda
HEARTH_NAMESPACE_END
