// Element-wise ops, norms, rope and get_rows of the Vulkan backend against the CPU backend.
// Tolerances: add/scale/add_bias are one IEEE operation per element on both sides: exact.
// swiglu/geglu use exp/tanh, whose GPU versions are promised to a few ulp: 1e-5 relative.
// rms_norm sums squares in another order (and GPU sqrt is a few ulp): 1e-5 relative.
// rope applies the same host-computed cos/sin with one rounding per product: 1e-6.
// get_rows dequantizes with the CPU's operation order (precise): exact for every dtype.
// hadamard runs the CPU's butterflies (+ and -) and its one final multiply: exact.
#include "vulkan_test_support.hpp"

using namespace vk_test;
using hearth::dtype;

TEST_CASE("vulkan: add, scale, add_bias are exact", "[vulkan][ops]") {
    auto a = make_both(5, 37, random_floats(5 * 37, 1));
    auto b = make_both(5, 37, random_floats(5 * 37, 2));
    gpu().add(a.g, b.g), cpu().add(a.c, b.c);
    CHECK(read_gpu(a.g) == read_cpu(a.c));
    gpu().scale(a.g, 0.37f), cpu().scale(a.c, 0.37f);
    CHECK(read_gpu(a.g) == read_cpu(a.c));
    auto bias = make_weight(dtype::f32, 1, 37, random_floats(37, 3));
    auto gb = gpu().load(bias->view);
    auto cb = cpu().load(bias->view);
    gpu().add_bias(a.g, gb), cpu().add_bias(a.c, cb);
    CHECK(read_gpu(a.g) == read_cpu(a.c));
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: ops on strided views touch only the view", "[vulkan][ops]") {
    auto a = make_both(4, 48, random_floats(4 * 48, 4));
    auto b = make_both(4, 16, random_floats(4 * 16, 5));
    auto ga = gpu().cols(gpu().rows(a.g, 1, 2), 16, 16);
    auto ca = cpu().cols(cpu().rows(a.c, 1, 2), 16, 16);
    auto gb = gpu().rows(b.g, 2, 2);
    auto cb = cpu().rows(b.c, 2, 2);
    gpu().add(ga, gb), cpu().add(ca, cb);
    CHECK(read_gpu(a.g) == read_cpu(a.c));
    CHECK(read_gpu(ga) == read_cpu(ca));
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: swiglu and geglu", "[vulkan][ops]") {
    auto g = make_both(3, 300, random_floats(3 * 300, 6, -12.0f, 12.0f));
    auto u = make_both(3, 300, random_floats(3 * 300, 7));
    auto o = make_both(3, 300, std::vector<float>(900, 0.0f));
    gpu().swiglu(g.g, u.g, o.g), cpu().swiglu(g.c, u.c, o.c);
    CHECK(max_rel_diff(read_gpu(o.g), read_cpu(o.c)) < 1e-5);
    // The CPU's GELU is llama.cpp's fp16 table (within 2^-10); the shader computes it in f32, as
    // llama.cpp's GPU builds do, and is held to the f32 formula.
    gpu().geglu(g.g, u.g, o.g);
    const auto gate = random_floats(3 * 300, 6, -12.0f, 12.0f), up = random_floats(3 * 300, 7);
    std::vector<float> want(900);
    for (std::size_t i = 0; i < want.size(); ++i) want[i] = hearth::cpu::detail::gelu_scalar(gate[i]) * up[i];
    CHECK(max_rel_diff(read_gpu(o.g), want) < 1e-5);
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: rms_norm and rms_norm_heads", "[vulkan][ops]") {
    for (std::size_t cols : {8u, 576u, 2048u}) {
        auto x = make_both(3, cols, random_floats(3 * cols, 8, -3.0f, 3.0f));
        auto y = make_both(3, cols, std::vector<float>(3 * cols, 0.0f));
        auto w = make_weight(dtype::f32, 1, cols, random_floats(cols, 9));
        auto gw = gpu().load(w->view);
        auto cw = cpu().load(w->view);
        gpu().rms_norm(x.g, &gw, y.g, 1e-5f), cpu().rms_norm(x.c, &cw, y.c, 1e-5f);
        CHECK(max_rel_diff(read_gpu(y.g), read_cpu(y.c)) < 1e-5);
        gpu().rms_norm(x.g, nullptr, x.g, 1e-6f), cpu().rms_norm(x.c, nullptr, x.c, 1e-6f);  // in place, no weight
        CHECK(max_rel_diff(read_gpu(x.g), read_cpu(x.c)) < 1e-5);
    }
    auto q = make_both(4, 4 * 64, random_floats(4 * 256, 10, -2.0f, 2.0f));
    auto hw = make_weight(dtype::f16, 1, 64, random_floats(64, 11));  // f16 vectors become f32 on load
    auto ghw = gpu().load(hw->view);
    auto chw = cpu().load(hw->view);
    gpu().rms_norm_heads(q.g, ghw, 64, 1e-6f), cpu().rms_norm_heads(q.c, chw, 64, 1e-6f);
    CHECK(max_rel_diff(read_gpu(q.g), read_cpu(q.c)) < 1e-5);
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: rope, normal and neox, partial dims, frequency factors, YaRN", "[vulkan][ops]") {
    struct rcase { int n_dims; bool neox; float ext; bool factors; };
    for (const rcase rc : {rcase{64, false, 0.0f, false}, rcase{64, true, 0.0f, false}, rcase{32, true, 0.0f, true},
                           rcase{64, false, 1.0f, false}, rcase{48, true, 1.0f, true}}) {
        hearth::rope_config r;
        r.n_dims = rc.n_dims, r.neox = rc.neox, r.freq_base = 500000.0f, r.ext_factor = rc.ext;
        r.freq_scale = rc.ext != 0.0f ? 0.25f : 1.0f, r.n_ctx_orig = 4096;
        const std::vector<std::int32_t> pos{0, 1, 7, 4095, 30000};
        auto x = make_both(pos.size(), 3 * 64, random_floats(pos.size() * 192, 12));
        auto ff = make_weight(dtype::f32, 1, static_cast<std::size_t>(rc.n_dims / 2), random_floats(rc.n_dims / 2, 13, 1.0f, 8.0f));
        auto gff = gpu().load(ff->view);
        auto cff = cpu().load(ff->view);
        gpu().rope(x.g, 64, pos, r, rc.factors ? &gff : nullptr);
        cpu().rope(x.c, 64, pos, r, rc.factors ? &cff : nullptr);
        INFO("n_dims " << rc.n_dims << " neox " << rc.neox << " ext " << rc.ext << " factors " << rc.factors);
        CHECK(max_rel_diff(read_gpu(x.g), read_cpu(x.c)) < 1e-6);
    }
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: get_rows dequantizes every weight type exactly like the CPU", "[vulkan][ops]") {
    const std::vector<std::int32_t> ids{3, 0, 7, 3, 5};
    for (dtype t : {dtype::f32, dtype::f16, dtype::bf16, dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1, dtype::q8_0,
                    dtype::iq4_nl, dtype::q2_k, dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k}) {
        const std::size_t cols = 512, rows = 8;
        auto w = make_weight(t, rows, cols, random_floats(rows * cols, 14, -2.0f, 2.0f));
        auto gw = gpu().load(w->view);
        auto cw = cpu().load(w->view);
        auto o = make_both(ids.size(), cols, std::vector<float>(ids.size() * cols, 0.0f));
        gpu().get_rows(gw, ids, o.g), cpu().get_rows(cw, ids, o.c);
        INFO("type " << hearth::traits(t).name);
        CHECK(read_gpu(o.g) == read_cpu(o.c));
    }
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: hadamard equals the CPU's bit for bit, on whole rows and column views", "[vulkan][ops]") {
    for (std::uint32_t block : {64u, 128u, 256u}) {
        const std::size_t rows = 5, cols = 3 * 256;
        auto x = make_both(rows, cols, random_floats(rows * cols, 15 + block, -4.0f, 4.0f));
        gpu().hadamard(x.g, block), cpu().hadamard(x.c, block);
        INFO("block " << block);
        CHECK(read_gpu(x.g) == read_cpu(x.c));
        // A view of the middle columns of two rows (q inside a fused qkv row): the rest is untouched.
        auto gv = gpu().cols(gpu().rows(x.g, 1, 2), 256, 512);
        auto cv = cpu().cols(cpu().rows(x.c, 1, 2), 256, 512);
        gpu().hadamard(gv, block), cpu().hadamard(cv, block);
        CHECK(read_gpu(x.g) == read_cpu(x.c));
    }
    // H is its own inverse: applied twice it gives the input back, to float rounding.
    const auto values = random_floats(2 * 128, 16);
    auto y = make_both(2, 128, values);
    gpu().hadamard(y.g, 64), gpu().hadamard(y.g, 64);
    CHECK(max_rel_diff(read_gpu(y.g), values) < 1e-6);
    CHECK_THROWS_AS(gpu().hadamard(y.g, 96), hearth::error);
    CHECK(validation_errors() == 0);
}
