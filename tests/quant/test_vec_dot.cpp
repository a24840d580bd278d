// vec_dot against the dot product of the dequantized rows.
//
// Tolerance: the integer part of every block is exact, so the two differ only by float rounding:
// one rounding for each of the ~3 float operations per block in the accumulation (relative 2^-24
// each, at most n/32 + 8 of them in a row, so 1e-5 of the sum of |w_i a_i| covers n = 4096 with
// room), plus for q4_1/q5_1 the min term: q8_1 stores s = fp16(d * sum q) computed from the float
// d, while the dequantized row uses fp16(d) * q, so each block's min term may differ by 2^-10 of
// |m * s|.
#include <catch2/catch.hpp>
#include <hearth/quant.hpp>
#include "quant_test_data.hpp"
#include <cmath>
#include <cstddef>
#include <vector>

using namespace hearth;

namespace {
struct row {
    std::vector<std::byte> bytes;
    std::vector<float> values;  // dequantized
};
row make_row(dtype t, const std::vector<float>& x) {
    row r{std::vector<std::byte>(row_bytes(t, x.size())), std::vector<float>(x.size())};
    quant::quantize_row(t, x.data(), r.bytes.data(), x.size());
    quant::dequantize_row(t, r.bytes.data(), r.values.data(), x.size());
    return r;
}
}  // namespace

TEST_CASE("vec_dot equals the dot product of the dequantized rows", "[quant][vec_dot]") {
    const std::size_t n = 4096;
    const dtype weights[] = {dtype::f32,  dtype::f16,  dtype::bf16, dtype::q4_0, dtype::q4_1, dtype::q5_0,
                             dtype::q5_1, dtype::q8_0, dtype::iq4_nl, dtype::q2_k, dtype::q3_k, dtype::q4_k,
                             dtype::q5_k, dtype::q6_k};
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        const auto xw = quant_test::generate(100 + seed, n);
        const auto xa = quant_test::generate_plain(200 + seed, n);
        for (dtype t : weights) {
            const dtype at = quant::activation_type(t);
            const row w = make_row(t, xw), a = make_row(at, xa);
            double exact = 0, magnitude = 0, min_terms = 0;
            for (std::size_t i = 0; i < n; ++i) {
                exact += double(w.values[i]) * a.values[i];
                magnitude += std::fabs(double(w.values[i]) * a.values[i]);
            }
            if (at == dtype::q8_1) {
                const auto* ab = reinterpret_cast<const quant::block_q8_1*>(a.bytes.data());
                for (std::size_t b = 0; b < n / 32; ++b) {
                    const f16_bits m = t == dtype::q4_1
                                           ? reinterpret_cast<const quant::block_q4_1*>(w.bytes.data())[b].m
                                           : reinterpret_cast<const quant::block_q5_1*>(w.bytes.data())[b].m;
                    min_terms += std::fabs(double(fp16_to_fp32(m)) * fp16_to_fp32(ab[b].s));
                }
            }
            const float got = quant::vec_dot(t, w.bytes.data(), a.bytes.data(), n);
            const double tol = 1e-5 * magnitude + 0x1p-10 * min_terms + 1e-30;
            INFO(name(t) << " seed " << seed << ": vec_dot " << got << ", dequantized dot " << exact
                         << ", tolerance " << tol);
            CHECK(std::fabs(got - exact) <= tol);
        }
    }
}

TEST_CASE("vec_dot of small-integer blocks is exact", "[quant][vec_dot]") {
    // Scales come out as exactly 1 (or 0.5): every level, product and sum is an exactly representable
    // number, so any element mapped to the wrong place shows up as a wrong integer.
    const std::size_t n = 512;
    std::vector<float> w4(n), w8(n), a(n);
    for (std::size_t i = 0; i < n; ++i) {
        w4[i] = float(int(i * 7 % 15) - 7);      // [-7, 7]; -8 at each block start -> d = 1 (q4_0), 0.5 (q5_0)
        w8[i] = float(int(i * 13 % 255) - 127);  // [-127, 127]; -127 at each block start -> d = 1
        a[i] = float(int(i * 11 % 255) - 127);
    }
    for (std::size_t b = 0; b < n; b += 32) {
        w4[b] = -8.0f;
        w8[b] = -127.0f;
        a[b] = 127.0f;
    }
    for (dtype t : {dtype::q4_0, dtype::q5_0, dtype::q8_0}) {
        const auto& w = t == dtype::q8_0 ? w8 : w4;
        double exact = 0;
        for (std::size_t i = 0; i < n; ++i) exact += double(w[i]) * a[i];
        std::vector<std::byte> wq(row_bytes(t, n)), aq(row_bytes(dtype::q8_0, n));
        quant::quantize_row(t, w.data(), wq.data(), n);
        quant::quantize_row(dtype::q8_0, a.data(), aq.data(), n);
        INFO(name(t));
        CHECK(quant::vec_dot(t, wq.data(), aq.data(), n) == float(exact));
    }
}
