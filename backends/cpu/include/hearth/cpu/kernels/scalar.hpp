#pragma once
// The scalar reference twin: every weight format through hearth::quant's reference dot products
// (the same integer sums and float order as ggml's generic C), the activation quantizers through
// hearth::quant's reference quantizers. Every SIMD kernel is tested against this.
#include <hearth/cpu/kernels/format.hpp>
#include <hearth/cpu/kernels/tile.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <hearth/quant/dot.hpp>
#include <hearth/quant/dot_kquants.hpp>
#include <hearth/quant/iq4_nl.hpp>
#include <hearth/quant/kquants.hpp>
#include <hearth/quant/legacy.hpp>
#include <cstddef>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

namespace scalar_detail {

template <dtype T> inline float load_float(const std::byte* row, std::size_t i) noexcept {
    if constexpr (T == dtype::f32) {
        float v;
        std::memcpy(&v, row + 4 * i, 4);
        return v;
    } else {
        std::uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        return T == dtype::f16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
    }
}

// Dot product of one weight row and one activation row of k elements.
template <dtype T> inline float ref_dot(const std::byte* w, const std::byte* a, std::size_t k) noexcept {
    if constexpr (T == dtype::f32 || T == dtype::f16 || T == dtype::bf16) {
        // ggml's scalar float dots accumulate the float products in double.
        double sum = 0.0;
        for (std::size_t i = 0; i < k; ++i)
            sum += static_cast<double>(load_float<T>(w, i) * load_float<T>(a, i));
        return static_cast<float>(sum);
    } else {
        using wb = quant::block_t<T>;
        constexpr std::size_t qk = quant::traits_block_elems(T);
        const std::size_t nb = k / qk;
        const auto* x = reinterpret_cast<const wb*>(w);
        if constexpr (T == dtype::q4_0) return quant::vec_dot_q4_0_q8_0(x, reinterpret_cast<const quant::block_q8_0*>(a), nb);
        if constexpr (T == dtype::q4_1) return quant::vec_dot_q4_1_q8_1(x, reinterpret_cast<const quant::block_q8_1*>(a), nb);
        if constexpr (T == dtype::q5_0) return quant::vec_dot_q5_0_q8_0(x, reinterpret_cast<const quant::block_q8_0*>(a), nb);
        if constexpr (T == dtype::q5_1) return quant::vec_dot_q5_1_q8_1(x, reinterpret_cast<const quant::block_q8_1*>(a), nb);
        if constexpr (T == dtype::q8_0) return quant::vec_dot_q8_0_q8_0(x, reinterpret_cast<const quant::block_q8_0*>(a), nb);
        if constexpr (T == dtype::iq4_nl) return quant::vec_dot_iq4_nl_q8_0(x, reinterpret_cast<const quant::block_q8_0*>(a), nb);
        if constexpr (T == dtype::q2_k) return quant::vec_dot_q2_k_q8_k(x, reinterpret_cast<const quant::block_q8_k*>(a), nb);
        if constexpr (T == dtype::q3_k) return quant::vec_dot_q3_k_q8_k(x, reinterpret_cast<const quant::block_q8_k*>(a), nb);
        if constexpr (T == dtype::q4_k) return quant::vec_dot_q4_k_q8_k(x, reinterpret_cast<const quant::block_q8_k*>(a), nb);
        if constexpr (T == dtype::q5_k) return quant::vec_dot_q5_k_q8_k(x, reinterpret_cast<const quant::block_q8_k*>(a), nb);
        if constexpr (T == dtype::q6_k) return quant::vec_dot_q6_k_q8_k(x, reinterpret_cast<const quant::block_q8_k*>(a), nb);
    }
}

// Tile policy of the reference: one dot product per output, K counted in elements.
template <dtype T> struct ref_policy {
    static constexpr int gemv_rm = 1, gemm_rm = 1, gemm_rn = 1;
    static constexpr bool counts_elements = true;
    template <int RM, int RN>
    static void tile(const std::byte* w, std::size_t ws, const std::byte* a, std::size_t as, std::size_t k, float* y,
                     std::size_t ys) {
        for (int r = 0; r < RM; ++r)
            for (int t = 0; t < RN; ++t) y[t * ys + r] = ref_dot<T>(w + r * ws, a + t * as, k);
    }
};

// Reference activation quantizer: x (k floats) -> one row of dtype act. q8_0/q8_1 rows are
// rounded by convention r (the scalar arch uses ggml's reference; the SIMD arches' twins pass theirs).
inline void ref_quantize_activation(dtype act, const float* x, std::byte* out, std::size_t k,
                                    quant::q8_rounding r = quant::q8_rounding::reference) {
    switch (act) {
    case dtype::f32: std::memcpy(out, x, k * sizeof(float)); return;
    case dtype::f16:
        for (std::size_t i = 0; i < k; ++i) {
            const std::uint16_t h = fp32_to_fp16(x[i]);
            std::memcpy(out + 2 * i, &h, 2);
        }
        return;
    case dtype::bf16:
        for (std::size_t i = 0; i < k; ++i) {
            const std::uint16_t h = fp32_to_bf16(x[i]);
            std::memcpy(out + 2 * i, &h, 2);
        }
        return;
    case dtype::q8_0: return quant::quantize(x, reinterpret_cast<quant::block_q8_0*>(out), k / qk_legacy, r);
    case dtype::q8_1: return quant::quantize(x, reinterpret_cast<quant::block_q8_1*>(out), k / qk_legacy, r);
    case dtype::q8_k: return quant::quantize(x, reinterpret_cast<quant::block_q8_k*>(out), k / qk_k);
    default: throw error(errc::unsupported, "cpu: no activation quantizer for " + std::string(name(act)));
    }
}

}  // namespace scalar_detail

template <dtype T>
    requires(matmul_supports(T))
struct format<scalar, T> {
    using policy = scalar_detail::ref_policy<T>;
};

// The q8_0/q8_1 rounding convention of Arch's activation quantizer: the one llama.cpp uses on the
// same instruction set (see quant::q8_rounding), so both engines feed the same integers to a matmul.
template <class Arch> inline constexpr quant::q8_rounding activation_rounding = quant::q8_rounding::reference;

// Arch-specific activation quantizer; the scalar one is the reference.
template <class Arch> struct activation_quantizer {
    static void row(dtype act, const float* x, std::byte* out, std::size_t k) {
        scalar_detail::ref_quantize_activation(act, x, out, k);
    }
};

}  // namespace cpu
HEARTH_NAMESPACE_END
