#pragma once
// A diagnostic backend: runs every op on the backend under test B and on the CPU backend at once,
// on the same inputs (the CPU's result is copied back into B after each op, so errors do not
// accumulate), and records the largest relative difference per op name. When a model's logits
// disagree, this says which op of which layer starts it.
#include "cuda_test_support.hpp"
#include <map>
#include <string>

namespace cuda_test {

template <class B>
class lockstep {
public:
    struct tensor {
        typename B::tensor g;
        cpu_backend::tensor c;
        std::size_t n_rows = 0, n_cols = 0;
    };
    struct weight {
        typename B::weight g;
        cpu_backend::weight c;
    };
    struct kv_layer {
        typename B::kv_layer g;
        cpu_backend::kv_layer c;
    };

    explicit lockstep(B& b) : b_(b) {}
    const char* name() const { return "lockstep"; }

    weight load(const hearth::gguf::tensor_view& v) { return {b_.load(v), cpu().load(v)}; }
    tensor alloc(std::size_t r, std::size_t c) { return {b_.alloc(r, c), cpu().alloc(r, c), r, c}; }
    tensor rows(const tensor& t, std::size_t f, std::size_t n) const { return {b_.rows(t.g, f, n), cpu().rows(t.c, f, n), n, t.n_cols}; }
    tensor cols(const tensor& t, std::size_t f, std::size_t n) const { return {b_.cols(t.g, f, n), cpu().cols(t.c, f, n), t.n_rows, n}; }
    kv_layer alloc_kv(hearth::dtype k, hearth::dtype v, std::uint32_t c, std::uint32_t h, std::uint32_t dk, std::uint32_t dv) {
        return {b_.alloc_kv(k, v, c, h, dk, dv), cpu().alloc_kv(k, v, c, h, dk, dv)};
    }
    void read(const tensor& t, std::span<float> out) { cpu().read(t.c, out); }

    void get_rows(const weight& w, std::span<const std::int32_t> ids, tensor& o) {
        b_.get_rows(w.g, ids, o.g), cpu().get_rows(w.c, ids, o.c), compare("get_rows", o);
    }
    void matmul(const weight& w, const tensor& x, tensor& y) {
        b_.matmul(w.g, x.g, y.g), cpu().matmul(w.c, x.c, y.c);
        compare("matmul " + type_name(w.c.matrix.type) + " " + std::to_string(w.c.matrix.rows) + "x" +
                    std::to_string(w.c.matrix.cols),
                y);
    }
    void add_bias(tensor& y, const weight& w) { b_.add_bias(y.g, w.g), cpu().add_bias(y.c, w.c), compare("add_bias", y); }
    void rms_norm(const tensor& x, const weight* w, tensor& y, float eps) {
        b_.rms_norm(x.g, w ? &w->g : nullptr, y.g, eps), cpu().rms_norm(x.c, w ? &w->c : nullptr, y.c, eps);
        compare("rms_norm", y);
    }
    void rms_norm_heads(tensor& x, const weight& w, std::uint32_t hd, float eps) {
        b_.rms_norm_heads(x.g, w.g, hd, eps), cpu().rms_norm_heads(x.c, w.c, hd, eps), compare("rms_norm_heads", x);
    }
    void rope(tensor& x, std::uint32_t hd, std::span<const std::int32_t> pos, const hearth::rope_config& r, const weight* ff) {
        b_.rope(x.g, hd, pos, r, ff ? &ff->g : nullptr), cpu().rope(x.c, hd, pos, r, ff ? &ff->c : nullptr);
        compare("rope", x);
    }
    void add(tensor& y, const tensor& x) { b_.add(y.g, x.g), cpu().add(y.c, x.c), compare("add", y); }
    void scale(tensor& x, float s) { b_.scale(x.g, s), cpu().scale(x.c, s), compare("scale", x); }
    void hadamard(tensor& x, std::uint32_t n) { b_.hadamard(x.g, n), cpu().hadamard(x.c, n), compare("hadamard", x); }
    void swiglu(const tensor& g, const tensor& u, tensor& o) { b_.swiglu(g.g, u.g, o.g), cpu().swiglu(g.c, u.c, o.c), compare("swiglu", o); }
    void geglu(const tensor& g, const tensor& u, tensor& o) { b_.geglu(g.g, u.g, o.g), cpu().geglu(g.c, u.c, o.c), compare("geglu", o); }
    void attention(kv_layer& kv, const tensor& q, const tensor& k, const tensor& v, const hearth::attention_batch& batch,
                   const hearth::attention_params& ap, tensor& o) {
        b_.attention(kv.g, q.g, k.g, v.g, batch, ap, o.g), cpu().attention(kv.c, q.c, k.c, v.c, batch, ap, o.c);
        compare("attention", o);
    }

    // Largest relative difference seen per op.
    const std::map<std::string, double>& worst() const { return worst_; }

private:
    void compare(const std::string& op, const tensor& t) {
        std::vector<float> g(t.n_rows * t.n_cols), c(g.size());
        b_.read(t.g, g), cpu().read(t.c, c);
        double& w = worst_[op];
        w = std::max(w, max_rel_diff(g, c));
        b_.write(t.g, c);  // continue from the CPU's values
    }

    B& b_;
    std::map<std::string, double> worst_;
};

}  // namespace cuda_test
