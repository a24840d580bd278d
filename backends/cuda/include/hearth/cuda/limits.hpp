#pragma once
// Sizes the kernels keep in registers or shared memory; the backend refuses larger ones with a
// hearth::error before anything is launched.
#include <hearth/config.hpp>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

inline constexpr std::uint32_t max_head_dim = 512;       // attention: value dims per lane x 32, query row
inline constexpr int max_rope_dims = 1024;               // rope: angle tables of max_rope_dims / 2 pairs
inline constexpr std::size_t max_hadamard_block = 1024;  // hadamard: one block in shared memory

}  // namespace cuda
HEARTH_NAMESPACE_END
