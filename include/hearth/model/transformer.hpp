#pragma once
// The one forward pass, written once for every backend: embed, then per layer
// norm -> q/k/v -> (q/k norm) -> rope -> attention over the KV cache -> output projection ->
// residual -> norm -> FFN -> residual, then the final norm and the logits. Straight-line code over
// backend ops; what differs between families comes from `architecture` and `model_config`.
#include <hearth/backend.hpp>
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/model/config.hpp>
#include <hearth/model/kv_cache.hpp>
#include <hearth/model/tensors.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN

template <backend B>
class transformer {
public:
    using tensor = typename B::tensor;
    using weight = typename B::weight;

    // load_progress (optional) is called after each weight is loaded into the backend with the
    // bytes loaded so far and the bytes of every tensor in the file (a GPU backend uploads here).
    transformer(B& b, const gguf::file& f,
                const std::function<void(std::uint64_t, std::uint64_t)>& load_progress = {})
        : b_(b), config_(read_model_config(f)) {
        const model_tensors t = find_model_tensors(f, config_);
        std::uint64_t total = 0, done = 0;
        for (const auto& v : f.tensors()) total += v.data.size();
        auto load = [&](const gguf::tensor_view& v) {
            weight w = b.load(v);
            done += v.data.size();
            if (load_progress) load_progress(done, total);
            return w;
        };
        tok_embd_ = load(*t.tok_embd);
        output_norm_ = load(*t.output_norm);
        output_ = t.output == t.tok_embd ? b.load(*t.output) : load(*t.output);  // tied: counted once
        if (t.rope_freqs) rope_freqs_ = load(*t.rope_freqs);
        if (t.rope_factors_long) rope_long_ = load(*t.rope_factors_long);
        if (t.rope_factors_short) rope_short_ = load(*t.rope_factors_short);
        auto opt = [&](const gguf::tensor_view* v) { return v ? std::optional<weight>(load(*v)) : std::nullopt; };
        layers_.reserve(config_.n_layer);
        for (const auto& L : t.layers) {
            layers_.push_back(layer{
                load(*L.attn_norm), opt(L.wq), opt(L.wk), opt(L.wv), opt(L.wqkv), opt(L.bq), opt(L.bk),
                opt(L.bv), opt(L.q_norm), opt(L.k_norm), load(*L.wo), opt(L.post_attn_norm),
                load(*L.ffn_norm), opt(L.ffn_gate), load(*L.ffn_up), load(*L.ffn_down),
                opt(L.post_ffn_norm)});
        }
        if (load_progress && done != total) load_progress(total, total);  // tensors no layer uses
    }

    const model_config& config() const { return config_; }
    B& backend_ref() { return b_; }

    // Per-session scratch: activation tensors sized for the largest batch seen, reused.
    struct workspace {
        std::size_t capacity = 0;
        tensor x, cur, q, k, v, qkv, attn, gate, up, gate_up, hidden, logits;
        std::size_t logits_rows = 0;
        std::vector<std::int32_t> positions, seqs;
    };

