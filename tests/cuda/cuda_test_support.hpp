#pragma once
// Shared helpers of the CUDA backend's tests: random data, weights of any dtype built with
// hearth's reference quantizers, tensors holding the same values on the backend under test and on
// the CPU backend, and relative differences for the tolerances each test states.
#include <hearth/cpu.hpp>
#include <hearth/quant.hpp>
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace cuda_test {

// The reference is the scalar CPU arch: it rounds q8_0/q8_1 activations by ggml's reference
// convention, as the CUDA kernels do. The SIMD arches round them the way llama.cpp's CPU build for
// their instruction set does (quant::q8_rounding), which differs in about one value in 10^5 and
// moves a matmul far past the op bounds of model_checks.hpp.
using cpu_backend = hearth::cpu::backend<hearth::cpu::scalar>;

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

// Rows that stress quantizers: random, wide range, zeros, one spike, a +-max tie in every block,
// values that land on .5 after scaling (the rounding rule shows).
inline std::vector<std::vector<float>> tricky_rows(std::size_t k) {
    std::vector<std::vector<float>> rows;
    rows.push_back(random_floats(k, 21));
    rows.push_back(random_floats(k, 22, -1e-3f, 3e4f));
    rows.push_back(std::vector<float>(k, 0.0f));
    auto spike = std::vector<float>(k, 0.0f);
    spike[k / 2] = -3.5f;
    rows.push_back(spike);
    auto tie = random_floats(k, 23);
    for (std::size_t b = 0; b + 9 < k; b += 32) tie[b + 3] = 2.0f, tie[b + 9] = -2.0f;
    rows.push_back(tie);
    auto halves = std::vector<float>(k);
    for (std::size_t i = 0; i < k; ++i) halves[i] = (i % 32 == 0) ? 127.0f : float(int(i % 64) - 32) + 0.5f;
    rows.push_back(halves);
    auto tiny = random_floats(k, 24, -1e-6f, 1e-6f);
    rows.push_back(tiny);
    return rows;
}

// A weight of any dtype made from floats (hearth's reference quantizers), kept alive with its
// bytes, loadable by every backend.
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

// Largest |a - b| relative to the largest |b| (the reference).
inline double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = 0, scale = 1e-30;
    for (float v : b) scale = std::max(scale, static_cast<double>(std::fabs(v)));
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
    return worst / scale;
}

inline bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A pair of tensors holding the same values on the backend under test (B) and on the CPU.
template <class B>
struct both {
    typename B::tensor g;
    cpu_backend::tensor c;
    std::size_t rows, cols;
};
template <class B>
both<B> make_both(B& b, std::size_t rows, std::size_t cols, const std::vector<float>& values) {
    both<B> t{b.alloc(rows, cols), cpu().alloc(rows, cols), rows, cols};
    b.write(t.g, values);
    std::memcpy(t.c.data, values.data(), rows * cols * sizeof(float));
    return t;
}
template <class B>
std::vector<float> read(B& b, const typename B::tensor& t) {
    std::vector<float> out(t.n_rows * t.n_cols);
    b.read(t, out);
    return out;
}

// The dtypes of weights the CUDA kernels read.
inline const std::vector<hearth::dtype>& weight_types() {
    static const std::vector<hearth::dtype> v{
        hearth::dtype::f32,  hearth::dtype::f16,  hearth::dtype::bf16,   hearth::dtype::q4_0, hearth::dtype::q4_1,
        hearth::dtype::q5_0, hearth::dtype::q5_1, hearth::dtype::q8_0,   hearth::dtype::iq4_nl, hearth::dtype::q2_k,
        hearth::dtype::q3_k, hearth::dtype::q4_k, hearth::dtype::q5_k,   hearth::dtype::q6_k};
    return v;
}

inline const std::vector<hearth::dtype>& cache_types() {
    static const std::vector<hearth::dtype> v{hearth::dtype::f32, hearth::dtype::f16, hearth::dtype::q8_0,
                                              hearth::dtype::q4_0};
    return v;
}

inline std::string type_name(hearth::dtype t) { return std::string(hearth::traits(t).name); }

}  // namespace cuda_test
