// Edge cases: all-zero blocks, hand-built blocks with known values, scale packing, rounding
// helpers, and the errors the row-level dispatch raises.
#include <catch2/catch.hpp>
#include <hearth/quant.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

using namespace hearth;

namespace {
// Every dtype the row-level functions handle.
const dtype all_formats[] = {dtype::f32,  dtype::f16,  dtype::bf16, dtype::q4_0, dtype::q4_1, dtype::q5_0,
                             dtype::q5_1, dtype::q8_0, dtype::q8_1, dtype::iq4_nl, dtype::q2_k, dtype::q3_k,
                             dtype::q4_k, dtype::q5_k, dtype::q6_k, dtype::q8_k};

template <class E>
errc kind_of(E&& f) {
    try {
        f();
    } catch (const hearth::error& e) {
        return e.kind();
    }
    return errc::cancelled;  // "nothing thrown"
}
}  // namespace

TEST_CASE("an all-zero block dequantizes to zeros in every format", "[quant][edge]") {
    for (dtype t : all_formats) {
        const std::size_t n = 512;
        std::vector<std::byte> zeros(row_bytes(t, n));
        std::vector<float> y(n, 42.0f);
        quant::dequantize_row(t, zeros.data(), y.data(), n);
        for (float v : y) {
            INFO(name(t));
            REQUIRE(v == 0.0f);
        }
    }
}

TEST_CASE("zero input quantizes to a block that dequantizes to zeros", "[quant][edge]") {
    for (dtype t : all_formats) {
        const std::size_t n = 512;
        std::vector<float> x(n, 0.0f), y(n, 42.0f);
        std::vector<std::byte> q(row_bytes(t, n), std::byte{0x5A});
        quant::quantize_row(t, x.data(), q.data(), n);
        quant::dequantize_row(t, q.data(), y.data(), n);
        for (float v : y) {
            INFO(name(t));
            REQUIRE(v == 0.0f);
        }
    }
    // ggml's bytes for zeros: q4_0 stores level 8 (value 0) in every nibble; iq4_nl index 8 (+1,
    // the level nearest zero, times d = 0).
    quant::block_q4_0 b4{};
    std::vector<float> z(32, 0.0f);
    quant::quantize(z.data(), &b4, 1);
    CHECK(b4.d == 0x8000);  // d = 0.0f / -8 = -0.0f, as in ggml
    for (auto q : b4.qs) CHECK(q == 0x88);
    quant::block_iq4_nl bn{};
    quant::quantize(z.data(), &bn, 1);
    for (auto q : bn.qs) CHECK(q == 0x88);
}

TEST_CASE("hand-built blocks dequantize to the values the layout defines", "[quant][edge]") {
    const f16_bits one = 0x3C00, half = 0x3800;
    SECTION("q4_0: low nibbles are elements 0-15, high nibbles 16-31, value d*(q-8)") {
        quant::block_q4_0 b{};
        b.d = half;
        for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<std::uint8_t>(j | (15 - j) << 4);
        float y[32];
        quant::dequantize(&b, y, 1);
        for (int j = 0; j < 16; ++j) {
            CHECK(y[j] == 0.5f * float(j - 8));
            CHECK(y[j + 16] == 0.5f * float(7 - j));
        }
    }
    SECTION("q5_1: bit j of qh is the 5th bit of element j; value d*q + m") {
        quant::block_q5_1 b{};
        b.d = one;
        b.m = fp32_to_fp16(-3.0f);
        quant::store_qh(b.qh, 0x80000001u);  // elements 0 and 31 get +16
        for (int j = 0; j < 16; ++j) b.qs[j] = 0x21;
        float y[32];
        quant::dequantize(&b, y, 1);
        CHECK(y[0] == 17 - 3.0f);
        CHECK(y[1] == 1 - 3.0f);
        CHECK(y[16] == 2 - 3.0f);
        CHECK(y[31] == 18 - 3.0f);
    }
    SECTION("q8_0 and q8_K: d * q") {
        quant::block_q8_0 b{};
        b.d = half;
        for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<std::int8_t>(j - 16);
        float y[32];
        quant::dequantize(&b, y, 1);
        for (int j = 0; j < 32; ++j) CHECK(y[j] == 0.5f * float(j - 16));
        quant::block_q8_k k{};
        k.d = 0.25f;
        for (int j = 0; j < 256; ++j) k.qs[j] = static_cast<std::int8_t>(j % 200 - 100);
        float yk[256];
        quant::dequantize(&k, yk, 1);
        for (int j = 0; j < 256; ++j) CHECK(yk[j] == 0.25f * float(j % 200 - 100));
    }
    SECTION("q4_K: sub-block j uses scale/min j; nibbles by 64-element chunk") {
        quant::block_q4_k b{};
        b.d = one;
        b.dmin = half;
        std::uint8_t ls[8], lm[8];
        for (int j = 0; j < 8; ++j) {
            ls[j] = static_cast<std::uint8_t>(1 + 7 * j);  // up to 50: uses the top bits
            lm[j] = static_cast<std::uint8_t>(63 - 5 * j);
        }
        quant::pack_k4_scales(b.scales, ls, lm);
        for (int i = 0; i < 128; ++i) b.qs[i] = static_cast<std::uint8_t>((i % 16) | ((15 - i % 16) << 4));
        float y[256];
        quant::dequantize(&b, y, 1);
        for (int e = 0; e < 256; ++e) {
            const int j = e / 32, byte = 32 * (e / 64) + e % 32;
            const int q = j % 2 == 0 ? byte % 16 : 15 - byte % 16;
            CHECK(y[e] == float(ls[j]) * float(q) - 0.5f * float(lm[j]));
        }
    }
    SECTION("q6_K: (d * scale) * (q - 32)") {
        quant::block_q6_k b{};
        b.d = one;
        for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<std::int8_t>(j - 8);
        std::memset(b.ql, 0xFF, sizeof b.ql);  // low nibbles 15
        std::memset(b.qh, 0x55, sizeof b.qh);  // high bits 01 for every element: q = 15 + 16 = 31
        float y[256];
        quant::dequantize(&b, y, 1);
        for (int e = 0; e < 256; ++e) CHECK(y[e] == float(e / 16 - 8) * -1.0f);
    }
}

