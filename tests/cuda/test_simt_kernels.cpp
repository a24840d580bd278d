// The CUDA kernels themselves, executed on the host by the SIMT harness (simt/simt.hpp), on
// machines without a GPU: bit for bit against the host twins where the twins define the order
// (activation rounding, matmul, get_rows), and every op against the CPU backend (op_checks.hpp).
//
// Every CUDA thread is a host thread here, so sizes are small: every kernel, dtype, K/V pair and
// code path (masks, soft-cap, GQA, split-and-merge) at a few tokens. The GPU sizes of
// test_cuda_device run here too with `test_cuda_twins "[simt-full]"` (minutes on 2 cores).
#include "simt/simt_exec.hpp"
#include "op_checks.hpp"
#include "twin_checks.hpp"

using namespace cuda_test;
using hearth::dtype;
namespace hc = hearth::cuda;

namespace {
simt::backend& kernels_on_host() {
    static simt::backend b;
    return b;
}
hc::reference_backend& twin() {
    static hc::reference_backend b;
    return b;
}
}  // namespace

TEST_CASE("cuda kernels (simt): activation rows are byte-identical to the host twin's", "[cuda][simt]") {
    const std::size_t k = 512;
    for (hc::act_kind act : {hc::act_kind::q8_0, hc::act_kind::q8_1, hc::act_kind::q8_k, hc::act_kind::f16,
                             hc::act_kind::bf16, hc::act_kind::f32}) {
        const auto rows = tricky_rows(k);
        std::vector<float> x;
        for (const auto& r : rows) x.insert(x.end(), r.begin(), r.end());
        const auto l = hc::layout_of(act, k);
        std::vector<std::uint8_t> want(l.row_bytes * rows.size(), 0), got(want.size(), 0x5A);
        hc::reference::quantize({act, x.data(), k, rows.size(), k, want.data()});
        kernels_on_host().exec().quantize({act, x.data(), k, rows.size(), k, got.data()});
        INFO(hc::name_of(act));
        CHECK(got == want);
    }
}

TEST_CASE("cuda kernels (simt): matmul and get_rows equal the host twins bit for bit", "[cuda][simt]") {
    // 2048 values: 64 quant units per row, so every lane adds up several units (decode and a
    // partial token tile); 9 tokens: two token tiles.
    check_matches_twin(kernels_on_host(), twin(), 8, 2048, {1, 2});
    check_matches_twin(kernels_on_host(), twin(), 8, 512, {9});
}

TEST_CASE("cuda kernels (simt): ops against the CPU backend", "[cuda][simt]") {
    std::uint32_t seed = 1000;
    for (dtype t : weight_types()) check_matmul(kernels_on_host(), t, 8, 512, 3, seed += 10);
    for (dtype t : weight_types()) check_get_rows(kernels_on_host(), t);
    const std::size_t grouped = kernels_on_host().exec().grouped_matmuls;
    check_grouped_matmul(kernels_on_host(), dtype::q4_k, dtype::q6_k, 1, 2000);
    check_grouped_matmul(kernels_on_host(), dtype::q8_0, dtype::f16, 9, 2010);
    CHECK(kernels_on_host().exec().grouped_matmuls == grouped + 2);
    const std::size_t norms = kernels_on_host().exec().rounding_norms, glus = kernels_on_host().exec().rounding_glus;
    check_rounding_fused_into_producer(kernels_on_host(), 1, 2020);
    check_rounding_fused_into_producer(kernels_on_host(), 3, 2030);
    CHECK(kernels_on_host().exec().rounding_norms == norms + 8);
    CHECK(kernels_on_host().exec().rounding_glus == glus + 8);
    check_elementwise(kernels_on_host());
    check_rms_norm(kernels_on_host());
    const std::size_t fused = kernels_on_host().exec().fused_norms, paired = kernels_on_host().exec().paired_ropes;
    check_residual_norm(kernels_on_host());
    check_rope(kernels_on_host());
    CHECK(kernels_on_host().exec().fused_norms == fused + 1);
    CHECK(kernels_on_host().exec().paired_ropes == paired + 5);  // one per rope variant
    const std::size_t hadamards = kernels_on_host().exec().grouped_hadamards;
    check_hadamard(kernels_on_host());
    CHECK(kernels_on_host().exec().grouped_hadamards == hadamards + 1);
}

TEST_CASE("cuda kernels (simt): attention over every K/V pair, masks, splits", "[cuda][simt]") {
    auto& b = kernels_on_host();
    std::uint32_t seed = 100;
    for (dtype kt : cache_types())
        for (dtype vt : cache_types()) check_attention(b, kt, vt, {2, 1, 64, 0, 0.0f}, 3, 1, seed += 10);
    check_attention(b, dtype::q4_0, dtype::q8_0, {2, 1, 256, 4, 0.0f}, 6, 2, 200);  // Gemma-3 window, wide heads
    check_attention(b, dtype::f16, dtype::f16, {2, 2, 128, 0, 50.0f}, 4, 1, 300);   // soft-cap
    check_attention(b, dtype::f16, dtype::f16, {2, 2, 4, 0, 0.0f}, 5, 1, 400);      // head_dim 4
    check_attention(b, dtype::f32, dtype::q4_0, {6, 3, 32, 0, 0.0f}, 3, 1, 500);    // one block per head, GQA 2
    const std::size_t before = b.exec().split_attentions;
    check_attention(b, dtype::q4_0, dtype::q8_0, {2, 1, 64, 0, 0.0f}, 40, 2, 600);  // decode: cells split over blocks
    check_attention(b, dtype::f16, dtype::q8_0, {2, 1, 64, 20, 0.0f}, 40, 1, 700);  // ... with a window
    CHECK(b.exec().split_attentions > before);
    // One block over more than 4 warps x 32 cells: each warp's online softmax spans several tiles.
    b.exec().min_cells_per_split = 1 << 20;
    check_attention(b, dtype::q8_0, dtype::q4_0, {1, 1, 64, 0, 0.0f}, 150, 2, 800);
    b.exec().min_cells_per_split = 16;
}

TEST_CASE("cuda kernels (simt): the GPU test sizes", "[.][simt-full]") {
    auto& b = kernels_on_host();
    check_attention_pairs(b);
    check_attention_shapes(b);
    check_attention_long(b);
    check_matches_twin(b, twin(), 72, 1024, {1, 3, 8, 19});
}
