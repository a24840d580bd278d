#pragma once
// Deterministic test inputs for the quantizers, generated identically by
// scripts/ref/quant_reference.py (which feeds them to ggml) and by the C++ tests.
//
// Generator: splitmix64 from a seed. Each 32-element group draws one 64-bit word z that picks
// its kind (z % 16) and amplitude 2^((z >> 8) % 17 - 8); every element draw u = ((z >> 40) - 2^23)
// * 2^-23, a float in [-1, 1) exactly representable, so both languages get the same bits.
//   kind 0: all zero            kind 1: one nonzero u*amp at index (z >> 16) % 32
//   kind 2: one value u*amp, repeated (max == min)
//   kind 3: |u|*amp (all >= 0)  kind 4: -|u|*amp (all <= 0)
//   kind 5: u * 2^-60 (below ggml's GROUP_MAX_EPS)
//   kind 6-15: u*amp
// Mixed kinds and amplitudes inside one 256-element super-block exercise the K-quant paths where
// a sub-block scale rounds to zero or a group is skipped.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace quant_test {

struct splitmix64 {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // A float in [-1, 1) with 24 significant bits: exact in float32.
    float uniform() {
        const auto i = static_cast<std::int64_t>(next() >> 40) - (std::int64_t{1} << 23);
        return static_cast<float>(i) * 0x1p-23f;
    }
};

inline std::vector<float> generate(std::uint64_t seed, std::size_t n) {
    splitmix64 rng{seed};
    std::vector<float> x(n, 0.0f);
    for (std::size_t g = 0; g + 32 <= n; g += 32) {
        const std::uint64_t z = rng.next();
        const int kind = static_cast<int>(z % 16);
        const float amp = std::ldexp(1.0f, static_cast<int>((z >> 8) % 17) - 8);
        float* b = x.data() + g;
        switch (kind) {
        case 0: break;
        case 1: b[(z >> 16) % 32] = rng.uniform() * amp; break;
        case 2: {
            const float v = rng.uniform() * amp;
            for (int i = 0; i < 32; ++i) b[i] = v;
            break;
        }
        case 3: for (int i = 0; i < 32; ++i) b[i] = std::fabs(rng.uniform()) * amp; break;
        case 4: for (int i = 0; i < 32; ++i) b[i] = -std::fabs(rng.uniform()) * amp; break;
        case 5: for (int i = 0; i < 32; ++i) b[i] = rng.uniform() * 0x1p-60f; break;
        default: for (int i = 0; i < 32; ++i) b[i] = rng.uniform() * amp; break;
        }
    }
    return x;
}

// Plain uniform data without special groups, for round-trip error bounds: every element u * amp,
// one amplitude in [2^-4, 2^4] per 256 elements (so 32- and 256-element formats see the same shape).
inline std::vector<float> generate_plain(std::uint64_t seed, std::size_t n) {
    splitmix64 rng{seed};
    std::vector<float> x(n);
    for (std::size_t g = 0; g < n; g += 256) {
        const float amp = std::ldexp(1.0f, static_cast<int>(rng.next() % 9) - 4);
        for (std::size_t i = g; i < g + 256 && i < n; ++i) x[i] = rng.uniform() * amp;
    }
    return x;
}

}  // namespace quant_test
