#pragma once
// Every op of the CUDA backend against the CPU backend on the same inputs, written once over the
// backend under test B: test_cuda_twins runs them with hearth::cuda::reference_backend (the host
// twins, any machine), test_cuda_device with hearth::cuda::backend (the GPU).
//
// Tolerances, relative to the largest magnitude of the CPU's result:
//   - exact (bit-equal): get_rows (same dequantizer arithmetic), add, bias, scale, hadamard (the
//     same adds and one multiply), the KV cache bytes (ggml's reference quantizers);
//   - matmul 2e-5: the same rounded activations and integer block sums, floats summed in another order;
//   - rms_norm 1e-5 (sum of squares in another order), rope 2e-5 (the platform's cos/sin, FMA
//     contraction), swiglu/geglu 1e-5 (the platform's exp/tanh; geglu against the f32 formula,
//     since the CPU's GELU is llama.cpp's fp16 table);
//   - attention 1e-4: same rounded query and keys; scores, exponentials and weighted sums in
//     another order (and the CPU's SIMD exp).
#include "cuda_test_support.hpp"
#include <hearth/kv_cells.hpp>
#include <algorithm>

namespace cuda_test {

template <class B>
void check_matmul(B& b, hearth::dtype t, std::size_t rows, std::size_t k, std::size_t n_tokens, std::uint32_t seed) {
    auto w = make_weight(t, rows, k, random_floats(rows * k, seed, -1.0f, 1.0f));
    const auto gw = b.load(w->view);
    const auto cw = cpu().load(w->view);
    auto x = make_both(b, n_tokens, k, random_floats(n_tokens * k, seed + 1, -2.0f, 2.0f));
    auto y = make_both(b, n_tokens, rows, std::vector<float>(n_tokens * rows, 0.0f));
    b.matmul(gw, x.g, y.g);
    cpu().matmul(cw, x.c, y.c);
    INFO(type_name(t) << " " << rows << "x" << k << " times " << n_tokens << " tokens");
    CHECK(max_rel_diff(read(b, y.g), read(cpu(), y.c)) < 2e-5);
}

// Three matmuls of one input in a row (a layer's q, k and v) go to the executor as one grouped
// launch (basic_backend holds them until another op comes); the third weight has another type,
// so it starts a launch of its own. Each output must be what the CPU gives for its weight alone;
// rows that are not whole row blocks of the kernel put two parts in one block.
template <class B>
void check_grouped_matmul(B& b, hearth::dtype t, hearth::dtype other, std::size_t n_tokens, std::uint32_t seed) {
    const std::size_t k = 512, rows[4] = {37, 10, 19, 6};
    const hearth::dtype types[4] = {t, t, t, other};
    auto x = make_both(b, n_tokens, k, random_floats(n_tokens * k, seed, -2.0f, 2.0f));
    std::vector<decltype(make_weight(t, 1, k, {}))> w;
    std::vector<decltype(b.load(w.front()->view))> gw;
    std::vector<decltype(cpu().load(w.front()->view))> cw;
    std::vector<decltype(make_both(b, 1, 1, {}))> y;
    for (int i = 0; i < 4; ++i) {
        w.push_back(make_weight(types[i], rows[i], k, random_floats(rows[i] * k, seed + 1 + i, -1.0f, 1.0f)));
        gw.push_back(b.load(w.back()->view)), cw.push_back(cpu().load(w.back()->view));
        y.push_back(make_both(b, n_tokens, rows[i], std::vector<float>(n_tokens * rows[i], 0.0f)));
    }
    for (int i = 0; i < 4; ++i) b.matmul(gw[i], x.g, y[i].g);
    for (int i = 0; i < 4; ++i) {
        cpu().matmul(cw[i], x.c, y[i].c);
        INFO(type_name(types[i]) << " weight " << i << " of a group, " << n_tokens << " tokens");
        CHECK(max_rel_diff(read(b, y[i].g), read(cpu(), y[i].c)) < 2e-5);
    }
}

// A norm, or a gated unit, followed by a matmul of its output: on the CUDA backend the matmul's
// activation rounding is done by the norm's (or the gated unit's) launch. Both the float output and
// the product must be what the CPU gives; weights of each activation kind (q8_K, q8_0, q8_1, f16).
template <class B>
void check_rounding_fused_into_producer(B& b, std::size_t n_tokens, std::uint32_t seed) {
    const std::size_t k = 768, rows = 40;
    auto nw = make_weight(hearth::dtype::f32, 1, k, random_floats(k, seed, 0.5f, 1.5f));
    const auto gnw = b.load(nw->view);
    const auto cnw = cpu().load(nw->view);
    for (hearth::dtype t : {hearth::dtype::q4_k, hearth::dtype::q4_0, hearth::dtype::q4_1, hearth::dtype::f16}) {
        auto w = make_weight(t, rows, k, random_floats(rows * k, seed + 1, -1.0f, 1.0f));
        const auto gw = b.load(w->view);
        const auto cw = cpu().load(w->view);
        auto x = make_both(b, n_tokens, k, random_floats(n_tokens * k, seed + 2, -3.0f, 3.0f));
        auto gate = make_both(b, n_tokens, k, random_floats(n_tokens * k, seed + 3, -3.0f, 3.0f));
        auto h = make_both(b, n_tokens, k, std::vector<float>(n_tokens * k, 0.0f));
        auto y = make_both(b, n_tokens, rows, std::vector<float>(n_tokens * rows, 0.0f));
        INFO(type_name(t) << " weights, " << n_tokens << " tokens");
        b.rms_norm(x.g, &gnw, h.g, 1e-6f), b.matmul(gw, h.g, y.g);
        cpu().rms_norm(x.c, &cnw, h.c, 1e-6f), cpu().matmul(cw, h.c, y.c);
        CHECK(max_rel_diff(read(b, h.g), read(cpu(), h.c)) < 1e-5);
        CHECK(max_rel_diff(read(b, y.g), read(cpu(), y.c)) < 1e-4);  // the norm's 1e-5, then the product
        b.swiglu(gate.g, x.g, h.g), b.matmul(gw, h.g, y.g);
        cpu().swiglu(gate.c, x.c, h.c), cpu().matmul(cw, h.c, y.c);
        CHECK(max_rel_diff(read(b, h.g), read(cpu(), h.c)) < 1e-5);
        CHECK(max_rel_diff(read(b, y.g), read(cpu(), y.c)) < 1e-4);
    }
}

template <class B>
void check_get_rows(B& b, hearth::dtype t) {
    const std::size_t rows = 20, cols = 512;
    auto w = make_weight(t, rows, cols, random_floats(rows * cols, 3, -3.0f, 3.0f));
    const auto gw = b.load(w->view);
    const auto cw = cpu().load(w->view);
    const std::vector<std::int32_t> ids{19, 0, 7, 7, 3};
    auto out = make_both(b, ids.size(), cols, std::vector<float>(ids.size() * cols, 0.0f));
    b.get_rows(gw, ids, out.g);
    cpu().get_rows(cw, ids, out.c);
    INFO(type_name(t));
    CHECK(bit_equal(read(b, out.g), read(cpu(), out.c)));
}

template <class B>
void check_elementwise(B& b) {
    const std::size_t rows = 5, cols = 300;
    const auto xa = random_floats(rows * cols, 41, -6.0f, 6.0f), xb = random_floats(rows * cols, 42, -3.0f, 3.0f);
    auto bias = make_weight(hearth::dtype::f32, 1, cols, random_floats(cols, 43));
    const auto gbias = b.load(bias->view);
    const auto cbias = cpu().load(bias->view);
    {
        auto y = make_both(b, rows, cols, xa), x = make_both(b, rows, cols, xb);
        b.add(y.g, x.g), cpu().add(y.c, x.c);
        CHECK(bit_equal(read(b, y.g), read(cpu(), y.c)));
        b.add_bias(y.g, gbias), cpu().add_bias(y.c, cbias);
        CHECK(bit_equal(read(b, y.g), read(cpu(), y.c)));
        b.scale(y.g, 0.37f), cpu().scale(y.c, 0.37f);
        CHECK(bit_equal(read(b, y.g), read(cpu(), y.c)));
    }
    for (int glu = 0; glu < 2; ++glu) {
        auto g = make_both(b, rows, cols, xa), u = make_both(b, rows, cols, xb);
        auto o = make_both(b, rows, cols, std::vector<float>(rows * cols, 0.0f));
        if (glu) b.geglu(g.g, u.g, o.g), cpu().geglu(g.c, u.c, o.c);
        else b.swiglu(g.g, u.g, o.g), cpu().swiglu(g.c, u.c, o.c);
        INFO((glu ? "geglu" : "swiglu"));
        // The CPU's GELU is llama.cpp's fp16 table (within 2^-10 of GELU); the GPU computes it in
        // f32, as llama.cpp's GPU builds do, and is held to the f32 formula instead.
        std::vector<float> want = read(cpu(), o.c);
        if (glu)
            for (std::size_t i = 0; i < want.size(); ++i) want[i] = hearth::cpu::detail::gelu_scalar(xa[i]) * xb[i];
        CHECK(max_rel_diff(read(b, o.g), want) < 1e-5);
    }
    // Strided views: the second half of the columns of a wider tensor.
    {
        auto wide = make_both(b, rows, 2 * cols, random_floats(rows * 2 * cols, 44));
        auto x = make_both(b, rows, cols, xb);
        auto gv = b.cols(wide.g, cols, cols);
        auto cv = cpu().cols(wide.c, cols, cols);
        b.add(gv, x.g), cpu().add(cv, x.c);
        CHECK(bit_equal(read(b, wide.g), read(cpu(), wide.c)));
    }
}

template <class B>
void check_rms_norm(B& b) {
    const std::size_t rows = 6, cols = 576;
    auto w = make_weight(hearth::dtype::f32, 1, cols, random_floats(cols, 51, 0.5f, 1.5f));
    auto wh = make_weight(hearth::dtype::f32, 1, 64, random_floats(64, 52, 0.5f, 1.5f));
    const auto gw = b.load(w->view), gwh = b.load(wh->view);
    const auto cw = cpu().load(w->view), cwh = cpu().load(wh->view);
    const auto x = random_floats(rows * cols, 53, -4.0f, 4.0f);
    for (int with_weight = 0; with_weight < 2; ++with_weight) {
        auto in = make_both(b, rows, cols, x);
        auto out = make_both(b, rows, cols, std::vector<float>(rows * cols, 0.0f));
        b.rms_norm(in.g, with_weight ? &gw : nullptr, out.g, 1e-6f);
        cpu().rms_norm(in.c, with_weight ? &cw : nullptr, out.c, 1e-6f);
        CHECK(max_rel_diff(read(b, out.g), read(cpu(), out.c)) < 1e-5);
    }
    auto heads = make_both(b, rows, cols, x);
    b.rms_norm_heads(heads.g, gwh, 64, 1e-6f);
    cpu().rms_norm_heads(heads.c, cwh, 64, 1e-6f);
    CHECK(max_rel_diff(read(b, heads.g), read(cpu(), heads.c)) < 1e-5);
    // In place on a row view.
    auto inplace = make_both(b, rows, cols, x);
    auto gv = b.rows(inplace.g, 2, 3);
    auto cv = cpu().rows(inplace.c, 2, 3);
    b.rms_norm(gv, &gw, gv, 1e-5f), cpu().rms_norm(cv, &cw, cv, 1e-5f);
    CHECK(max_rel_diff(read(b, inplace.g), read(cpu(), inplace.c)) < 1e-5);
}

template <class B>
void check_rope(B& b) {
    const std::size_t rows = 7, heads = 3, hd = 128;
    const std::vector<std::int32_t> pos{0, 1, 2, 17, 500, 4095, 31000};
    auto ff = make_weight(hearth::dtype::f32, 1, 32, random_floats(32, 61, 1.0f, 8.0f));
    const auto gff = b.load(ff->view);
    const auto cff = cpu().load(ff->view);
    struct variant {
        const char* what;
        hearth::rope_config r;
        bool factors;
    };
    std::vector<variant> variants;
    hearth::rope_config base;
    base.n_dims = 128, base.freq_base = 10000.0f;
    variants.push_back({"normal", base, false});
    auto neox = base;
    neox.neox = true, neox.freq_base = 1e6f;
    variants.push_back({"neox", neox, false});
    auto partial = base;
    partial.n_dims = 64;
    variants.push_back({"partial dims + factors", partial, true});
    auto yarn = neox;
    yarn.freq_scale = 0.25f, yarn.ext_factor = 1.0f, yarn.n_ctx_orig = 4096, yarn.attn_factor = 1.0f;
    variants.push_back({"yarn", yarn, false});
    auto linear = base;
    linear.freq_scale = 0.5f, linear.attn_factor = 0.9f;
    variants.push_back({"linear scaling", linear, false});
    for (const auto& v : variants) {
        auto x = make_both(b, rows, heads * hd, random_floats(rows * heads * hd, 62, -2.0f, 2.0f));
        b.rope(x.g, hd, pos, v.r, v.factors ? &gff : nullptr);
        cpu().rope(x.c, hd, pos, v.r, v.factors ? &cff : nullptr);
        INFO("rope " << v.what);
        CHECK(max_rel_diff(read(b, x.g), read(cpu(), x.c)) < 2e-5);
        // Queries then keys (fewer heads), as a layer ropes them: one launch on the CUDA backend.
        auto q = make_both(b, rows, heads * hd, random_floats(rows * heads * hd, 63, -2.0f, 2.0f));
        auto k = make_both(b, rows, hd, random_floats(rows * hd, 64, -2.0f, 2.0f));
        b.rope(q.g, hd, pos, v.r, v.factors ? &gff : nullptr), b.rope(k.g, hd, pos, v.r, v.factors ? &gff : nullptr);
        cpu().rope(q.c, hd, pos, v.r, v.factors ? &cff : nullptr), cpu().rope(k.c, hd, pos, v.r, v.factors ? &cff : nullptr);
        CHECK(max_rel_diff(read(b, q.g), read(cpu(), q.c)) < 2e-5);
        CHECK(max_rel_diff(read(b, k.g), read(cpu(), k.c)) < 2e-5);
    }
}

// A residual add followed by the norm of its sum, as every layer ends (add(x, cur), then
// rms_norm(x) into cur): one launch on the CUDA backend. The sum must be the add's exactly.
template <class B>
void check_residual_norm(B& b) {
    const std::size_t rows = 2, cols = 8448;  // more than rms_per_thread values for each of 1024 threads
    auto w = make_weight(hearth::dtype::f32, 1, cols, random_floats(cols, 55, 0.5f, 1.5f));
    const auto gw = b.load(w->view);
    const auto cw = cpu().load(w->view);
    auto x = make_both(b, rows, cols, random_floats(rows * cols, 56, -4.0f, 4.0f));
    auto cur = make_both(b, rows, cols, random_floats(rows * cols, 57, -1.0f, 1.0f));
    b.add(x.g, cur.g), b.rms_norm(x.g, &gw, cur.g, 1e-6f);
    cpu().add(x.c, cur.c), cpu().rms_norm(x.c, &cw, cur.c, 1e-6f);
    CHECK(bit_equal(read(b, x.g), read(cpu(), x.c)));
    CHECK(max_rel_diff(read(b, cur.g), read(cpu(), cur.c)) < 1e-5);
    // An add whose sum is not what the next norm reads runs on its own first.
    auto other = make_both(b, rows, cols, random_floats(rows * cols, 58, -1.0f, 1.0f));
    auto y = make_both(b, rows, cols, random_floats(rows * cols, 59, -4.0f, 4.0f));
    auto addend = make_both(b, rows, cols, random_floats(rows * cols, 60, -1.0f, 1.0f));
    b.add(y.g, addend.g), b.rms_norm(other.g, &gw, addend.g, 1e-6f);
    cpu().add(y.c, addend.c), cpu().rms_norm(other.c, &cw, addend.c, 1e-6f);
    CHECK(bit_equal(read(b, y.g), read(cpu(), y.c)));
    CHECK(max_rel_diff(read(b, addend.g), read(cpu(), addend.c)) < 1e-5);
}

template <class B>
void check_hadamard(B& b) {
    for (std::uint32_t block : {64u, 128u, 256u}) {
        auto x = make_both(b, 4, 512, random_floats(4 * 512, 71 + block, -3.0f, 3.0f));
        b.hadamard(x.g, block), cpu().hadamard(x.c, block);
        INFO("block " << block);
        CHECK(bit_equal(read(b, x.g), read(cpu(), x.c)));
    }
    // A layer's q, k and v in a row (different shapes): one launch on the CUDA backend.
    auto q = make_both(b, 3, 512, random_floats(3 * 512, 81, -3.0f, 3.0f));
    auto k = make_both(b, 3, 128, random_floats(3 * 128, 82, -3.0f, 3.0f));
    auto v = make_both(b, 3, 256, random_floats(3 * 256, 83, -3.0f, 3.0f));
    b.hadamard(q.g, 64), b.hadamard(k.g, 64), b.hadamard(v.g, 64);
    cpu().hadamard(q.c, 64), cpu().hadamard(k.c, 64), cpu().hadamard(v.c, 64);
    CHECK(bit_equal(read(b, q.g), read(cpu(), q.c)));
    CHECK(bit_equal(read(b, k.g), read(cpu(), k.c)));
    CHECK(bit_equal(read(b, v.g), read(cpu(), v.c)));
}

struct attn_case {
    std::uint32_t n_head, n_head_kv, hd;
    std::uint32_t window;
    float softcap;
};

// A prompt of `prompt` tokens of sequence 0, 3 tokens of sequence 1, then `decode` single tokens
// of sequence 0, on both backends; every step's output and the cache bytes are compared.
template <class B>
void check_attention(B& b, hearth::dtype kt, hearth::dtype vt, const attn_case& ac, std::size_t prompt,
                     std::size_t decode, std::uint32_t seed) {
    const std::uint32_t cells = static_cast<std::uint32_t>(prompt + decode + 3 + 16);
    auto gkv = b.alloc_kv(kt, vt, cells, ac.n_head_kv, ac.hd, ac.hd);
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
        auto q = make_both(b, n, qw, random_floats(n * qw, seed++, -2.0f, 2.0f));
        auto k = make_both(b, n, kw, random_floats(n * kw, seed++, -2.0f, 2.0f));
        auto v = make_both(b, n, kw, random_floats(n * kw, seed++, -1.0f, 1.0f));
        auto o = make_both(b, n, qw, std::vector<float>(n * qw, 0.0f));
        b.attention(gkv, q.g, k.g, v.g, batch, ap, o.g);
        cpu().attention(ckv, q.c, k.c, v.c, batch, ap, o.c);
        INFO("K " << type_name(kt) << " V " << type_name(vt) << " heads " << ac.n_head << "/" << ac.n_head_kv << " hd " << ac.hd
                  << " window " << ac.window << " softcap " << ac.softcap << " seq " << seq << " tokens " << n);
        CHECK(max_rel_diff(read(b, o.g), read(cpu(), o.c)) < 1e-4);
        std::vector<std::byte> gk, gv;
        b.read_kv(gkv, gk, gv);
        CHECK(std::ranges::equal(gk, ckv.k.bytes()));
        CHECK(std::ranges::equal(gv, ckv.v.bytes()));
    };
    step(0, prompt);
    step(1, 3);
    for (std::size_t i = 0; i < decode; ++i) step(0, 1);
}

