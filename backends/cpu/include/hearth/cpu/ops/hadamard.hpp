#pragma once
// In-place orthonormal Walsh-Hadamard transform of consecutive blocks of a row: x <- H_n x per
// block of n values (n a power of two), with H_n in Sylvester order, H[i][j] = (-1)^popcount(i&j)
// / sqrt(n). H is symmetric and H*H = I, so applying it twice restores the input; dot products
// between two rows transformed alike are unchanged. The KV cache uses it to spread outlier
// channels of K and V across a block before block quantization (llama.cpp does the same).
//
// Fast transform, log2(n) butterfly stages: a SIMD loop over the pairs of a stage when the stage's
// half-width holds whole batches, the scalar loop otherwise (and for the scalar reference tag).
#include <hearth/cpu/simd.hpp>
#include <cmath>
#include <cstddef>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

template <class Arch>
inline void hadamard_block(float* x, std::size_t n) {
    for (std::size_t h = 1; h < n; h *= 2) {
        for (std::size_t i = 0; i < n; i += 2 * h) {
            float* lo = x + i;
            float* hi = x + i + h;
            std::size_t j = 0;
            if constexpr (has_float_simd<Arch>) {
                using B = fbatch<Arch>;
                for (; j + B::size <= h; j += B::size) {
                    const B a = B::load_unaligned(lo + j), b = B::load_unaligned(hi + j);
                    (a + b).store_unaligned(lo + j);
                    (a - b).store_unaligned(hi + j);
                }
            }
            for (; j < h; ++j) {
                const float a = lo[j], b = hi[j];
                lo[j] = a + b;
                hi[j] = a - b;
            }
        }
    }
    // One rounding at the end, by the same float factor llama.cpp puts in every matrix entry.
    const float s = 1.0f / std::sqrt(static_cast<float>(n));
    std::size_t j = 0;
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        for (; j + B::size <= n; j += B::size) (B::load_unaligned(x + j) * B(s)).store_unaligned(x + j);
    }
    for (; j < n; ++j) x[j] *= s;
}

// Every block of `block` values in x[0, n); n must be a multiple of block.
template <class Arch>
inline void hadamard(float* x, std::size_t n, std::size_t block) {
    for (std::size_t i = 0; i < n; i += block) hadamard_block<Arch>(x + i, block);
}

}  // namespace cpu
HEARTH_NAMESPACE_END