    // Runs `tokens` of sequence `seq` through the model at the next positions of that sequence
    // in `cache`. Writes logits of the last token (or of every token when all_logits) to `out`.
    void forward(kv_cache<B>& cache, workspace& ws, std::span<const std::int32_t> tokens, std::int32_t seq,
                 bool all_logits, std::vector<float>& out) {
        const auto& c = config_;
        const std::size_t n = tokens.size();
        if (n == 0) throw error(errc::invalid_argument, "forward() needs at least one token");
        for (auto id : tokens)
            if (id < 0 || static_cast<std::uint32_t>(id) >= c.n_vocab)
                throw error(errc::out_of_range, "token id " + std::to_string(id) +
                                                    " is outside the vocabulary (0 .. " +
                                                    std::to_string(c.n_vocab - 1) + ")");
        kv_cells& cells = cache.cells();
        const std::int32_t pos0 = cells.next_position(seq);
        if (static_cast<std::size_t>(pos0) + n > cache.context_size())
            throw error(errc::out_of_range, "sequence " + std::to_string(seq) + " would reach " +
                                                std::to_string(pos0 + n) + " tokens, past the context size " +
                                                std::to_string(cache.context_size()));
        reserve(ws, n);
        ws.positions.resize(n);
        ws.seqs.assign(n, seq);
        for (std::size_t i = 0; i < n; ++i) ws.positions[i] = pos0 + static_cast<std::int32_t>(i);
        const std::vector<std::uint32_t> slots = cells.allocate(seq, ws.positions);
        const attention_batch batch{ws.positions, ws.seqs, slots, cells.positions(), cells.sequences(), cells.used()};

        tensor x = b_.rows(ws.x, 0, n), cur = b_.rows(ws.cur, 0, n);
        tensor attn = b_.rows(ws.attn, 0, n), hidden = b_.rows(ws.hidden, 0, n);
        b_.get_rows(tok_embd_, tokens, x);
        if (c.arch->embed_scale_sqrt) b_.scale(x, std::sqrt(static_cast<float>(c.n_embd)));

        const weight* freq_factors = rope_factors(cache.context_size());
        const kv_rotation rot = cache.rotation();
        for (std::uint32_t il = 0; il < c.n_layer; ++il) {
            const layer& L = layers_[il];
            b_.rms_norm(x, &L.attn_norm, cur, c.norm_eps);

            tensor q, k, v;
            if (L.wqkv) {
                tensor qkv = b_.rows(ws.qkv, 0, n);
                b_.matmul(*L.wqkv, cur, qkv);
                q = b_.cols(qkv, 0, c.n_embd_q());
                k = b_.cols(qkv, c.n_embd_q(), c.n_embd_k_gqa());
                v = b_.cols(qkv, c.n_embd_q() + c.n_embd_k_gqa(), c.n_embd_v_gqa());
            } else {
                q = b_.rows(ws.q, 0, n), k = b_.rows(ws.k, 0, n), v = b_.rows(ws.v, 0, n);
                b_.matmul(*L.wq, cur, q);
                b_.matmul(*L.wk, cur, k);
                b_.matmul(*L.wv, cur, v);
            }
            if (L.bq) b_.add_bias(q, *L.bq), b_.add_bias(k, *L.bk), b_.add_bias(v, *L.bv);
            if (L.q_norm) {
                b_.rms_norm_heads(q, *L.q_norm, c.head_dim_k, c.norm_eps);
                b_.rms_norm_heads(k, *L.k_norm, c.head_dim_k, c.norm_eps);
            }
            const rope_config& rope = c.rope_for(il);
            b_.rope(q, c.head_dim_k, ws.positions, rope, freq_factors);
            b_.rope(k, c.head_dim_k, ws.positions, rope, freq_factors);

            attention_params ap;
            ap.kq_scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim_k));
            if (c.query_scale != 0.0f) b_.scale(q, c.query_scale), ap.kq_scale = 1.0f;
            ap.softcap = c.attn_logit_softcap;
            ap.window = c.layer_slides(il) ? c.sliding_window : 0;
            ap.n_head = c.n_head, ap.n_head_kv = c.n_head_kv;
            ap.head_dim_k = c.head_dim_k, ap.head_dim_v = c.head_dim_v;
            if (rot.k) b_.hadamard(q, rot.k), b_.hadamard(k, rot.k);
            if (rot.v) b_.hadamard(v, rot.v);
            b_.attention(cache.layer(il), q, k, v, batch, ap, attn);
            if (rot.v) b_.hadamard(attn, rot.v);

            b_.matmul(L.wo, attn, cur);
            if (L.post_attn_norm) b_.rms_norm(cur, &*L.post_attn_norm, cur, c.norm_eps);
            b_.add(x, cur);

