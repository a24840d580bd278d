#pragma once
// kernels<Arch>: the per-instruction-set entry points of the matmul (activation quantizer + tiled
// row ranges), assembled from the format table. This header is the include side of the
// instruction-set edge: it pulls in the kernel files the compile flags allow (arch.hpp decides).
#include <hearth/cpu/arch.hpp>
#include <hearth/cpu/kernels/format.hpp>
#include <hearth/cpu/kernels/scalar.hpp>
#include <hearth/cpu/kernels/tile.hpp>
#include <hearth/cpu/matrix_view.hpp>
#include <hearth/cpu/packed_layouts.hpp>
#include <hearth/error.hpp>
#include <hearth/cpu/scratch.hpp>
#if defined(HEARTH_CPU_AVX2)
#include <hearth/cpu/kernels/avx2.hpp>
#endif
#if defined(HEARTH_CPU_AVX512)
#include <hearth/cpu/kernels/avx512.hpp>
#endif
#if defined(HEARTH_CPU_NEON)
#include <hearth/cpu/kernels/neon.hpp>
#endif

HEARTH_NAMESPACE_BEGIN
namespace cpu {

// The policy of T weights the backend repacked (weight_layout::q4_0x8, q4_kx8, q8_0x8), where the
// arch has one (x86: packed_q4_0.hpp says why; q8_0 with VNNI only: packed_q8_0.hpp).
template <class Arch, dtype T>
concept packs = requires { typename resolve_format<Arch, T>::type::packed_policy; };

template <class Arch> struct kernels {
    // The layout the backend should repack a weight of type t and shape rows x cols into
    // (weight_layout::file: read it in place).
    static weight_layout packed_layout(dtype t, std::size_t rows, std::size_t cols) {
        if (rows < 8 || rows % 8 != 0) return weight_layout::file;
        if constexpr (packs<Arch, dtype::q4_0>)
            if (t == dtype::q4_0 && cols % 32 == 0) return weight_layout::q4_0x8;
        if constexpr (packs<Arch, dtype::q4_k>)
            if (t == dtype::q4_k && cols % 256 == 0) return weight_layout::q4_kx8;
        if constexpr (packs<Arch, dtype::q8_0>)
            if (t == dtype::q8_0 && cols % 32 == 0) return weight_layout::q8_0x8;
        return weight_layout::file;
    }
    // The bytes of a rows x cols matrix in a repacked layout.
    static std::size_t packed_bytes(weight_layout layout, std::size_t rows, std::size_t cols) {
        return visit_packed_layout(layout, [&](auto tc, auto packing) {
            return rows / packing.rows * packing.group_bytes(cols / quant::traits_block_elems(decltype(tc)::value));
        });
    }

    // What policy P's tiles count along K: elements (float formats) or blocks.
    template <class P> static std::size_t k_units_of(const matrix_view& W) {
        return P::counts_elements ? W.cols : W.cols / quant::traits_block_elems(W.type);
    }

    // x (k floats) -> one activation row of `act` (the activation type of some weight type).
    static void quantize_activation(dtype act, const float* x, std::byte* out, std::size_t k) {
        activation_quantizer<Arch>::row(act, x, out, k);
    }

    // What W's GEMM derives from its activation rows once per matmul (e.g. q8_0's int16 copy on
    // AVX2), made by the thread that quantized them, in whole tiles of token_tile(W, n) tokens:
    // token_side_buffer gives room for n_tokens tokens (null when W's policy derives nothing),
    // make_token_side fills tokens [t0, t1) of it (t0 a multiple of the tile).
    static std::byte* token_side_buffer(const matrix_view& W, std::size_t n_tokens, scratch_buffer& buf) {
        return visit_weight_type(W.type, [&](auto tc) -> std::byte* {
            using P = policy_of<Arch, decltype(tc)::value>;
            if constexpr (requires { P::token_side_bytes(n_tokens, std::size_t{}); })
                return buf.get(P::token_side_bytes(n_tokens, k_units_of<P>(W)));
            else
                return nullptr;
        });
    }
    static std::size_t token_tile(const matrix_view& W, std::size_t n_tokens) {
        return visit_weight_type(W.type, [&](auto tc) -> std::size_t {
            using P = policy_of<Arch, decltype(tc)::value>;
            if constexpr (requires { P::token_grain(n_tokens); }) return P::token_grain(n_tokens);
            else return 1;
        });
    }
    static void make_token_side(const matrix_view& W, const std::byte* a, std::size_t a_stride, std::size_t t0,
                                std::size_t t1, std::size_t n_tokens, std::byte* side) {
        visit_weight_type(W.type, [&](auto tc) {
            using P = policy_of<Arch, decltype(tc)::value>;
            if constexpr (requires { P::token_side_bytes(n_tokens, std::size_t{}); })
                P::make_token_side(a, a_stride, t0, t1, n_tokens, k_units_of<P>(W), side);
        });
    }

    // y[t * y_stride + r] = W[r] . a[t] for r in [r0, r1), t < n_tokens; a holds activation rows of
    // activation_type_of(W.type), a_stride bytes apart; side: token_side_buffer's bytes as
    // make_token_side filled them (null when W's policy derives nothing, or for one token).
    static void rows(const matrix_view& W, std::size_t r0, std::size_t r1, const std::byte* a, std::size_t a_stride,
                     std::size_t n_tokens, float* y, std::size_t y_stride, const std::byte* side = nullptr) {
        if (W.layout != weight_layout::file) return packed_rows(W, r0, r1, a, a_stride, n_tokens, y, y_stride, side);
        visit_weight_type(W.type, [&](auto tc) {
            using P = policy_of<Arch, decltype(tc)::value>;
            detail::tiled_rows<P>(W.data, W.row_stride_bytes, r0, r1, a, a_stride, n_tokens, k_units_of<P>(W), y,
                                  y_stride, side);
        });
    }

    // Groups [g0, g1) (of 8 rows) of the file-layout matrix w (rows ws bytes apart, cols elements)
    // into `layout` at out (the repacked matrix's start).
    static void pack(weight_layout layout, const std::byte* w, std::size_t ws, std::size_t cols, std::size_t g0,
                     std::size_t g1, std::byte* out) {
        visit_packed_layout(layout, [&](auto tc, auto packing) {
            constexpr dtype T = decltype(tc)::value;
            const std::size_t nb = cols / quant::traits_block_elems(T);
            if constexpr (packs<Arch, T>) resolve_format<Arch, T>::type::packed_policy::pack(w, ws, nb, g0, g1, out);
            else packing.pack(w, ws, nb, g0, g1, out);
        });
    }

    // rows() of a repacked matrix: whole groups of 8 rows. side: as rows() takes it (the side data
    // of W's dtype), for the packed GEMMs that read it.
    static void packed_rows(const matrix_view& W, std::size_t r0, std::size_t r1, const std::byte* a,
                            std::size_t a_stride, std::size_t n_tokens, float* y, std::size_t y_stride,
                            const std::byte* side = nullptr) {
        visit_packed_layout(W.layout, [&](auto tc, auto packing) {
            constexpr dtype T = decltype(tc)::value;
            constexpr std::size_t g = decltype(packing)::rows;
            if (W.type != T || r0 % g || r1 % g)
                throw error(errc::invalid_argument, std::string("cpu matmul: a repacked weight is read in whole groups of ") +
                                                        std::to_string(g) + " " + std::string(name(T)) + " rows");
            if constexpr (packs<Arch, T>) {
                using P = typename resolve_format<Arch, T>::type::packed_policy;
                const std::size_t nb = W.cols / quant::traits_block_elems(T);
                if (n_tokens == 1) return P::packed_gemv(W.data, nb, r0 / g, r1 / g, a, y + r0);
                if constexpr (requires { P::packed_gemm(W.data, nb, 0, 0, a, a_stride, n_tokens, y, y_stride, side); })
                    P::packed_gemm(W.data, nb, r0 / g, r1 / g, a, a_stride, n_tokens, y + r0, y_stride, side);
                else
                    P::packed_gemm(W.data, nb, r0 / g, r1 / g, a, a_stride, n_tokens, y + r0, y_stride);
            } else {
                throw error(errc::unsupported, std::string("cpu matmul: ") + arch_name<Arch> + " has no kernel for repacked " +
                                                   std::string(name(T)) + " weights (repack for the arch that reads them)");
            }
        });
    }

    // One dot product of a weight row with an activation row of k elements (tests): the GEMV
    // kernel on a single row.
    static float dot(dtype w_type, const std::byte* w_row, const std::byte* a_row, std::size_t k) {
        float out = 0.0f;
        const matrix_view one{w_type, 1, k, w_row, 0};
        rows(one, 0, 1, a_row, 0, 1, &out, 1);
        return out;
    }

    // One attention score: a key row (k elements of k_type) times a query row in its activation
    // format, with the arithmetic attention uses (key_policy_of).
    static float key_dot(dtype k_type, const std::byte* k_row, const std::byte* q_row, std::size_t k) {
        return visit_weight_type(k_type, [&](auto tc) {
            constexpr dtype T = decltype(tc)::value;
            using P = key_policy_of<Arch, T>;
            const std::size_t k_units = P::counts_elements ? k : k / quant::traits_block_elems(T);
            float out = 0.0f;
            P::template tile<1, 1>(k_row, 0, q_row, 0, k_units, &out, 1);
            return out;
        });
    }
};

}  // namespace cpu
HEARTH_NAMESPACE_END
