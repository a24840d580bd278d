// Integer parts must be EXACT: the activation quantizers of native_arch produce the same bytes as
// the scalar quantizers with the arch's rounding convention (llama.cpp's on that instruction set), and with unit scales every block dot product (an integer sum) is
// bit-identical to the scalar twin's.
#include "cpu_test_support.hpp"
#include <hearth/quant/kquants.hpp>
#include <hearth/quant/legacy.hpp>
#include <cstring>
#include <limits>

namespace hc = hearth::cpu;
using hearth::dtype;
using cpu_test::arch;
using cpu_test::ref;

namespace {

// Rows that stress the quantizers: random, zeros, one spike, a +-max tie, ties at .5 after scaling.
std::vector<std::vector<float>> tricky_rows(std::size_t k) {
    std::vector<std::vector<float>> rows;
    rows.push_back(cpu_test::random_floats(k, 21));
    rows.push_back(cpu_test::random_floats(k, 22, -1e-3f, 3e4f));
    rows.push_back(std::vector<float>(k, 0.0f));
    auto spike = std::vector<float>(k, 0.0f);
    spike[k / 2] = -3.5f;
    rows.push_back(spike);
    auto tie = cpu_test::random_floats(k, 23);
    for (std::size_t b = 0; b < k; b += 32) {
        tie[b + 3] = 2.0f;  // +max then -max in every block: the first one sets the sign (q8_K)
        tie[b + 9] = -2.0f;
    }
    rows.push_back(tie);
    // Multiples of max/254 land exactly on .5 after scaling by 127/max: the rounding rule shows.
    auto halves = std::vector<float>(k);
    for (std::size_t i = 0; i < k; ++i) halves[i] = (i % 32 == 0) ? 127.0f : float(int(i % 64) - 32) + 0.5f;
    rows.push_back(halves);
    return rows;
}

}  // namespace

TEST_CASE("quantize: activation rows are byte-identical to their scalar twins", "[cpu][quantize]") {
    const std::size_t k = 512;
    for (dtype act : {dtype::q8_0, dtype::q8_1, dtype::q8_k, dtype::f16, dtype::bf16, dtype::f32}) {
        const std::size_t bytes = hearth::row_bytes(act, k);
        int row_index = 0;
        for (const auto& x : tricky_rows(k)) {
            std::vector<std::byte> ours(bytes, std::byte{0x5a}), want(bytes, std::byte{0xa5});
            hc::kernels<arch>::quantize_activation(act, x.data(), ours.data(), k);
            hc::scalar_detail::ref_quantize_activation(act, x.data(), want.data(), k, hc::activation_rounding<arch>);
            INFO(hearth::name(act) << " row " << row_index);
            CHECK(std::memcmp(ours.data(), want.data(), bytes) == 0);
            ++row_index;
        }
    }
}

namespace {

// Random block bytes with every scale field set to 1.0 (fp16 0x3C00), so the dot product is the
// integer sum itself. Activation levels stay within [-8, 8] so every sum is below 2^24 (exact in
// float on both sides).
template <dtype T> std::vector<std::byte> unit_scale_weights(std::size_t nb, std::mt19937& rng) {
    using block = hearth::quant::block_t<T>;
    std::vector<block> blocks(nb);
    auto* raw = reinterpret_cast<unsigned char*>(blocks.data());
    for (std::size_t i = 0; i < nb * sizeof(block); ++i) raw[i] = static_cast<unsigned char>(rng());
    for (auto& b : blocks) {
        if constexpr (requires { b.d; }) b.d = 0x3C00;
        if constexpr (requires { b.m; }) b.m = 0x3C00;
        if constexpr (requires { b.dmin; }) b.dmin = 0x3C00;
    }
    std::vector<std::byte> out(nb * sizeof(block));
    std::memcpy(out.data(), blocks.data(), out.size());
    return out;
}

std::vector<std::byte> unit_scale_activations(dtype act, std::size_t k, std::mt19937& rng) {
    std::uniform_int_distribution<int> level(-8, 8);
    if (act == dtype::q8_k) {
        std::vector<hearth::quant::block_q8_k> b(k / 256);
        for (auto& blk : b) {
            blk.d = 1.0f;
            for (auto& q : blk.qs) q = static_cast<std::int8_t>(level(rng));
            for (int j = 0; j < 16; ++j) {
                int s = 0;
                for (int l = 0; l < 16; ++l) s += blk.qs[16 * j + l];
                blk.bsums[j] = static_cast<std::int16_t>(s);
            }
        }
        std::vector<std::byte> out(b.size() * sizeof b[0]);
        std::memcpy(out.data(), b.data(), out.size());
        return out;
    }
    std::vector<hearth::quant::block_q8_1> b(k / 32);  // q8_0 is q8_1 without s: build q8_1, then pack
    for (auto& blk : b) {
        blk.d = 0x3C00;
        int s = 0;
        for (auto& q : blk.qs) s += (q = static_cast<std::int8_t>(level(rng)));
        blk.s = hearth::fp32_to_fp16(static_cast<float>(s));
    }
    std::vector<std::byte> out;
    for (auto& blk : b) {
        const auto* p = reinterpret_cast<const std::byte*>(&blk);
        if (act == dtype::q8_1) {
            out.insert(out.end(), p, p + sizeof blk);
        } else {
            out.insert(out.end(), p, p + 2);       // d
            out.insert(out.end(), p + 4, p + 36);  // qs
        }
    }
    return out;
}

}  // namespace

TEST_CASE("matmul kernels: integer block sums are exact (unit scales)", "[cpu][matmul][exact]") {
    std::mt19937 rng(99);
    auto run = [&](auto tc) {
        constexpr dtype T = decltype(tc)::value;
        constexpr std::size_t qk = hearth::quant::traits_block_elems(T);
        for (std::size_t nb : {std::size_t{1}, std::size_t{2}, std::size_t{5}}) {
            for (int trial = 0; trial < 20; ++trial) {
                const auto w = unit_scale_weights<T>(nb, rng);
                const auto a = unit_scale_activations(hc::activation_type_of(T), nb * qk, rng);
                const float ours = hc::kernels<arch>::dot(T, w.data(), a.data(), nb * qk);
                const float want = hc::kernels<ref>::dot(T, w.data(), a.data(), nb * qk);
                INFO(hearth::name(T) << " blocks " << nb << " trial " << trial);
                REQUIRE(ours == want);
            }
        }
    };
    for (dtype t : {dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1, dtype::q8_0, dtype::iq4_nl, dtype::q2_k,
                    dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k})
        hc::visit_weight_type(t, [&](auto tc) {
            if constexpr (decltype(tc)::value != dtype::f32 && decltype(tc)::value != dtype::f16 &&
                          decltype(tc)::value != dtype::bf16)
                run(tc);
        });
}