            b_.rms_norm(x, &L.ffn_norm, cur, c.norm_eps);
            tensor gate, up;
            if (L.ffn_gate) {
                gate = b_.rows(ws.gate, 0, n), up = b_.rows(ws.up, 0, n);
                b_.matmul(*L.ffn_gate, cur, gate);
                b_.matmul(L.ffn_up, cur, up);
            } else {  // fused: the first half of each row is the gate, the second the up projection
                tensor gu = b_.rows(ws.gate_up, 0, n);
                b_.matmul(L.ffn_up, cur, gu);
                gate = b_.cols(gu, 0, c.n_ff);
                up = b_.cols(gu, c.n_ff, c.n_ff);
            }
            if (c.arch->activation == ffn_activation::gelu) b_.geglu(gate, up, hidden);
            else b_.swiglu(gate, up, hidden);
            b_.matmul(L.ffn_down, hidden, cur);
            if (L.post_ffn_norm) b_.rms_norm(cur, &*L.post_ffn_norm, cur, c.norm_eps);
            b_.add(x, cur);
        }

        const std::size_t n_out = all_logits ? n : 1;
        tensor h = b_.rows(ws.cur, 0, n_out);
        b_.rms_norm(b_.rows(x, n - n_out, n_out), &output_norm_, h, c.norm_eps);
        if (ws.logits_rows < n_out) ws.logits = b_.alloc(n_out, c.n_vocab), ws.logits_rows = n_out;
        tensor logits = b_.rows(ws.logits, 0, n_out);
        b_.matmul(output_, h, logits);
        out.resize(n_out * c.n_vocab);
        b_.read(logits, out);
        if (c.final_logit_softcap > 0.0f)
            for (auto& l : out) l = c.final_logit_softcap * std::tanh(l / c.final_logit_softcap);
    }

private:
    struct layer {
        weight attn_norm;
        std::optional<weight> wq, wk, wv, wqkv, bq, bk, bv, q_norm, k_norm;
        weight wo;
        std::optional<weight> post_attn_norm;
        weight ffn_norm;
        std::optional<weight> ffn_gate;
        weight ffn_up, ffn_down;
        std::optional<weight> post_ffn_norm;
    };

    // Phi-3 style long/short factors are chosen by the context the session runs at.
    const weight* rope_factors(std::uint32_t n_ctx) const {
        if (rope_long_ && rope_short_)
            return n_ctx > static_cast<std::uint32_t>(config_.rope.n_ctx_orig) ? &*rope_long_ : &*rope_short_;
        return rope_freqs_ ? &*rope_freqs_ : nullptr;
    }

    void reserve(workspace& ws, std::size_t n) {
        if (ws.capacity >= n) return;
        const auto& c = config_;
        ws.x = b_.alloc(n, c.n_embd);
        ws.cur = b_.alloc(n, c.n_embd);
        ws.q = b_.alloc(n, c.n_embd_q());
        ws.k = b_.alloc(n, c.n_embd_k_gqa());
        ws.v = b_.alloc(n, c.n_embd_v_gqa());
        if (c.arch->fused_qkv) ws.qkv = b_.alloc(n, c.n_embd_q() + c.n_embd_k_gqa() + c.n_embd_v_gqa());
        ws.attn = b_.alloc(n, static_cast<std::size_t>(c.n_head) * c.head_dim_v);
        ws.gate = b_.alloc(n, c.n_ff);
        ws.up = b_.alloc(n, c.n_ff);
        if (c.arch->fused_gate_up) ws.gate_up = b_.alloc(n, 2ull * c.n_ff);
        ws.hidden = b_.alloc(n, c.n_ff);
        ws.capacity = n;
    }

    B& b_;
    model_config config_;
    weight tok_embd_, output_norm_, output_;
    std::optional<weight> rope_freqs_, rope_long_, rope_short_;
    std::vector<layer> layers_;
};

HEARTH_NAMESPACE_END
