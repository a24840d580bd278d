#pragma once
// What the tests of every repacked layout (packed_layouts.hpp) check the same way: packing with
// the scalar packing, views of a packed matrix, and matmul over it against the scalar twin, in
// any batch and thread count, and against the file's layout.
#include "cpu_test_support.hpp"
#include <string>

namespace packed_test {

namespace hc = hearth::cpu;
using hearth::dtype;
using cpu_test::arch;

// Blocks of T in a row of k elements.
template <dtype T> std::size_t blocks_per_row(std::size_t k) { return k / hearth::quant::traits_block_elems(T); }

// rows x k file-layout weights of type T in Packing's layout, by the scalar packing.
template <dtype T, class Packing>
std::vector<std::byte> pack(const std::vector<std::byte>& w, std::size_t rows, std::size_t k) {
    std::vector<std::byte> p(rows / Packing::rows * Packing::group_bytes(blocks_per_row<T>(k)));
    Packing::pack(w.data(), hearth::row_bytes(T, k), blocks_per_row<T>(k), 0, rows / Packing::rows, p.data());
    return p;
}

template <dtype T>
hc::matrix_view packed_view(const std::vector<std::byte>& p, std::size_t rows, std::size_t k, hc::weight_layout layout) {
    return {T, rows, k, p.data(), hearth::row_bytes(T, k), layout};
}

// One activation row of k floats, quantized as the arch's matmul quantizes it for T weights.
template <dtype T> std::vector<std::byte> activation_row(const float* x, std::size_t k) {
    constexpr dtype A = hc::activation_type_of(T);
    std::vector<std::byte> a(hearth::row_bytes(A, k));
    hc::kernels<arch>::quantize_activation(A, x, a.data(), k);
    return a;
}

// Where the arch has no kernel for the layout (the backend never repacks for it), a packed matrix
// handed to its matmul is refused, not misread. Returns whether the arch reads the layout.
template <dtype T, class Packing> bool arch_reads(hc::weight_layout layout, std::size_t k) {
    if (hc::kernels<arch>::packed_layout(T, Packing::rows, k) == layout) return true;
    const auto w = cpu_test::quantized_rows<T>(Packing::rows, k, 1);
    const auto p = pack<T, Packing>(w, Packing::rows, k);
    hc::thread_pool pool(1);
    hc::matmul_context ctx(pool);
    std::vector<float> x(k, 0.5f), y(Packing::rows);
    CHECK_THROWS_AS(hc::matmul<arch>(ctx, packed_view<T>(p, Packing::rows, k, layout), x.data(), k, 1, y.data(),
                                     Packing::rows),
                    hearth::error);
    return false;
}

// The sum of |w_i x_i| over row r of the file-layout matrix and token x: the scale of a dot's
// rounding error.
template <dtype T> double dot_magnitude(const hc::matrix_view& file, std::size_t r, const float* x) {
    std::vector<float> wd(file.cols);
    hc::dequantize_row(T, file.row(r), wd.data(), file.cols);
    double mag = 0;
    for (std::size_t i = 0; i < file.cols; ++i) mag += std::fabs(double(wd[i]) * x[i]);
    return mag;
}

// matmul over w (rows x k, file layout) packed into `layout`, for each thread count and batch:
// a one-token matmul gives the scalar twin's bits; a token gives the same bits in any batch;
// outputs outside the rows are not written. Against the file's layout: the same bits where
// file_bits (the layout's kernels keep the file kernels' float order), else within the rounding
// bound of test_matmul.cpp.
template <dtype T, class Packing>
void check_matmul(hc::weight_layout layout, const std::vector<std::byte>& w, std::size_t rows, std::size_t k,
                  std::initializer_list<std::size_t> token_counts, bool file_bits) {
    const std::size_t nb = blocks_per_row<T>(k);
    const auto p = pack<T, Packing>(w, rows, k);
    const hc::matrix_view file{T, rows, k, w.data(), hearth::row_bytes(T, k)};
    const auto W = packed_view<T>(p, rows, k, layout);
    using act_block = hearth::quant::block_t<hc::activation_type_of(T)>;
    for (std::size_t n_tokens : token_counts) {
        const auto x = cpu_test::random_floats(n_tokens * k, 7 + std::uint32_t(n_tokens), -2.0f, 2.0f);
        for (unsigned threads : {1u, 2u, 3u}) {
            hc::thread_pool pool(threads);
            hc::matmul_context ctx(pool);
            const std::size_t ys = rows + 3;
            std::vector<float> y(n_tokens * ys, -12345.0f), y_file(n_tokens * rows), one(rows);
            hc::matmul<arch>(ctx, W, x.data(), k, n_tokens, y.data(), ys);
            hc::matmul<arch>(ctx, file, x.data(), k, n_tokens, y_file.data(), rows);
            for (std::size_t t = 0; t < n_tokens; ++t) {
                const auto a = activation_row<T>(x.data() + t * k, k);
                std::vector<float> want(rows);
                for (std::size_t g = 0; g < rows / Packing::rows; ++g)
                    Packing::ref_gemv(Packing::group(p.data(), nb, g), nb, reinterpret_cast<const act_block*>(a.data()),
                                      want.data() + Packing::rows * g);
                hc::matmul<arch>(ctx, W, x.data() + t * k, k, 1, one.data(), rows);
                for (std::size_t r = 0; r < rows; ++r) {
                    INFO("rows " << rows << " k " << k << " tokens " << n_tokens << " threads " << threads << " token "
                                 << t << " row " << r);
                    REQUIRE(one[r] == want[r]);            // GEMV: the twin's bits
                    REQUIRE(y[t * ys + r] == one[r]);      // any batch: the same bits
                    if (file_bits) REQUIRE(y_file[t * rows + r] == one[r]);
                    else REQUIRE(cpu_test::close(y[t * ys + r], y_file[t * rows + r],
                                                 dot_magnitude<T>(file, r, x.data() + t * k), 2e-5, 1e-6));
                }
                for (std::size_t r = rows; r < ys; ++r) REQUIRE(y[t * ys + r] == -12345.0f);
            }
        }
    }
}

// get_rows over a packed table reads the file's rows, and refuses an id past the table.
template <dtype T, class Packing>
void check_get_rows(hc::weight_layout layout, const std::vector<std::byte>& w, std::size_t rows, std::size_t k) {
    const auto p = pack<T, Packing>(w, rows, k);
    const hc::matrix_view file{T, rows, k, w.data(), hearth::row_bytes(T, k)};
    const std::int32_t ids[] = {std::int32_t(rows - 1), 0, 9, 9};
    std::vector<float> got(4 * k), want(4 * k);
    hc::get_rows<arch>(packed_view<T>(p, rows, k, layout), ids, 4, got.data(), k);
    hc::get_rows<arch>(file, ids, 4, want.data(), k);
    REQUIRE(got == want);
    const std::int32_t bad[] = {std::int32_t(rows)};
    CHECK_THROWS_AS(hc::get_rows<arch>(packed_view<T>(p, rows, k, layout), bad, 1, got.data(), k), hearth::error);
}

}  // namespace packed_test
