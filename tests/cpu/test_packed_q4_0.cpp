// q4_0 weights repacked at load into groups of 8 interleaved rows (weight_layout::q4_0x8,
// packed_q4_0.hpp): the layout round-trips, its scalar twin computes the q4_0 dot, and where the
// arch reads the layout (x86) the SIMD GEMV gives the twin's bits, the GEMM matches the twin within
// the rounding bound of test_matmul.cpp, a token gets the same bits in any batch, and the
// backend's load() repacks exactly where asked to.
#include "packed_test_support.hpp"
#include <hearth/cpu/backend.hpp>
#include <hearth/quant/legacy.hpp>
#include <cstring>

namespace hc = hearth::cpu;
using hearth::dtype;
using hearth::quant::block_q4_0;
using hearth::quant::block_q8_0;
using cpu_test::arch;
using packing = hc::q4_0x8_packing;

namespace {

std::vector<std::byte> pack(const std::vector<std::byte>& w, std::size_t rows, std::size_t k) {
    return packed_test::pack<dtype::q4_0, packing>(w, rows, k);
}

}  // namespace

TEST_CASE("packed q4_0: a row unpacks to the file's blocks", "[cpu][packed]") {
    const std::size_t rows = 16, k = 96;
    const auto w = cpu_test::quantized_rows<dtype::q4_0>(rows, k, 3);
    const auto p = pack(w, rows, k);
    std::vector<block_q4_0> row(k / 32);
    for (std::size_t r = 0; r < rows; ++r) {
        packing::unpack_row(p.data(), k / 32, r, row.data());
        REQUIRE(std::memcmp(row.data(), w.data() + r * hearth::row_bytes(dtype::q4_0, k), row.size() * sizeof(block_q4_0)) == 0);
    }
}

TEST_CASE("packed q4_0: the arch's packing writes the scalar packing's bytes", "[cpu][packed]") {
    for (std::size_t rows : {8u, 32u}) {
        const std::size_t k = 160, ws = hearth::row_bytes(dtype::q4_0, k);
        const auto w = cpu_test::quantized_rows<dtype::q4_0>(rows, k, 17);
        const auto want = pack(w, rows, k);
        std::vector<std::byte> got(w.size());
        // Two calls over halves of the groups, as the backend's threads make them.
        hc::kernels<arch>::pack(hc::weight_layout::q4_0x8, w.data(), ws, k, 0, rows / 16, got.data());
        hc::kernels<arch>::pack(hc::weight_layout::q4_0x8, w.data(), ws, k, rows / 16, rows / 8, got.data());
        REQUIRE(got == want);
    }
}

TEST_CASE("packed q4_0: the scalar twin computes the q4_0 dot of each row", "[cpu][packed]") {
    const std::size_t rows = 8, k = 256, nb = k / 32;
    const auto w = cpu_test::quantized_rows<dtype::q4_0>(rows, k, 11);
    const auto p = pack(w, rows, k);
    const auto x = cpu_test::random_floats(k, 5, -2.0f, 2.0f);
    const auto a = packed_test::activation_row<dtype::q4_0>(x.data(), k);
    const auto* act = reinterpret_cast<const block_q8_0*>(a.data());
    float y[8];
    packing::ref_gemv(p.data(), nb, act, y);
    for (std::size_t r = 0; r < rows; ++r) {
        const auto* row = reinterpret_cast<const block_q4_0*>(w.data() + r * hearth::row_bytes(dtype::q4_0, k));
        // Per block the same exact integer sum times the same scales; only the float order of
        // the blocks' sum differs (the twin FMAs each block's product into its running sum).
        double want = 0, mag = 0;
        for (std::size_t b = 0; b < nb; ++b) {
            std::int32_t s = 0;
            for (int i = 0; i < 16; ++i)
                s += ((row[b].qs[i] & 0x0f) - 8) * act[b].qs[i] + ((row[b].qs[i] >> 4) - 8) * act[b].qs[16 + i];
            const double term = double(hearth::fp16_to_fp32(row[b].d)) * hearth::fp16_to_fp32(act[b].d) * s;
            want += term;
            mag += std::fabs(term);
        }
        INFO("row " << r << ": got " << y[r] << " want " << want);
        REQUIRE(cpu_test::close(y[r], want, mag, 1e-5, 1e-6));
    }
}