TEST_CASE("K-quant scale packing round-trips every value", "[quant][edge]") {
    for (int a = 0; a < 64; ++a) {
        std::uint8_t ls[8], lm[8], packed[12];
        for (int j = 0; j < 8; ++j) {
            ls[j] = static_cast<std::uint8_t>((a + 9 * j) % 64);
            lm[j] = static_cast<std::uint8_t>((63 - a + 5 * j) % 64);
        }
        quant::pack_k4_scales(packed, ls, lm);
        for (int j = 0; j < 8; ++j) {
            std::uint8_t sc, m;
            quant::k4_scale_min(j, packed, sc, m);
            REQUIRE(sc == ls[j]);
            REQUIRE(m == lm[j]);
        }
        int biased[16];
        std::uint8_t s3[12];
        for (int j = 0; j < 16; ++j) biased[j] = (a + 13 * j) % 64;
        quant::pack_q3_k_scales(s3, biased);
        for (int j = 0; j < 16; ++j) REQUIRE(quant::q3_k_scale(j, s3) == biased[j] - 32);
    }
}

TEST_CASE("rounding helpers follow ggml", "[quant][edge]") {
    CHECK(quant::nearest_int(0.5f) == 0);  // ties to even
    CHECK(quant::nearest_int(1.5f) == 2);
    CHECK(quant::nearest_int(2.5f) == 2);
    CHECK(quant::nearest_int(-0.5f) == 0);
    CHECK(quant::nearest_int(-1.5f) == -2);
    CHECK(quant::nearest_int(-2.6f) == -3);
    CHECK(quant::nearest_int(4194303.0f) == 4194303);
    // best_index_int8 picks the nearest iq4_nl level, the upper one on an exact tie.
    const auto& v = quant::kvalues_iq4nl;
    for (float x = -140.0f; x <= 130.0f; x += 0.25f) {
        const int got = quant::best_index_int8(16, v.data(), x);
        int want = 0;
        for (int i = 1; i < 16; ++i)
            if (std::abs(x - v[i]) <= std::abs(x - v[want])) want = i;
        INFO("x = " << x);
        REQUIRE(got == want);
    }
}

TEST_CASE("q8 activation formats carry their block sums", "[quant][edge]") {
    std::vector<float> x(512);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 37 % 101) - 50) / 7.0f;
    std::vector<quant::block_q8_k> k(2);
    quant::quantize(x.data(), k.data(), 2);
    for (const auto& b : k)
        for (int j = 0; j < 16; ++j) {
            int s = 0;
            for (int l = 0; l < 16; ++l) s += b.qs[16 * j + l];
            REQUIRE(b.bsums[j] == s);
        }
    std::vector<quant::block_q8_1> q(16);
    quant::quantize(x.data(), q.data(), 16);
    for (const auto& b : q) {
        int s = 0;
        for (auto v : b.qs) s += v;
        // s = fp16(sum * d) with the float d before it was rounded to fp16
        CHECK(std::abs(fp16_to_fp32(b.s) - float(s) * fp16_to_fp32(b.d)) <=
              std::abs(float(s) * fp16_to_fp32(b.d)) * 0x1p-9f + 1e-6f);
    }
}

