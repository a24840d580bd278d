// Attention over the device KV cache against the CPU backend's, for every K/V cache type pair:
// the stored cache bytes must be identical (the shader quantizes with ggml's reference rounding),
// and the outputs equal within 1e-4 of their largest magnitude (same rounded query and keys; the
// scores, exponentials and weighted sums are summed in another order).
#include "vulkan_test_support.hpp"
#include <hearth/kv_cells.hpp>
#include <algorithm>

using namespace vk_test;
using hearth::dtype;

namespace {

struct attn_case {
    std::uint32_t n_head, n_head_kv, hd;
    std::uint32_t window;
    float softcap;
};

// Runs a prompt of `prompt` tokens of sequence 0, a prompt of 3 tokens of sequence 1, then
// `decode` single tokens of sequence 0, on both backends; checks every step.
void run_case(dtype kt, dtype vt, const attn_case& ac, std::size_t prompt, std::size_t decode, std::uint32_t seed) {
    const std::uint32_t cells = 96;
    auto gkv = gpu().alloc_kv(kt, vt, cells, ac.n_head_kv, ac.hd, ac.hd);
    auto ckv = cpu().alloc_kv(kt, vt, cells, ac.n_head_kv, ac.hd, ac.hd);
    hearth::kv_cells kvc(cells);
    hearth::attention_params ap;
    ap.kq_scale = 1.0f / std::sqrt(static_cast<float>(ac.hd));
    ap.softcap = ac.softcap, ap.window = ac.window;
    ap.n_head = ac.n_head, ap.n_head_kv = ac.n_head_kv, ap.head_dim_k = ac.hd, ap.head_dim_v = ac.hd;

    auto step = [&](std::int32_t seq, std::size_t n) {
        std::vector<std::int32_t> pos(n), seqs(n, seq);
        const std::int32_t p0 = kvc.next_position(seq);
        for (std::size_t i = 0; i < n; ++i) pos[i] = p0 + static_cast<std::int32_t>(i);
        const auto slots = kvc.allocate(seq, pos);
        const hearth::attention_batch batch{pos, seqs, slots, kvc.positions(), kvc.sequences(), kvc.used()};
        const std::size_t qw = std::size_t{ac.n_head} * ac.hd, kw = std::size_t{ac.n_head_kv} * ac.hd;
        auto q = make_both(n, qw, random_floats(n * qw, seed++, -2.0f, 2.0f));
        auto k = make_both(n, kw, random_floats(n * kw, seed++, -2.0f, 2.0f));
        auto v = make_both(n, kw, random_floats(n * kw, seed++, -1.0f, 1.0f));
        auto o = make_both(n, qw, std::vector<float>(n * qw, 0.0f));
        gpu().attention(gkv, q.g, k.g, v.g, batch, ap, o.g);
        cpu().attention(ckv, q.c, k.c, v.c, batch, ap, o.c);
        const auto go = read_gpu(o.g), co = read_cpu(o.c);
        INFO("K " << hearth::traits(kt).name << " V " << hearth::traits(vt).name << " heads " << ac.n_head << "/"
                  << ac.n_head_kv << " hd " << ac.hd << " window " << ac.window << " softcap " << ac.softcap
                  << " seq " << seq << " tokens " << n);
        CHECK(max_rel_diff(go, co) < 1e-4);
        std::vector<std::byte> gk, gv;
        gpu().read_kv(gkv, gk, gv);
        CHECK(std::ranges::equal(gk, ckv.k.bytes()));
        CHECK(std::ranges::equal(gv, ckv.v.bytes()));
    };
    step(0, prompt);
    step(1, 3);
    for (std::size_t i = 0; i < decode; ++i) step(0, 1);
}

}  // namespace

TEST_CASE("vulkan: attention over every K/V cache type pair, cache bytes equal the CPU's", "[vulkan][attention]") {
    const dtype types[] = {dtype::f32, dtype::f16, dtype::q8_0, dtype::q4_0};
    for (dtype kt : types)
        for (dtype vt : types) run_case(kt, vt, {4, 2, 64, 0, 0.0f}, 7, 2, 100);
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: attention with sliding window, softcap, wide heads, tiny heads", "[vulkan][attention]") {
    run_case(dtype::q4_0, dtype::q8_0, {2, 1, 256, 4, 0.0f}, 9, 3, 200);  // Gemma-3 style window
    run_case(dtype::f16, dtype::f16, {4, 4, 128, 0, 50.0f}, 70, 1, 300);  // Gemma-2 softcap, >64 cells
    run_case(dtype::f16, dtype::f16, {2, 2, 4, 0, 0.0f}, 5, 2, 400);      // llama-2-tiny: head_dim 4
    run_case(dtype::f32, dtype::q4_0, {6, 3, 32, 0, 0.0f}, 33, 2, 500);   // one block per head
    CHECK(validation_errors() == 0);
}

TEST_CASE("vulkan: the validation messenger counts errors", "[vulkan][validation]") {
    auto g = make_gpu();
    if (!g->device().validation_enabled()) {
        WARN("VK_LAYER_KHRONOS_validation is not installed: validation is not checked");
        return;
    }
    auto& ctx = g->device();
    std::fprintf(stderr, "(the validation error below is provoked on purpose: a buffer of size 0)\n");
    VkBufferCreateInfo bad{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bad.size = 0;  // invalid: VUID-VkBufferCreateInfo-size-00912
    bad.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    VkBuffer b = VK_NULL_HANDLE;
    if (ctx.vk.vkCreateBuffer(ctx.device, &bad, nullptr, &b) == VK_SUCCESS && b) ctx.vk.vkDestroyBuffer(ctx.device, b, nullptr);
    CHECK(ctx.validation_errors() > 0);
}
