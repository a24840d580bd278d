#pragma once
// The sampler's random numbers. std::mt19937_64 is specified bit for bit by the C++ standard,
// so one seed gives one sequence on every platform. The std::*_distribution classes are not
// (their algorithms are left to each library), so the uniform draw is written here instead.
#include <hearth/config.hpp>
#include <hearth/sampling/params.hpp>
#include <chrono>
#include <cstdint>
#include <random>

HEARTH_NAMESPACE_BEGIN
namespace sampling {

// The seed a sampler really uses: the caller's, or fresh entropy when the caller asked for
// random_seed. random_device yields 32 bits a call, so two calls fill the 64-bit seed; the clock
// is mixed in because some standard libraries' random_device is a fixed-seed generator (llama.cpp
// falls back to the clock for the same reason).
inline std::uint64_t resolve_seed(std::uint64_t requested) {
    if (requested != random_seed) return requested;
    std::random_device device;
    const std::uint64_t high = device();
    const std::uint64_t entropy = (high << 32) | static_cast<std::uint64_t>(device());
    const auto ticks = static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
    return entropy ^ (ticks * 0x9E3779B97F4A7C15ull);  // golden-ratio multiplier spreads the clock's low bits
}

class seeded_rng {
public:
    explicit seeded_rng(std::uint64_t seed) : engine_(seed) {}

    void reseed(std::uint64_t seed) { engine_.seed(seed); }

    // A double in [0, 1): the top 53 bits of one 64-bit output, the full precision of a double
    // mantissa, scaled by 2^-53. Exactly representable, never 1.0.
    double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

private:
    std::mt19937_64 engine_;
};

}  // namespace sampling
HEARTH_NAMESPACE_END
