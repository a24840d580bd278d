// The CPU backend's copy of a matrix no layout repacks (backend.hpp: options::huge_pages): a
// matrix of at least a huge page is copied unchanged by its second one-token matmul, and reads
// give the file's bits before and after; small matrices, and a backend without huge pages or
// without repacking, keep reading the file's bytes.
#include "cpu_test_support.hpp"
#include <hearth/cpu/backend.hpp>
#include <hearth/page_buffer.hpp>
#include <cstring>

namespace hc = hearth::cpu;
using hearth::dtype;
using cpu_test::arch;

namespace {

hearth::gguf::tensor_view view_of(const std::vector<std::byte>& bytes, dtype t, std::uint64_t rows, std::uint64_t cols) {
    return hearth::gguf::tensor_view{"w", t, 2, {cols, rows, 1, 1}, 0, bytes};
}

std::vector<float> run(hc::backend<arch>& be, const hc::host_weight& w, const std::vector<float>& x, std::size_t n,
                       std::size_t k) {
    auto in = be.alloc(n, k);
    std::memcpy(in.data, x.data(), n * k * sizeof(float));
    auto out = be.alloc(n, w.matrix.rows);
    be.matmul(w, in, out);
    return std::vector<float>(out.data, out.data + n * w.matrix.rows);
}

}  // namespace

TEST_CASE("cpu backend: a large matrix no layout repacks is copied unchanged for decode", "[cpu][packed]") {
    // q6_K has no repacked layout on any arch: 1280 rows of 2048 are 2.05 MiB, over one huge page.
    const std::size_t k = 2048, rows = 1280, distinct = 8;
    const auto some = cpu_test::quantized_rows<dtype::q6_k>(distinct, k, 31);
    const std::size_t rb = hearth::row_bytes(dtype::q6_k, k);
    std::vector<std::byte> w(rows * rb);
    for (std::size_t r = 0; r < rows; ++r) std::memcpy(w.data() + r * rb, some.data() + (r * 5 % distinct) * rb, rb);
    REQUIRE(w.size() >= hearth::huge_page_bytes);
    REQUIRE(hc::kernels<arch>::packed_layout(dtype::q6_k, rows, k) == hc::weight_layout::file);

    hc::backend<arch> copying(hc::options{.threads = 2});
    hc::backend<arch> in_place(hc::options{.threads = 2, .repack = false});
    hc::backend<arch> small_pages(hc::options{.threads = 2, .huge_pages = false});
    const auto a = copying.load(view_of(w, dtype::q6_k, rows, k));
    const auto b = in_place.load(view_of(w, dtype::q6_k, rows, k));
    const auto c = small_pages.load(view_of(w, dtype::q6_k, rows, k));
    const std::vector<std::byte> small(w.begin(), w.begin() + 16 * rb);
    const auto d = copying.load(view_of(small, dtype::q6_k, 16, k));

    const auto x = cpu_test::random_floats(3 * k, 9, -2.0f, 2.0f);
    // A prompt reads the file's rows and copies nothing.
    CHECK(run(copying, a, x, 3, k) == run(in_place, b, x, 3, k));
    CHECK_FALSE(a.repacked());
    // The first one-token matmul reads the file's rows, the second copies them; the copy gives
    // the file's bits, for a token and a prompt.
    const auto one = run(copying, a, x, 1, k);
    CHECK_FALSE(a.repacked());
    CHECK(run(copying, a, x, 1, k) == one);
    CHECK(a.repacked());
    CHECK(a.repack->packed.layout == hc::weight_layout::file);
    CHECK(a.repack->packed.data != w.data());
    CHECK(one == run(in_place, b, x, 1, k));
    CHECK(run(copying, a, x, 3, k) == run(in_place, b, x, 3, k));
    // No copy without repacking, without huge pages, or under a huge page.
    CHECK_FALSE(b.repack);
    for (int i = 0; i < 2; ++i) {
        CHECK(run(small_pages, c, x, 1, k) == one);
        run(copying, d, x, 1, k);
    }
    CHECK_FALSE(c.repacked());
    CHECK_FALSE(d.repacked());
}