TEST_CASE("packed q4_0: matmul over the packed layout against the twin", "[cpu][packed]") {
    if (!packed_test::arch_reads<dtype::q4_0, packing>(hc::weight_layout::q4_0x8, 64)) return;
    const bool small = cpu_test::small_sizes();
    // The file layout's GEMV sums in another float order: within the rounding bound of it.
    for (std::size_t rows : {8u, 24u, 48u})
        for (std::size_t k : {32u, 96u, small ? 256u : 2048u})
            packed_test::check_matmul<dtype::q4_0, packing>(hc::weight_layout::q4_0x8,
                                                            cpu_test::quantized_rows<dtype::q4_0>(rows, k, 100 + std::uint32_t(k)),
                                                            rows, k, {1u, 2u, 3u, 7u, 17u}, false);
}

TEST_CASE("packed q4_0: get_rows reads a packed table as the file's", "[cpu][packed][get_rows]") {
    const std::size_t rows = 16, k = 64;
    packed_test::check_get_rows<dtype::q4_0, packing>(hc::weight_layout::q4_0x8,
                                                      cpu_test::quantized_rows<dtype::q4_0>(rows, k, 9), rows, k);
}

TEST_CASE("packed q4_0: the backend repacks a q4_0 matrix on its second one-token matmul", "[cpu][packed]") {
    const bool packs = hc::kernels<arch>::packed_layout(dtype::q4_0, 8, 64) == hc::weight_layout::q4_0x8;
    auto view_of = [](const std::vector<std::byte>& bytes, dtype t, std::uint64_t rows, std::uint64_t cols) {
        return hearth::gguf::tensor_view{"w", t, 2, {cols, rows, 1, 1}, 0, bytes};
    };
    const std::size_t k = 128;
    const auto w16 = cpu_test::quantized_rows<dtype::q4_0>(16, k, 21), w12 = cpu_test::quantized_rows<dtype::q4_0>(12, k, 22);
    hc::backend<arch> repacking(hc::options{.threads = 2});
    hc::backend<arch> in_place(hc::options{.threads = 2, .repack = false});
    const auto a = repacking.load(view_of(w16, dtype::q4_0, 16, k));
    const auto b = in_place.load(view_of(w16, dtype::q4_0, 16, k));
    const auto c = repacking.load(view_of(w12, dtype::q4_0, 12, k));  // rows not whole groups of 8
    CHECK(b.matrix.data == w16.data());

    auto run = [&](hc::backend<arch>& be, const hc::host_weight& wt, std::size_t n, const std::vector<float>& x,
                   std::size_t rows) {
        auto in = be.alloc(n, k);
        std::memcpy(in.data, x.data(), n * k * sizeof(float));
        auto out = be.alloc(n, rows);
        be.matmul(wt, in, out);
        return std::vector<float>(out.data, out.data + n * rows);
    };
    const auto x = cpu_test::random_floats(3 * k, 4, -2.0f, 2.0f);
    // A prompt reads the file's rows: no copy yet, and the same bits as without repacking.
    CHECK(run(repacking, a, 3, x, 16) == run(in_place, b, 3, x, 16));
    CHECK_FALSE(a.repacked());
    // The first one-token matmul (a prompt's logits, or the first decode step) still reads the
    // file's rows; the second copies it where the arch's kernels read the packed layout.
    CHECK(run(repacking, a, 1, x, 16) == run(in_place, b, 1, x, 16));
    CHECK_FALSE(a.repacked());
    const auto one = run(repacking, a, 1, x, 16);
    CHECK(a.repacked() == packs);
    CHECK_FALSE(b.repacked());
    run(repacking, c, 1, x, 12);
    run(repacking, c, 1, x, 12);
    CHECK_FALSE(c.repacked());
    // From then on prompts and tokens read the copy: one token the same bits in a batch, and
    // within the rounding bound of the file's layout (a different float order).
    const auto batch = run(repacking, a, 3, x, 16), file = run(in_place, b, 3, x, 16);
    for (std::size_t r = 0; r < 16; ++r) REQUIRE(batch[r] == one[r]);
    for (std::size_t i = 0; i < batch.size(); ++i) REQUIRE(cpu_test::close(batch[i], file[i], std::fabs(file[i]) + 1.0, 1e-4));
}
