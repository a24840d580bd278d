#pragma once
// Shared helpers of the Vulkan tests: the device (vulkan_test_device.hpp), the CPU backend as the
// reference, tensors and weights built from host data.
#include "vulkan_test_device.hpp"
#include <hearth/cpu.hpp>
#include <hearth/quant.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace vk_test {

using cpu_backend = hearth::cpu::backend<>;

inline cpu_backend& cpu() {
    static cpu_backend b(hearth::cpu::options{2});
    return b;
}

inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// A pair of tensors holding the same values on both backends.
struct both {
    gpu_backend::tensor g;
    cpu_backend::tensor c;
    std::size_t rows, cols;
};
inline both make_both(std::size_t rows, std::size_t cols, const std::vector<float>& values) {
    both t{gpu().alloc(rows, cols), cpu().alloc(rows, cols), rows, cols};
    gpu().write(t.g, values);
    std::memcpy(t.c.data, values.data(), rows * cols * sizeof(float));
    return t;
}
inline std::vector<float> read_gpu(const gpu_backend::tensor& t) {
    std::vector<float> out(t.n_rows * t.n_cols);
    gpu().read(t, out);
    return out;
}
inline std::vector<float> read_cpu(const cpu_backend::tensor& t) {
    std::vector<float> out(t.n_rows * t.n_cols);
    cpu().read(t, out);
    return out;
}

// A weight of any dtype made from floats (quantized with hearth's reference quantizers) and kept
// alive with its bytes, loadable by both backends.
struct host_weight {
    std::vector<std::byte> bytes;
    hearth::gguf::tensor_view view;
};
inline std::unique_ptr<host_weight> make_weight(hearth::dtype t, std::size_t rows, std::size_t cols,
                                                const std::vector<float>& values) {
    auto w = std::make_unique<host_weight>();
    const std::size_t rb = hearth::row_bytes(t, cols);
    w->bytes.resize(rb * rows);
    for (std::size_t r = 0; r < rows; ++r)
        hearth::quant::quantize_row(t, values.data() + r * cols, w->bytes.data() + r * rb, cols);
    w->view = hearth::gguf::tensor_view{"test.weight", t, 2, {cols, rows, 1, 1}, 0, w->bytes};
    return w;
}

// Largest |a - b| relative to the largest |b| (the reference), for tolerances stated per op.
inline double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = 0, scale = 1e-30;
    for (float v : b) scale = std::max(scale, static_cast<double>(std::fabs(v)));
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
    return worst / scale;
}

}  // namespace vk_test
