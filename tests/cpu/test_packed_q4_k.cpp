// q4_K weights repacked into groups of 8 interleaved rows (weight_layout::q4_kx8,
// packed_q4_k.hpp): the layout round-trips (6-bit scales included), its scalar twin computes the
// q4_K dot, and where the arch reads the layout (x86) the SIMD GEMV gives the twin's bits, which
// are also the file layout's, in any batch.
#include "packed_test_support.hpp"
#include <hearth/cpu/backend.hpp>
#include <hearth/quant/kquants.hpp>
#include <cstring>

namespace hc = hearth::cpu;
using hearth::dtype;
using hearth::quant::block_q4_k;
using hearth::quant::block_q8_k;
using cpu_test::arch;
using packing = hc::q4_kx8_packing;

namespace {

std::vector<std::byte> pack(const std::vector<std::byte>& w, std::size_t rows, std::size_t k) {
    return packed_test::pack<dtype::q4_k, packing>(w, rows, k);
}

}  // namespace

TEST_CASE("packed q4_K: a row unpacks to the file's super-blocks", "[cpu][packed]") {
    const std::size_t rows = 16, k = 512;
    const auto w = cpu_test::quantized_rows<dtype::q4_k>(rows, k, 3);
    const auto p = pack(w, rows, k);
    REQUIRE(hc::kernels<arch>::packed_bytes(hc::weight_layout::q4_kx8, rows, k) == p.size());
    std::vector<block_q4_k> row(k / 256);
    for (std::size_t r = 0; r < rows; ++r) {
        packing::unpack_row(p.data(), k / 256, r, row.data());
        REQUIRE(std::memcmp(row.data(), w.data() + r * hearth::row_bytes(dtype::q4_k, k), row.size() * sizeof(block_q4_k)) == 0);
    }
    packed_test::check_get_rows<dtype::q4_k, packing>(hc::weight_layout::q4_kx8, w, rows, k);
}

TEST_CASE("packed q4_K: the arch's packing writes the scalar packing's bytes", "[cpu][packed]") {
    const std::size_t rows = 32, k = 512;
    const auto w = cpu_test::quantized_rows<dtype::q4_k>(rows, k, 5);
    std::vector<std::byte> got(rows / 8 * packing::group_bytes(k / 256));
    hc::kernels<arch>::pack(hc::weight_layout::q4_kx8, w.data(), hearth::row_bytes(dtype::q4_k, k), k, 0, 1, got.data());
    hc::kernels<arch>::pack(hc::weight_layout::q4_kx8, w.data(), hearth::row_bytes(dtype::q4_k, k), k, 1, 4, got.data());
    REQUIRE(got == pack(w, rows, k));
}

TEST_CASE("packed q4_K: the scalar twin computes the q4_K dot of each row", "[cpu][packed]") {
    const std::size_t rows = 8, k = 768, nb = k / 256;
    const auto w = cpu_test::quantized_rows<dtype::q4_k>(rows, k, 11);
    const auto p = pack(w, rows, k);
    const auto x = cpu_test::random_floats(k, 5, -2.0f, 2.0f);
    std::vector<std::byte> a(hearth::row_bytes(dtype::q8_k, k));
    hc::kernels<arch>::quantize_activation(dtype::q8_k, x.data(), a.data(), k);
    const auto* act = reinterpret_cast<const block_q8_k*>(a.data());
    float y[8];
    packing::ref_gemv(p.data(), nb, act, y);
    for (std::size_t r = 0; r < rows; ++r) {
        const auto* row = w.data() + r * hearth::row_bytes(dtype::q4_k, k);
        const float want = hc::kernels<hc::scalar>::dot(dtype::q4_k, row, a.data(), k);
        std::vector<float> wd(k), ad(k);
        hc::dequantize_row(dtype::q4_k, row, wd.data(), k);
        hearth::quant::dequantize(act, ad.data(), nb);
        double mag = 0;
        for (std::size_t i = 0; i < k; ++i) mag += std::fabs(double(wd[i]) * ad[i]);
        INFO("row " << r << ": got " << y[r] << " want " << want);
        REQUIRE(cpu_test::close(y[r], want, mag, 1e-5, 1e-6));
    }
}

TEST_CASE("packed q4_K: matmul over the packed layout gives the twin's and the file layout's bits", "[cpu][packed]") {
    if (!packed_test::arch_reads<dtype::q4_k, packing>(hc::weight_layout::q4_kx8, 256)) return;
    const bool small = cpu_test::small_sizes();
    for (std::size_t rows : {8u, 24u, 48u})
        for (std::size_t k : {256u, small ? 512u : 2048u})
            packed_test::check_matmul<dtype::q4_k, packing>(hc::weight_layout::q4_kx8,
                                                            cpu_test::quantized_rows<dtype::q4_k>(rows, k, 100 + std::uint32_t(k)),
                                                            rows, k, {1u, 2u, 9u, 17u}, true);
}
