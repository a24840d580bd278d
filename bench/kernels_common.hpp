#pragma once
// Shared by the kernel benchmarks: random weight matrices in any computable dtype.
#include <hearth/cpu/all.hpp>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace bench {

using hearth::dtype;

// Random block bytes with sane fp16 scales (no inf/NaN): speed does not depend on the values.
inline std::vector<std::byte> random_matrix(dtype t, std::size_t rows, std::size_t cols, std::uint32_t seed) {
    const std::size_t rb = hearth::row_bytes(t, cols);
    std::vector<std::byte> m(rows * rb);
    std::mt19937_64 rng(seed);
    for (std::size_t i = 0; i + 8 <= m.size(); i += 8) {
        const std::uint64_t v = rng();
        std::memcpy(m.data() + i, &v, 8);
    }
    const auto& tr = hearth::traits(t);
    const std::uint16_t small = hearth::fp32_to_fp16(0.01f);
    // Overwrite the fp16 scale fields of every block (their offsets per format).
    std::vector<std::size_t> scale_offsets;
    switch (t) {
    case dtype::q4_0: case dtype::q8_0: case dtype::iq4_nl: scale_offsets = {0}; break;
    case dtype::q4_1: case dtype::q5_1: case dtype::q4_k: case dtype::q5_k: scale_offsets = {0, 2}; break;
    case dtype::q5_0: scale_offsets = {0}; break;
    case dtype::q2_k: scale_offsets = {80, 82}; break;
    case dtype::q3_k: scale_offsets = {108}; break;
    case dtype::q6_k: scale_offsets = {208}; break;
    default: break;
    }
    const std::size_t nblocks = m.size() / tr.block_bytes;
    for (std::size_t b = 0; b < nblocks; ++b)
        for (std::size_t off : scale_offsets) std::memcpy(m.data() + b * tr.block_bytes + off, &small, 2);
    if (t == dtype::f16 || t == dtype::bf16) {
        for (std::size_t i = 0; i + 2 <= m.size(); i += 2) {
            const std::uint16_t h = t == dtype::f16 ? hearth::fp32_to_fp16(0.01f * float(i % 97))
                                                    : hearth::fp32_to_bf16(0.01f * float(i % 97));
            std::memcpy(m.data() + i, &h, 2);
        }
    }
    return m;
}

// W as the CPU backend reads it in decode: repacked into the layout Arch's kernels read faster
// (kernels::packed_layout: q4_0 and q4_K on x86), the packed bytes in `storage`; W itself, in the
// file's layout, when Arch reads that type in place.
template <class Arch>
hearth::cpu::matrix_view repacked(const hearth::cpu::matrix_view& W, std::vector<std::byte>& storage) {
    using K = hearth::cpu::kernels<Arch>;
    const auto layout = K::packed_layout(W.type, W.rows, W.cols);
    if (layout == hearth::cpu::weight_layout::file) return W;
    storage.assign(K::packed_bytes(layout, W.rows, W.cols), std::byte{});
    K::pack(layout, W.data, W.row_stride_bytes, W.cols, 0, W.rows / 8, storage.data());
    hearth::cpu::matrix_view P = W;
    P.data = storage.data();
    P.layout = layout;
    return P;
}

// The views to measure: the file's layout, then the repacked one when there is one.
inline std::vector<hearth::cpu::matrix_view> layouts(const hearth::cpu::matrix_view& file,
                                                     const hearth::cpu::matrix_view& packed) {
    if (packed.layout == hearth::cpu::weight_layout::file) return {file};
    return {file, packed};
}

// A row label: the dtype, with "/x8" when the matrix is repacked.
inline std::string label(const hearth::cpu::matrix_view& W) {
    return std::string(hearth::name(W.type)) + (W.layout == hearth::cpu::weight_layout::file ? "" : "/x8");
}

}  // namespace bench
