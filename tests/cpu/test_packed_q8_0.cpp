// q8_0 weights repacked into groups of 8 interleaved rows (weight_layout::q8_0x8, packed_q8_0.hpp,
// stored + 128): the layout round-trips (-128 included), its scalar twin computes the q8_0 dot,
// and where the arch reads the layout (x86 with VNNI) the SIMD GEMV gives the twin's bits, which
// are also the file layout's, in any batch.
#include "packed_test_support.hpp"
#include <hearth/quant/legacy.hpp>
#include <cstring>

namespace hc = hearth::cpu;
using hearth::dtype;
using hearth::quant::block_q8_0;
using cpu_test::arch;
using packing = hc::q8_0x8_packing;
constexpr auto layout = hc::weight_layout::q8_0x8;

namespace {

// Quantized rows with some weights at -128, which ggml's quantizer never writes but a file may
// hold: the layout's +128 must keep them exact.
std::vector<std::byte> rows_with_extremes(std::size_t rows, std::size_t k, std::uint32_t seed) {
    auto w = cpu_test::quantized_rows<dtype::q8_0>(rows, k, seed);
    auto* blocks = reinterpret_cast<block_q8_0*>(w.data());
    for (std::size_t b = 0; b < rows * k / 32; b += 3) {
        blocks[b].qs[b % 32] = -128;
        blocks[b].qs[(b + 7) % 32] = 127;
    }
    return w;
}

}  // namespace

TEST_CASE("packed q8_0: a row unpacks to the file's blocks", "[cpu][packed]") {
    const std::size_t rows = 16, k = 96;
    const auto w = rows_with_extremes(rows, k, 3);
    const auto p = packed_test::pack<dtype::q8_0, packing>(w, rows, k);
    REQUIRE(p.size() == w.size());
    REQUIRE(hc::kernels<arch>::packed_bytes(layout, rows, k) == p.size());
    std::vector<block_q8_0> row(k / 32);
    for (std::size_t r = 0; r < rows; ++r) {
        packing::unpack_row(p.data(), k / 32, r, row.data());
        REQUIRE(std::memcmp(row.data(), w.data() + r * hearth::row_bytes(dtype::q8_0, k), row.size() * sizeof(block_q8_0)) == 0);
    }
    packed_test::check_get_rows<dtype::q8_0, packing>(layout, w, rows, k);
}

TEST_CASE("packed q8_0: the arch's packing writes the scalar packing's bytes", "[cpu][packed]") {
    const std::size_t rows = 32, k = 160, ws = hearth::row_bytes(dtype::q8_0, k);
    const auto w = rows_with_extremes(rows, k, 17);
    std::vector<std::byte> got(w.size());
    // Two calls over parts of the groups, as the backend's threads make them.
    hc::kernels<arch>::pack(layout, w.data(), ws, k, 0, 1, got.data());
    hc::kernels<arch>::pack(layout, w.data(), ws, k, 1, rows / 8, got.data());
    REQUIRE(got == packed_test::pack<dtype::q8_0, packing>(w, rows, k));
}

TEST_CASE("packed q8_0: the scalar twin computes the q8_0 dot of each row", "[cpu][packed]") {
    const std::size_t rows = 8, k = 256, nb = k / 32;
    const auto w = rows_with_extremes(rows, k, 11);
    const auto p = packed_test::pack<dtype::q8_0, packing>(w, rows, k);
    const auto x = cpu_test::random_floats(k, 5, -2.0f, 2.0f);
    const auto a = packed_test::activation_row<dtype::q8_0>(x.data(), k);
    const auto* act = reinterpret_cast<const block_q8_0*>(a.data());
    float y[8];
    packing::ref_gemv(p.data(), nb, act, y);
    for (std::size_t r = 0; r < rows; ++r) {
        const auto* row = reinterpret_cast<const block_q8_0*>(w.data() + r * hearth::row_bytes(dtype::q8_0, k));
        // The same exact integer sum per block; only the float order of the blocks' sum differs.
        double want = 0, mag = 0;
        for (std::size_t b = 0; b < nb; ++b) {
            std::int32_t s = 0;
            for (int i = 0; i < 32; ++i) s += row[b].qs[i] * act[b].qs[i];
            const double term = double(hearth::fp16_to_fp32(row[b].d)) * hearth::fp16_to_fp32(act[b].d) * s;
            want += term;
            mag += std::fabs(term);
        }
        INFO("row " << r << ": got " << y[r] << " want " << want);
        REQUIRE(cpu_test::close(y[r], want, mag, 1e-5, 1e-6));
    }
}

TEST_CASE("packed q8_0: matmul over the packed layout gives the twin's and the file layout's bits", "[cpu][packed]") {
    if (!packed_test::arch_reads<dtype::q8_0, packing>(layout, 64)) return;
    const bool small = cpu_test::small_sizes();
    // 8 and 24 rows: an odd last group of 8 in the GEMM, which pairs groups.
    for (std::size_t rows : {8u, 24u, 48u})
        for (std::size_t k : {32u, 96u, small ? 256u : 2048u})
            packed_test::check_matmul<dtype::q8_0, packing>(layout, rows_with_extremes(rows, k, 100 + std::uint32_t(k)),
                                                            rows, k, {1u, 2u, 7u, 17u}, true);
}

TEST_CASE("packed q8_0: the GEMM makes its own side data when a caller passes none", "[cpu][packed]") {
    // cpu::matmul hands the packed GEMM the -128 * sum(a) it made once per matmul; a caller of
    // kernels::rows that does not (bench_kernels) gets the same bits from the GEMM's own.
    if (!packed_test::arch_reads<dtype::q8_0, packing>(layout, 64)) return;
    const std::size_t rows = 24, k = 96, n_tokens = 7;
    const auto w = rows_with_extremes(rows, k, 41);
    const auto p = packed_test::pack<dtype::q8_0, packing>(w, rows, k);
    const auto W = packed_test::packed_view<dtype::q8_0>(p, rows, k, layout);
    const auto x = cpu_test::random_floats(n_tokens * k, 9, -2.0f, 2.0f);
    hc::thread_pool pool(1);
    hc::matmul_context ctx(pool);
    std::vector<float> want(n_tokens * rows), got(n_tokens * rows, -1.0f);
    hc::matmul<arch>(ctx, W, x.data(), k, n_tokens, want.data(), rows);
    const std::size_t as = hearth::row_bytes(dtype::q8_0, k);
    std::vector<std::byte> a(n_tokens * as);
    for (std::size_t t = 0; t < n_tokens; ++t) {
        const auto row = packed_test::activation_row<dtype::q8_0>(x.data() + t * k, k);
        std::memcpy(a.data() + t * as, row.data(), as);
    }
    hc::kernels<arch>::rows(W, 0, rows, a.data(), as, n_tokens, got.data(), rows, nullptr);
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("token " << i / rows << " row " << i % rows);
        REQUIRE(got[i] == want[i]);
    }
}
