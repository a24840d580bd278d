// Matmul of every weight type against the CPU backend: 1 and 3 tokens (mat-vec kernel) and 70
// tokens (tiled kernel), and the same through the SIMD-lane kernel; row lengths of one block up
// to 4096.
// Tolerance: both backends round the activations identically (f16 / q8_0 / q8_K, as ggml's
// reference quantizers do), so they sum the same products and differ only in the order of float
// additions: 1e-4 of the largest |y|. (Without the rounding the difference would be the q8 error,
// ~1e-2.) The reference is therefore the scalar CPU arch: the SIMD arches round q8_0/q8_1 the way
// llama.cpp's CPU build for their instruction set does (quant::q8_rounding), which differs from the
// reference in about one value in 10^5.
#include "vulkan_test_support.hpp"
#include <chrono>
#include <ctime>

using namespace vk_test;
using hearth::dtype;

namespace {
const dtype all_weight_types[] = {dtype::f32, dtype::f16, dtype::bf16, dtype::q4_0, dtype::q4_1,
                                  dtype::q5_0, dtype::q5_1, dtype::q8_0, dtype::iq4_nl, dtype::q2_k,
                                  dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k};

hearth::cpu::backend<hearth::cpu::scalar>& reference_cpu() {
    static hearth::cpu::backend<hearth::cpu::scalar> b(hearth::cpu::options{2});
    return b;
}
double matmul_diff(gpu_backend& g, dtype t, std::size_t rows, std::size_t cols, std::size_t tokens, std::uint32_t seed) {
    auto w = make_weight(t, rows, cols, random_floats(rows * cols, seed, -1.0f, 1.0f));
    auto gw = g.load(w->view);
    auto cw = reference_cpu().load(w->view);
    const auto xv = random_floats(tokens * cols, seed + 1, -2.0f, 2.0f);
    auto gx = g.alloc(tokens, cols);
    g.write(gx, xv);
    auto cx = reference_cpu().alloc(tokens, cols);
    std::memcpy(cx.data, xv.data(), xv.size() * sizeof(float));
    auto gy = g.alloc(tokens, rows);
    auto cy = reference_cpu().alloc(tokens, rows);
    g.matmul(gw, gx, gy);
    reference_cpu().matmul(cw, cx, cy);
    std::vector<float> out(tokens * rows);
    g.read(gy, out);
    std::vector<float> want(tokens * rows);
    reference_cpu().read(cy, want);
    return max_rel_diff(out, want);
}
}  // namespace

// Both kernel families on this device: the GPU ones (mat-vec, tiled) and the SIMD-lane one that
// CPU implementations such as lavapipe use by default (matvec_rows, groups of 4 tokens + the rest).
gpu_backend& with_kernels(int lanes) {
    static std::unique_ptr<gpu_backend> b[2];
    if (!b[lanes]) {
        hearth::vulkan::backend_options o;
        o.lane_kernels = lanes;
        b[lanes] = make_gpu(o);
    }
    return *b[lanes];
}

TEST_CASE("vulkan: matmul of every weight type, every kernel", "[vulkan][matmul]") {
    for (int lanes : {0, 1}) {
        gpu_backend& g = with_kernels(lanes);
        if (lanes && !g.device().lane_kernels) {
            WARN("this device has no subgroup broadcast: the SIMD-lane matmul is not tested");
            continue;
        }
        for (dtype t : all_weight_types) {
            const std::size_t block = hearth::traits(t).block_elems;
            // 4096 (many blocks per row) for one format of each family; lavapipe is slow.
            const bool long_rows = t == dtype::q4_0 || t == dtype::q4_k || t == dtype::f16;
            for (std::size_t cols : {std::size_t{256}, std::size_t{1024}, std::size_t{4096}}) {
                if (cols % block || (cols == 4096 && !long_rows)) continue;
                // gpu kernels: mat-vec (1, 3), tiled over two token tiles (70); simd-lane kernel:
                // one token, then a group of 4 and 2 more (6)
                const std::vector<std::size_t> counts = lanes ? std::vector<std::size_t>{1, 6} : std::vector<std::size_t>{1, 3, 70};
                for (std::size_t tokens : counts) {
                    const std::size_t rows = tokens > 4 ? 97 : 200;  // not a multiple of the tile
                    INFO((lanes ? "simd-lane kernel" : "gpu kernels") << ", type " << hearth::traits(t).name << " cols "
                                                                    << cols << " tokens " << tokens);
                    CHECK(matmul_diff(g, t, rows, cols, tokens, 20) < 1e-5);
                }
            }
        }
        CHECK(g.device().validation_errors() == 0);
    }
}

