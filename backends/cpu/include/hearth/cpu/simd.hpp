#pragma once
// Maps hearth's instruction-set tags to xsimd architectures for float element-wise work.
//
// Why xsimd here: norms, activations, softmax and rope are plain float lanes plus transcendental
// functions; xsimd's batch<float> reads like scalar code and its exp/tanh are accurate to ~1e-7.
// The scalar tag has no xsimd batch: its kernels are the plain loops every op keeps for the tail.
#include <hearth/cpu/arch.hpp>
#include <xsimd/xsimd.hpp>
#include <cstddef>
#include <type_traits>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

template <class Arch> struct xsimd_arch_of { using type = void; };
template <> struct xsimd_arch_of<avx2> { using type = xsimd::fma3<xsimd::avx2>; };
template <> struct xsimd_arch_of<avx512> { using type = xsimd::avx512bw; };
template <> struct xsimd_arch_of<neon> { using type = xsimd::neon64; };

// True when Arch has a float SIMD batch (everything but the scalar reference).
template <class Arch>
inline constexpr bool has_float_simd = !std::is_void_v<typename xsimd_arch_of<Arch>::type>;

template <class Arch> using fbatch = xsimd::batch<float, typename xsimd_arch_of<Arch>::type>;

}  // namespace cpu
HEARTH_NAMESPACE_END
