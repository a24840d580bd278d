// Single-row kernels used by attention over the KV cache, against the scalar reference.
// Tolerance for axpy: the SIMD path forms (d * s) * q where the reference forms s * (d * q); the two
// differ by one float rounding of a product, so 2 ulps of the magnitude of each term suffice.
#include "cpu_test_support.hpp"
#include <hearth/quant/kquants.hpp>
#include <hearth/quant/legacy.hpp>

namespace hc = hearth::cpu;
using hearth::dtype;
using cpu_test::arch;
using cpu_test::ref;

TEST_CASE("row ops: dot_row of cache rows equals the reference dot", "[cpu][rows]") {
    for (dtype k_type : {dtype::f16, dtype::q8_0, dtype::q4_0, dtype::f32})
        for (std::size_t n : {64, 128, 96}) {
            const auto k = cpu_test::random_floats(n, 5), q = cpu_test::random_floats(n, 6);
            const dtype qt = hc::activation_type_of(k_type);
            std::vector<std::byte> krow(hearth::row_bytes(k_type, n)), qrow(hearth::row_bytes(qt, n));
            if (k_type == dtype::q4_0)
                hearth::quant::quantize(k.data(), reinterpret_cast<hearth::quant::block_q4_0*>(krow.data()), n / 32);
            else
                hc::scalar_detail::ref_quantize_activation(k_type, k.data(), krow.data(), n);
            hc::quantize_row<arch>(qt, q.data(), qrow.data(), n);
            const float ours = hc::dot_row<arch>(k_type, krow.data(), qrow.data(), n);
            const float want = hc::dot_row<ref>(k_type, krow.data(), qrow.data(), n);
            double mag = 0;
            for (std::size_t i = 0; i < n; ++i) mag += std::fabs(double(k[i]) * q[i]);
            INFO(hearth::name(k_type) << " n " << n);
            CHECK(std::fabs(ours - want) <= 1e-5 * mag + 1e-6);
        }
}

TEST_CASE("row ops: axpy_row accumulates a weighted value row", "[cpu][rows]") {
    for (dtype v_type : {dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0, dtype::q4_0, dtype::q4_k, dtype::q6_k})
        for (std::size_t n : {256, 512}) {
            const auto v = cpu_test::random_floats(n, 7, -3.0f, 3.0f);
            std::vector<std::byte> row(hearth::row_bytes(v_type, n));
            hc::visit_weight_type(v_type, [&](auto tc) {
                constexpr dtype T = decltype(tc)::value;
                if constexpr (T == dtype::f32 || T == dtype::f16 || T == dtype::bf16)
                    hc::scalar_detail::ref_quantize_activation(T, v.data(), row.data(), n);
                else
                    hearth::quant::quantize(v.data(), reinterpret_cast<hearth::quant::block_t<T>*>(row.data()),
                                            n / hearth::quant::traits_block_elems(T));
            });
            std::vector<float> deq(n);
            hc::dequantize_row(v_type, row.data(), deq.data(), n);
            auto ours = cpu_test::random_floats(n, 8), want = ours;
            hc::axpy_row<arch>(v_type, row.data(), 0.37f, ours.data(), n);
            for (std::size_t i = 0; i < n; ++i) want[i] += 0.37f * deq[i];
            for (std::size_t i = 0; i < n; ++i) {
                INFO(hearth::name(v_type) << " n " << n << " i " << i);
                CHECK(std::fabs(ours[i] - want[i]) <= 2.5e-7 * (std::fabs(want[i]) + std::fabs(0.37f * deq[i])));
            }
        }
}