TEST_CASE("vulkan: matmul with float rows of any length", "[vulkan][matmul]") {
    for (int lanes : {0, 1})
        for (dtype t : {dtype::f32, dtype::f16, dtype::bf16})
            for (std::size_t cols : {std::size_t{8}, std::size_t{30}, std::size_t{33}, std::size_t{70}})
                for (std::size_t tokens : {1u, 2u, 9u}) {
                    INFO("lanes " << lanes << " type " << hearth::traits(t).name << " cols " << cols << " tokens " << tokens);
                    CHECK(matmul_diff(with_kernels(lanes), t, 32, cols, tokens, 30) < 1e-5);
                }
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: matmul into column views (fused qkv layout)", "[vulkan][matmul]") {
    auto w = make_weight(dtype::q8_0, 64, 256, random_floats(64 * 256, 40));
    auto gw = gpu().load(w->view);
    auto cw = cpu().load(w->view);
    auto x = make_both(5, 256, random_floats(5 * 256, 41));
    auto y = make_both(5, 200, std::vector<float>(1000, 0.5f));
    auto gv = gpu().cols(y.g, 100, 64);
    auto cv = cpu().cols(y.c, 100, 64);
    gpu().matmul(gw, x.g, gv), cpu().matmul(cw, x.c, cv);
    CHECK(max_rel_diff(read_gpu(y.g), read_cpu(y.c)) < 1e-4);
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: weights split in segments and uploaded through the staging ring", "[vulkan][matmul]") {
    hearth::vulkan::backend_options o;
    o.force_staging = true;
    o.max_weight_slice = 4096;  // a q4_K row of 1024 is 576 bytes: 7 rows per segment
    auto g = make_gpu(o);
    for (std::size_t tokens : {1u, 70u}) CHECK(matmul_diff(*g, dtype::q4_k, 50, 1024, tokens, 50) < 1e-4);
    auto w = make_weight(dtype::q6_k, 40, 512, random_floats(40 * 512, 51));
    auto gw = g->load(w->view);
    CHECK(gw.segments.size() > 1);
    auto cw = cpu().load(w->view);
    const std::vector<std::int32_t> ids{39, 0, 8, 13};
    auto go = g->alloc(ids.size(), 512);
    auto co = cpu().alloc(ids.size(), 512);
    g->get_rows(gw, ids, go), cpu().get_rows(cw, ids, co);
    std::vector<float> out(ids.size() * 512);
    g->read(go, out);
    CHECK(out == read_cpu(co));
    CHECK(g->device().validation_errors() == 0);
}

// Not run by default ([.perf]): timings of the mat-vec and tiled kernels on this device.
TEST_CASE("vulkan: matmul timings", "[.perf][vulkan]") {
    auto g = make_gpu({}, false);
    struct shape { dtype t; std::size_t rows, cols, tokens; };
    for (const shape s : {shape{dtype::f32, 1536, 576, 1}, shape{dtype::q8_0, 1536, 576, 1}, shape{dtype::q4_k, 1536, 512, 1}, shape{dtype::q4_1, 49152, 576, 1}, shape{dtype::q4_1, 1536, 576, 1}, shape{dtype::q4_1, 576, 1536, 1},
                          shape{dtype::f16, 32000, 8, 1}, shape{dtype::q4_1, 1536, 576, 16}, shape{dtype::q4_1, 1536, 576, 128}}) {
        auto w = make_weight(s.t, s.rows, s.cols, random_floats(s.rows * s.cols, 1));
        auto gw = g->load(w->view);
        auto x = g->alloc(s.tokens, s.cols);
        auto y = g->alloc(s.tokens, s.rows);
        std::vector<float> out(s.tokens * s.rows);
        g->matmul(gw, x, y), g->read(y, out);  // compile the pipeline
        const int reps = 5;
        const auto t0 = std::chrono::steady_clock::now();
        const std::clock_t c0 = std::clock();
        for (int i = 0; i < reps; ++i) g->matmul(gw, x, y), g->read(y, out);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / reps;
        const double cpu_ms = 1000.0 * double(std::clock() - c0) / CLOCKS_PER_SEC / reps;
        std::printf("%-5s %6zu x %5zu, %3zu tokens: %8.2f ms wall, %8.2f ms cpu\n", hearth::traits(s.t).name.data(), s.rows,
                    s.cols, s.tokens, ms, cpu_ms);
    }
}

TEST_CASE("vulkan: op timings", "[.perf][vulkan]") {
    auto g = make_gpu({}, false);
    for (std::size_t rows : {1u, 64u, 1024u}) {
        auto a = g->alloc(rows, 4096);
        auto b = g->alloc(rows, 4096);
        std::vector<float> out(rows * 4096);
        g->add(a, b), g->read(a, out);
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < 5; ++i) g->add(a, b), g->read(a, out);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 5;
        std::printf("add %zu x 4096 (%zu workgroups): %.2f ms\n", rows, rows / 4 * 64 + 64, ms);
        t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < 5; ++i) g->rms_norm(a, nullptr, b, 1e-5f), g->read(b, out);
        ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 5;
        std::printf("rms_norm %zu x 4096 (%zu workgroups): %.2f ms\n", rows, rows, ms);
    }
}

TEST_CASE("vulkan: matvec loop for profiling", "[.profile][vulkan]") {
    auto g = make_gpu({}, false);
    auto w = make_weight(dtype::q4_1, 1536, 576, random_floats(1536 * 576, 1));
    auto gw = g->load(w->view);
    auto x = g->alloc(1, 576);
    auto y = g->alloc(1, 1536);
    std::vector<float> out(1536);
    for (int i = 0; i < 400; ++i) g->matmul(gw, x, y), g->read(y, out);
}
