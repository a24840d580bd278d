#pragma once
// Shared helpers of the CPU kernel tests: the arch under test, random data, tolerances.
#include <hearth/cpu/all.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace cpu_test {

using arch = hearth::cpu::native_arch;
using ref = hearth::cpu::scalar;

// Sizes shrink under an emulator (qemu runs NEON ~75x slower): HEARTH_TEST_SMALL=1.
inline bool small_sizes() {
    const char* s = std::getenv("HEARTH_TEST_SMALL");
    return s && *s && *s != '0';
}

inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// rows x k of a block-quantized type T (file layout) from random floats, by the reference quantizer.
template <hearth::dtype T>
std::vector<std::byte> quantized_rows(std::size_t rows, std::size_t k, std::uint32_t seed) {
    using block = hearth::quant::block_t<T>;
    const std::size_t rb = hearth::row_bytes(T, k);
    std::vector<std::byte> m(rows * rb);
    for (std::size_t r = 0; r < rows; ++r) {
        const auto x = random_floats(k, seed + std::uint32_t(r));
        hearth::quant::quantize(x.data(), reinterpret_cast<block*>(m.data() + r * rb), k / hearth::quant::traits_block_elems(T));
    }
    return m;
}

// |a - b| <= rel * scale + abs_tol, printed with context on failure.
inline bool close(double a, double b, double scale, double rel, double abs_tol = 1e-30) {
    return std::fabs(a - b) <= rel * scale + abs_tol;
}

}  // namespace cpu_test
