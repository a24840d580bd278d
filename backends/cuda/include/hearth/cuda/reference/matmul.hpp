#pragma once
// Host twins of the activation quantizer, the matmul and get_rows kernels. They run the same
// HEARTH_CUDA_HD unit code as the kernels, and sum in the kernels' order, so on a GPU the kernels
// must reproduce them bit for bit:
//   - one warp computes one output y[t][r]: lane l adds the shares of units l, l+32, l+64, ... in
//     that order (warp_lanes below), then the 32 lane sums are combined by an xor butterfly
//     (offsets 16, 8, 4, 2, 1), which is what __shfl_xor_sync reductions compute;
//   - the multi-token (prefill) kernel keeps the same per-output order, so a token's logits do
//     not depend on how many tokens share its batch.
#include <hearth/cuda/activations.hpp>
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/portable.hpp>
#include <hearth/cuda/weights.hpp>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

inline constexpr int warp_lanes = 32;

namespace reference {

// The xor butterfly over 32 lane values; returns what lane 0 ends with.
inline float warp_butterfly_sum(float (&v)[warp_lanes]) {
    for (int off = warp_lanes / 2; off > 0; off /= 2) {
        float next[warp_lanes];
        for (int l = 0; l < warp_lanes; ++l) next[l] = fadd(v[l], v[l ^ off]);
        for (int l = 0; l < warp_lanes; ++l) v[l] = next[l];
    }
    return v[0];
}

// W row . activation row, in the kernel's order.
template <dtype T>
float row_dot(const std::uint8_t* w_row, const std::uint8_t* act_row, const act_layout& l, std::size_t n_units) {
    float lane[warp_lanes] = {};
    for (std::size_t u = 0; u < n_units; ++u) {
        const auto w = wfmt<T>::load(w_row, u);
        const auto a = load_act_unit<T>(act_row, l, u);
        lane[u % warp_lanes] = fadd(lane[u % warp_lanes], wfmt<T>::dot(w, a));
    }
    return warp_butterfly_sum(lane);
}

inline void quantize(const quantize_args& a) {
    const act_layout l = layout_of(a.act, a.k);
    for (std::size_t r = 0; r < a.rows; ++r) {
        const float* x = a.x + r * a.x_stride;
        std::uint8_t* row = a.out + r * l.row_bytes;
        switch (a.act) {
        case act_kind::q8_0:
            for (std::size_t g = 0; g < a.k / 32; ++g) quantize_group_q8<false>(x + 32 * g, row, l, g);
            break;
        case act_kind::q8_1:
            for (std::size_t g = 0; g < a.k / 32; ++g) quantize_group_q8<true>(x + 32 * g, row, l, g);
            break;
        case act_kind::q8_k:
            for (std::size_t g = 0; g < a.k / 32; g += 8) quantize_block_q8_k(x + 32 * g, row, l, g);
            break;
        default:
            for (std::size_t i = 0; i < a.k; ++i) store_act_float(a.act, row, i, x[i]);
            break;
        }
    }
}

inline void matmul(const matmul_args& a) {
    visit_weight_type(a.type, [&](auto tag) {
        constexpr dtype T = decltype(tag)::value;
        const act_layout l = layout_of(wfmt<T>::act, a.k);
        const std::size_t n_units = a.k / wfmt<T>::unit_elems;
        for (int p = 0; p < a.n_parts; ++p) {
            const matmul_part& part = a.parts[p];
            for (std::size_t t = 0; t < a.n_tokens; ++t)
                for (std::size_t r = 0; r < part.w_rows; ++r)
                    part.y[t * part.y_stride + r] = row_dot<T>(part.w + r * a.w_row_bytes, a.act + t * l.row_bytes, l, n_units);
        }
    });
}

inline void get_rows(const get_rows_args& a) {
    visit_weight_type(a.type, [&](auto tag) {
        constexpr dtype T = decltype(tag)::value;
        constexpr int ue = wfmt<T>::unit_elems;
        for (std::size_t i = 0; i < a.n; ++i) {
            const std::uint8_t* row = a.w + static_cast<std::size_t>(a.ids[i]) * a.w_row_bytes;
            float* out = a.out + i * a.out_stride;
            for (std::size_t u = 0; u < a.cols / ue; ++u) {
                const auto w = wfmt<T>::load(row, u);
                for (int e = 0; e < ue; ++e) out[u * ue + e] = wfmt<T>::value(w, e);
            }
        }
    });
}

}  // namespace reference
}  // namespace cuda
HEARTH_NAMESPACE_END
