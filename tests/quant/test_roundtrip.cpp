// Round trips: quantize deterministic data, dequantize, and bound the error.
//
// Bounds. For the 32-element formats the error of each element is bounded per block from the
// format itself: rounding to the nearest level costs half a step, the fp16 scale adds a relative
// 2^-11 per level, and q4_0/q5_0 clamp the far side of the range to one step below the extreme
// (ggml maps the signed maximum to -8 or -16, so the opposite extreme can be off by one step).
// For every format the relative RMS error over uniform data is also bounded: for a uniform
// quantizer with step s over data of RMS r it is about s / (sqrt(12) r). The bounds below are that
// figure plus about 20% for the plain formats; for the fitted K-quants and iq4_nl (whose bytes equal
// ggml's, see test_reference.cpp, so ggml reaches the same error) the error measured here plus
// about 20%, which also stays below the plain figure for the same bit count.
#include <catch2/catch.hpp>
#include <hearth/quant.hpp>
#include "quant_test_data.hpp"
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

using namespace hearth;

namespace {

std::vector<std::byte> quantized(dtype t, const std::vector<float>& x) {
    std::vector<std::byte> q(row_bytes(t, x.size()));
    quant::quantize_row(t, x.data(), q.data(), x.size());
    return q;
}

std::vector<float> round_trip(dtype t, const std::vector<float>& x) {
    const auto q = quantized(t, x);
    std::vector<float> y(x.size());
    quant::dequantize_row(t, q.data(), y.data(), x.size());
    return y;
}

double relative_rms_error(const std::vector<float>& x, const std::vector<float>& y) {
    double e2 = 0, x2 = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        e2 += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
        x2 += double(x[i]) * x[i];
    }
    return std::sqrt(e2 / x2);
}

}  // namespace

TEST_CASE("round trip relative RMS error of every format", "[quant][roundtrip]") {
    struct expectation {
        dtype type;
        double max_rel_rms;
    };
    // Uniform data has RMS amp/sqrt(3); a step s costs s/sqrt(12): relative s/(2 amp).
    const expectation cases[] = {
        {dtype::q8_0, 0.0047},   // s = amp/127        -> 0.0039
        {dtype::q8_1, 0.0047},
        {dtype::q8_k, 0.0047},   // s = amp/127
        {dtype::q6_k, 0.0165},   // 6 bits signed per 16-group: s = amp/32 -> 0.0156; measured 0.0136
        {dtype::q5_0, 0.0380},   // s = amp/16         -> 0.031
        {dtype::q5_1, 0.0400},   // s = range/31 ~ 2amp/31 -> 0.032
        {dtype::q5_k, 0.0350},   // 5 bits + min per 32-group, fitted: measured 0.0283
        {dtype::q4_0, 0.0760},   // s = amp/8          -> 0.0625
        {dtype::q4_1, 0.0800},   // s = 2amp/15        -> 0.067
        {dtype::q4_k, 0.0700},   // 4 bits + min per 32-group, fitted: measured 0.0568
        {dtype::iq4_nl, 0.0800}, // non-linear 4-bit levels, fitted scale: measured 0.0653
        {dtype::q3_k, 0.1500},   // 3 bits signed per 16-group, fitted: measured 0.123
        {dtype::q2_k, 0.2900},   // 2 bits + min per 16-group (s ~ 2amp/3 -> 0.33), fitted: measured 0.236
        {dtype::f16, 0.0003},    // 2^-11 relative per element at most
        {dtype::bf16, 0.0025},   // 2^-8
        {dtype::f32, 0.0},
    };
    const auto x = quant_test::generate_plain(7, 8192);
    for (const auto& c : cases) {
        const double err = relative_rms_error(x, round_trip(c.type, x));
        INFO(name(c.type) << ": relative RMS error " << err << " (bound " << c.max_rel_rms << ")");
        CHECK(err <= c.max_rel_rms);
        if (c.type != dtype::f32) CHECK(err > 0.0);  // a real quantizer loses something on this data
    }
}

TEST_CASE("per-element error of the 32-element formats stays within one block's step", "[quant][roundtrip]") {
    const auto x = quant_test::generate(11, 32 * 512);
    for (dtype t : {dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1, dtype::q8_0, dtype::q8_1, dtype::iq4_nl}) {
        const auto y = round_trip(t, x);
        for (std::size_t b = 0; b < x.size(); b += 32) {
            float amax = 0, mn = x[b], mx = x[b];
            for (std::size_t i = b; i < b + 32; ++i) {
                amax = std::max(amax, std::fabs(x[i]));
                mn = std::min(mn, x[i]);
                mx = std::max(mx, x[i]);
            }
            // half a step + fp16 scale error on the largest level (+ the clamped far side for q4_0/q5_0:
            // a whole step). iq4_nl: the widest gap between levels is 24 of 127 (89 -> 113), so half
            // of it relative to the scale that maps the extreme to +-127, loosened by the fitted scale.
            double bound = 0;
            switch (t) {
            case dtype::q4_0: bound = amax / 8.0 * (1 + 16 * 0x1p-11); break;
            case dtype::q5_0: bound = amax / 16.0 * (1 + 32 * 0x1p-11); break;
            case dtype::q8_0:
            case dtype::q8_1: bound = amax / 127.0 * (0.5 + 128 * 0x1p-11); break;
            case dtype::q4_1: bound = (mx - mn) / 15.0 * (0.5 + 16 * 0x1p-11) + std::fabs(mn) * 0x1p-11; break;
            case dtype::q5_1: bound = (mx - mn) / 31.0 * (0.5 + 32 * 0x1p-11) + std::fabs(mn) * 0x1p-11; break;
            case dtype::iq4_nl: bound = amax * 0.25; break;
            default: break;
            }
            // A scale below fp16's normal range keeps only an absolute 2^-25 (it may even flush to
            // zero): that times the largest level.
            const bool four_bit = t == dtype::q4_0 || t == dtype::q4_1, five_bit = t == dtype::q5_0 || t == dtype::q5_1;
            const double top_level = four_bit ? 16 : five_bit ? 32 : 128;
            bound += top_level * 0x1p-25 + (t == dtype::q4_1 || t == dtype::q5_1 ? 0x1p-25 : 0.0);
            for (std::size_t i = b; i < b + 32; ++i) {
                INFO(name(t) << " block " << b / 32 << " element " << i - b << ": x=" << x[i] << " y=" << y[i]);
                REQUIRE(std::fabs(double(x[i]) - y[i]) <= bound);
            }
        }
    }
}

TEST_CASE("f16 and bf16 rows round to nearest even", "[quant][roundtrip]") {
    const std::vector<float> x{1.0f, 1.0f + 0x1p-11f, 1.0f + 0x1p-10f + 0x1p-11f, -65504.0f, 0x1p-24f, 0.0f};
    auto y = round_trip(dtype::f16, x);
    CHECK(y[0] == 1.0f);
    CHECK(y[1] == 1.0f);                  // tie -> even
    CHECK(y[2] == 1.0f + 0x1p-9f);       // tie -> even (up)
    CHECK(y[3] == -65504.0f);
    CHECK(y[4] == 0x1p-24f);             // smallest subnormal survives
    CHECK(y[5] == 0.0f);
    y = round_trip(dtype::bf16, x);
    CHECK(y[1] == 1.0f);
    CHECK(y[3] == -65536.0f);            // 8 mantissa bits: rounds up to 2^16
}