template <class B>
void check_attention_pairs(B& b) {
    for (hearth::dtype kt : cache_types())
        for (hearth::dtype vt : cache_types()) check_attention(b, kt, vt, {4, 2, 64, 0, 0.0f}, 7, 2, 100);
}

template <class B>
void check_attention_shapes(B& b) {
    check_attention(b, hearth::dtype::q4_0, hearth::dtype::q8_0, {2, 1, 256, 4, 0.0f}, 9, 3, 200);  // Gemma-3 window
    check_attention(b, hearth::dtype::f16, hearth::dtype::f16, {4, 4, 128, 0, 50.0f}, 70, 1, 300);  // softcap, >64 cells
    check_attention(b, hearth::dtype::f16, hearth::dtype::f16, {2, 2, 4, 0, 0.0f}, 5, 2, 400);      // head_dim 4
    check_attention(b, hearth::dtype::f32, hearth::dtype::q4_0, {6, 3, 32, 0, 0.0f}, 33, 2, 500);   // one block per head
}

// Decode over a long context: few (token, head) items and many cells, so the GPU kernel splits
// the cells over several blocks and merges their partial softmaxes.
template <class B>
void check_attention_long(B& b) {
    check_attention(b, hearth::dtype::q4_0, hearth::dtype::q8_0, {2, 1, 128, 0, 0.0f}, 300, 2, 800);
    check_attention(b, hearth::dtype::f16, hearth::dtype::f16, {4, 2, 64, 200, 0.0f}, 280, 1, 900);
}

}  // namespace cuda_test
