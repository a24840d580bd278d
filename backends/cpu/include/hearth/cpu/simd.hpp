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

// x * y + z rounded once. xsimd 8's fma for AVX-512 is the expression x * y + z, fused or not as
// the compiler's contraction decides: in a * b + c * d it may fuse the other product, which moved
// the SiLU exp's last bit on AVX-512 (the scalar twin and llama.cpp fuse the first). Here the
// instruction itself.
template <class B> B fused_mul_add(const B& x, const B& y, const B& z) noexcept {
#if defined(__AVX512F__)
    if constexpr (std::is_base_of_v<xsimd::avx512f, typename B::arch_type>) return _mm512_fmadd_ps(x, y, z);
    else
#endif
        return xsimd::fma(x, y, z);
}

}  // namespace cpu
HEARTH_NAMESPACE_END
