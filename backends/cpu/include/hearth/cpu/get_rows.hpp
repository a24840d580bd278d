#pragma once
// Embedding lookup: dequantizes selected rows of a table (any computable dtype) into f32 rows.
// A handful of rows per forward pass, so the reference dequantizers are fast enough on every arch.
#include <hearth/cpu/kernels/format.hpp>
#include <hearth/cpu/kernels/scalar.hpp>
#include <hearth/cpu/matrix_view.hpp>
#include <hearth/cpu/packed_layouts.hpp>
#include <hearth/error.hpp>
#include <cstdint>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

// One row of `type` (k elements) -> k floats.
inline void dequantize_row(dtype type, const std::byte* src, float* dst, std::size_t k) {
    visit_weight_type(type, [&](auto tc) {
        constexpr dtype T = decltype(tc)::value;
        if constexpr (T == dtype::f32 || T == dtype::f16 || T == dtype::bf16) {
            for (std::size_t i = 0; i < k; ++i) dst[i] = scalar_detail::load_float<T>(src, i);
        } else {
            using block = quant::block_t<T>;
            quant::dequantize(reinterpret_cast<const block*>(src), dst, k / quant::traits_block_elems(T));
        }
    });
}

template <class Arch>
void get_rows(const matrix_view& table, const std::int32_t* ids, std::size_t n, float* out, std::size_t out_stride) {
    row_bytes(table.type, table.cols);  // validates whole blocks
    for (std::size_t i = 0; i < n; ++i) {
        if (ids[i] < 0 || static_cast<std::size_t>(ids[i]) >= table.rows)
            throw error(errc::out_of_range, "get_rows: id " + std::to_string(ids[i]) + " at position " +
                                                std::to_string(i) + " is outside the table's " +
                                                std::to_string(table.rows) + " rows");
        const auto r = static_cast<std::size_t>(ids[i]);
        if (table.layout == weight_layout::file) {
            dequantize_row(table.type, table.row(r), out + i * out_stride, table.cols);
            continue;
        }
        visit_packed_layout(table.layout, [&](auto tc, auto packing) {
            using block = typename decltype(packing)::file_block;
            thread_local std::vector<block> blocks;  // the row back in the file's layout
            blocks.resize(table.cols / quant::traits_block_elems(decltype(tc)::value));
            packing.unpack_row(table.data, blocks.size(), r, blocks.data());
            quant::dequantize(blocks.data(), out + i * out_stride, blocks.size());
        });
    }
}

}  // namespace cpu
HEARTH_NAMESPACE_END