TEST_CASE("row-level dispatch rejects bad arguments with hearth::error", "[quant][edge]") {
    std::vector<float> x(256, 1.0f), y(256);
    std::vector<std::byte> q(4096);
    CHECK(kind_of([&] { quant::quantize_row(dtype::q4_0, x.data(), q.data(), 33); }) == errc::invalid_argument);
    CHECK(kind_of([&] { quant::dequantize_row(dtype::q4_k, q.data(), y.data(), 128); }) == errc::invalid_argument);
    CHECK(kind_of([&] { quant::vec_dot(dtype::q6_k, q.data(), q.data(), 100); }) == errc::invalid_argument);
    CHECK(kind_of([&] { quant::dequantize_row(dtype::iq2_xxs, q.data(), y.data(), 256); }) == errc::unsupported);
    CHECK(kind_of([&] { quant::quantize_row(dtype::tq1_0, x.data(), q.data(), 256); }) == errc::unsupported);
    CHECK(kind_of([&] { quant::vec_dot(dtype::q8_k, q.data(), q.data(), 256); }) == errc::unsupported);
    CHECK(kind_of([&] { quant::activation_type(dtype::i32); }) == errc::unsupported);
    CHECK(kind_of([&] { quant::dequantize_row(static_cast<dtype>(999), q.data(), y.data(), 256); }) ==
          errc::unsupported);
    // misaligned block pointer (q8_K holds a float)
    CHECK(kind_of([&] { quant::dequantize_row(dtype::q8_k, q.data() + 1, y.data(), 256); }) ==
          errc::invalid_argument);
    try {
        quant::quantize_row(dtype::q4_0, x.data(), q.data(), 33);
    } catch (const hearth::error& e) {
        CHECK_THAT(e.what(), Catch::Contains("q4_0") && Catch::Contains("32") && Catch::Contains("33"));
    }
}

TEST_CASE("activation formats are ggml's pairing", "[quant][edge]") {
    using quant::activation_type;
    CHECK(activation_type(dtype::f32) == dtype::f32);
    CHECK(activation_type(dtype::f16) == dtype::f16);
    CHECK(activation_type(dtype::bf16) == dtype::bf16);
    for (dtype t : {dtype::q4_0, dtype::q5_0, dtype::q8_0, dtype::iq4_nl}) CHECK(activation_type(t) == dtype::q8_0);
    for (dtype t : {dtype::q4_1, dtype::q5_1}) CHECK(activation_type(t) == dtype::q8_1);
    for (dtype t : {dtype::q2_k, dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k})
        CHECK(activation_type(t) == dtype::q8_k);
}

TEST_CASE("q8_0/q8_1 activation rounding follows ggml's three conventions", "[quant][edge]") {
    using quant::q8_rounding;
    const q8_rounding all[] = {q8_rounding::reference, q8_rounding::x86, q8_rounding::arm};
    SECTION("ties: away from zero for the reference, to even for x86 and arm") {
        // amax 127 gives d = 1 and a multiplier of exactly 1 in every convention.
        float x[32] = {127.0f, 2.5f, -2.5f, 3.5f, -3.5f, 0.5f, -0.5f, 126.5f};
        const int reference[] = {127, 3, -3, 4, -4, 1, -1, 127};
        const int even[] = {127, 2, -2, 4, -4, 0, 0, 126};
        for (q8_rounding r : all) {
            quant::block_q8_0 b0{};
            quant::block_q8_1 b1{};
            quant::quantize(x, &b0, 1, r);
            quant::quantize(x, &b1, 1, r);
            const int* want = r == q8_rounding::reference ? reference : even;
            int sum = 0;
            for (int j = 0; j < 8; ++j) {
                INFO("convention " << int(r) << " value " << x[j]);
                CHECK(b0.qs[j] == want[j]);
                CHECK(b1.qs[j] == want[j]);
                sum += want[j];
            }
            CHECK(fp16_to_fp32(b0.d) == 1.0f);
            CHECK(fp16_to_fp32(b1.s) == float(sum));
        }
    }
    SECTION("the x86 multiplier 127/amax differs from 1/(amax/127) in the last bit, and it shows") {
        // Find a block maximum whose two multipliers differ, then a value between the two
        // rounding thresholds: x * (1/d) reaches n + 1/2 while x * (127/amax) stays below it.
        bool found = false;
        for (float amax = 1.0f; amax < 2.0f && !found; amax = std::nextafter(amax, 2.0f)) {
            const float d = amax / 127, by_d = 1.0f / d, by_amax = 127.0f / amax;
            if (by_d <= by_amax) continue;
            for (int n = 10; n < 120 && !found; ++n) {
                float v = (float(n) + 0.5f) / by_amax;
                for (int step = 0; step < 8 && !found; ++step, v = std::nextafter(v, 0.0f)) {
                    if (!(v * by_d >= float(n) + 0.5f && v * by_amax < float(n) + 0.5f)) continue;
                    float x[32] = {};
                    x[0] = amax;
                    x[1] = v;
                    quant::block_q8_0 ref{}, x86{}, arm{};
                    quant::quantize(x, &ref, 1, q8_rounding::reference);
                    quant::quantize(x, &x86, 1, q8_rounding::x86);
                    quant::quantize(x, &arm, 1, q8_rounding::arm);
                    CHECK(ref.qs[1] == n + 1);
                    CHECK(arm.qs[1] == n + 1);  // arm multiplies by 1/d too
                    CHECK(x86.qs[1] == n);
                    CHECK(ref.d == x86.d);  // the stored scale is amax/127 in every convention
                    found = true;
                }
            }
        }
        CHECK(found);
    }
}
