#pragma once
// hearth::cpu::backend<Arch>: the CPU backend. Every op runs at once, on the calling thread and
// the backend's thread pool. Weights are views into the file mapping (no copy), except where the
// arch's kernels read a repacked layout much faster (x86 q4_0 and q4_K, q8_0 with VNNI:
// packed_layouts.hpp): such a matrix is copied into that layout, in huge pages where the OS offers
// them (page_buffer.hpp), by its second one-token matmul (options::repack). Other matrices of at
// least a huge page are copied as they are into huge pages then (options::huge_pages); activations
// are f32 row-major host tensors; the KV cache is host memory in the session's dtypes.
#include <hearth/backend.hpp>
#include <hearth/cpu/arch.hpp>
#include <hearth/cpu/attention.hpp>
#include <hearth/cpu/get_rows.hpp>
#include <hearth/cpu/matmul.hpp>
#include <hearth/cpu/matrix_view.hpp>
#include <hearth/cpu/ops/elementwise.hpp>
#include <hearth/cpu/ops/hadamard.hpp>
#include <hearth/cpu/ops/norm.hpp>
#include <hearth/cpu/ops/rope.hpp>
#include <hearth/cpu/thread_pool.hpp>
#include <hearth/mapped_file.hpp>
#include <hearth/page_buffer.hpp>
#include <hearth/error.hpp>
#include <hearth/quant.hpp>
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

// A matrix of f32 activations, or a view of rows/columns of one (views share the storage).
struct host_tensor {
    std::shared_ptr<float[]> storage;
    float* data = nullptr;
    std::size_t n_rows = 0, n_cols = 0, stride = 0;  // stride in floats between rows
    float* row(std::size_t i) const { return data + i * stride; }
};

// A matrix the backend repacks when decode reads it (one token at a time), not at load: the copy costs
// a pass over the weights and, above all, fresh memory (on the development VM, faulting in 607 MB
// took 300 ms), and done at load it tripled the time to a first token (1 thread, TinyLlama Q4_0:
// 0.20 -> 0.53 s). A prompt does not need it (the GEMM unpacks the file's rows as fast), so a
// model that only reads prompts (perplexity, scoring) never pays it. Once copied, the file's pages
// under it leave the process (mapped_file::release), so resident memory stays about the file's.
//
// The copy waits for the matrix's second one-token matmul: a prompt's logits are one (only its
// last token's are computed), and copying the output matrix there delayed the first token
// (TinyLlama Q8_0, one thread: 70 MB, about 30 ms of a 160 ms first token). So the first decode
// step reads the file's rows and the second reads the copies.
struct repack_state {
    weight_layout layout;                      // the layout it is copied into (file: the same rows, in huge pages)
    std::span<const std::byte> source;         // the matrix in the mapping
    const mapped_file* mapping = nullptr;      // where source lies (null: memory the caller owns)
    std::shared_ptr<std::byte[]> buffer;       // the copy; null until made
    matrix_view packed{};
    unsigned one_token_reads = 0;              // one-token matmuls so far (the copy is made at the second)
};

// A weight as the file has it, plus an f32 copy for small vectors stored in another type, and for
// a matrix the backend may repack, that copy's state.
struct host_weight {
    matrix_view matrix{};            // rows x cols in the file's dtype and layout (1 row for vectors)
    const float* f32 = nullptr;      // the values as f32, for vectors (norm weights, biases)
    std::shared_ptr<std::vector<float>> owned;  // backing for f32 when the file's type is not f32
    std::shared_ptr<repack_state> repack;       // set when matrix is repacked for decode
    std::size_t elements() const { return matrix.rows * matrix.cols; }
    // Whether matmul reads a repacked copy now (not synchronised with a matmul on another thread).
    bool repacked() const noexcept { return repack && repack->buffer; }
};

struct options {
    unsigned threads = 0;  // 0: one per hardware thread
    // Copy the weights whose kernels read a repacked layout faster into that layout, on their
    // second one-token matmul (x86 q4_0, q4_K, q8_0 with VNNI: decode 1.2-1.3x on one core). false
    // keeps every weight a view into the file mapping (zero copy, pages shared between processes
    // that map it).
    bool repack = true;
    // Back the repacked copies with huge pages where the OS offers them (page_buffer.hpp: decode
    // reads them faster; the decode step that copies them pays for the pages). With repack, also copy the
    // matrices no layout repacks (q6_K, q5_K, ...; at least huge_page_bytes) unchanged into huge
    // pages: the file's pages are mostly mapped 4 KiB at a time, and TinyLlama Q4_K_M's q6_K
    // ffn_down decoded at 19 GB/s from them against 22-23 from the copy (one thread). false:
    // 4 KiB pages, and such matrices stay views into the file.
    bool huge_pages = true;
};

template <class Arch = native_arch>
class backend {
public:
    using tensor = host_tensor;
    using weight = host_weight;
    using kv_layer = kv_storage;

    explicit backend(options o = {})
        : pool_(o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency())),
          mm_{pool_},
          repack_(o.repack), huge_pages_(o.huge_pages) {}
    backend(const backend&) = delete;
    backend& operator=(const backend&) = delete;

    const char* name() const { return arch_name<Arch>; }
    unsigned threads() const { return pool_.size(); }
    thread_pool& pool() { return pool_; }

    // ---- memory ----------------------------------------------------------------------------
    weight load(const gguf::tensor_view& t) {
        weight w;
        const std::size_t cols = t.ne[0], rows = t.rows();
        w.matrix = matrix_view{t.type, rows, cols, t.data.data(), t.row_bytes()};
        const weight_layout layout = kernels<Arch>::packed_layout(t.type, rows, cols);
        const bool copy_unchanged = huge_pages_ && rows > 1 && t.data.size() >= huge_page_bytes;
        if (repack_ && (layout != weight_layout::file || copy_unchanged)) {
            w.repack = std::make_shared<repack_state>(repack_state{layout, t.data, t.mapping, nullptr, {}});
            std::lock_guard<std::mutex> lock(scratch_mutex_);
            unplaced_copy_bytes_ += page_arena::footprint(copy_bytes(w.matrix, layout));
        }
        if (rows == 1) {  // vectors are read element-wise by the ops: give them as f32
            if (t.type == dtype::f32) {
                w.f32 = reinterpret_cast<const float*>(t.data.data());
            } else {
                w.owned = std::make_shared<std::vector<float>>(cols);
                quant::dequantize_row(t.type, t.data.data(), w.owned->data(), cols);
                w.f32 = w.owned->data();
            }
        }
        return w;
    }
    tensor alloc(std::size_t rows, std::size_t cols) {
        tensor t;
        t.storage = std::shared_ptr<float[]>(new float[std::max<std::size_t>(1, rows * cols)]());
        t.data = t.storage.get(), t.n_rows = rows, t.n_cols = cols, t.stride = cols;
        return t;
    }
    tensor rows(const tensor& t, std::size_t first, std::size_t count) const {
        tensor v = t;
        v.data = t.data + first * t.stride, v.n_rows = count;
        return v;
    }
    tensor cols(const tensor& t, std::size_t first, std::size_t count) const {
        tensor v = t;
        v.data = t.data + first, v.n_cols = count;
        return v;
    }
    kv_layer alloc_kv(dtype k, dtype v, std::uint32_t cells, std::uint32_t heads, std::uint32_t hdk, std::uint32_t hdv) {
        return kv_layer(k, v, cells, heads, hdk, hdv);
    }
    void read(const tensor& t, std::span<float> out) const {
        for (std::size_t i = 0; i < t.n_rows; ++i)
            std::memcpy(out.data() + i * t.n_cols, t.row(i), t.n_cols * sizeof(float));
    }

    // ---- ops -------------------------------------------------------------------------------
    void get_rows(const weight& table, std::span<const std::int32_t> ids, tensor& out) {
        cpu::get_rows<Arch>(table.matrix, ids.data(), ids.size(), out.data, out.stride);
    }
    void matmul(const weight& w, const tensor& x, tensor& y) {
        std::lock_guard<std::mutex> lock(scratch_mutex_);
        cpu::matmul<Arch>(mm_, matrix_for(w, x.n_rows), x.data, x.stride, x.n_rows, y.data, y.stride);
    }
    void add_bias(tensor& y, const weight& b) {
        for_rows(y.n_rows, [&](std::size_t i) { cpu::add<Arch>(y.row(i), b.f32, y.row(i), y.n_cols); });
    }
    void rms_norm(const tensor& x, const weight* w, tensor& y, float eps) {
        for_rows(x.n_rows, [&](std::size_t i) {
            cpu::rms_norm<Arch>(x.row(i), w ? w->f32 : nullptr, y.row(i), x.n_cols, eps);
        });
    }
    void rms_norm_heads(tensor& x, const weight& w, std::uint32_t head_dim, float eps) {
        const std::size_t heads = x.n_cols / head_dim;
        for_rows(x.n_rows, [&](std::size_t i) {
            for (std::size_t h = 0; h < heads; ++h)
                cpu::rms_norm<Arch>(x.row(i) + h * head_dim, w.f32, x.row(i) + h * head_dim, head_dim, eps);
        });
    }
    void rope(tensor& x, std::uint32_t head_dim, std::span<const std::int32_t> positions, const rope_config& r,
              const weight* freq_factors) {
        const rope_params p{r.n_dims, r.neox, r.freq_base, r.freq_scale, freq_factors ? freq_factors->f32 : nullptr,
                            r.ext_factor, r.attn_factor, r.beta_fast, r.beta_slow, r.n_ctx_orig};
        const std::size_t heads = x.n_cols / head_dim;
        for_rows(x.n_rows, [&](std::size_t i) {
            cpu::rope_heads<Arch>(x.row(i), heads, head_dim, head_dim, positions[i], p);
        });
    }
    void add(tensor& y, const tensor& x) {
        for_rows(y.n_rows, [&](std::size_t i) { cpu::add<Arch>(y.row(i), x.row(i), y.row(i), y.n_cols); });
    }
    void scale(tensor& x, float s) {
        for_rows(x.n_rows, [&](std::size_t i) { cpu::scale<Arch>(x.row(i), s, x.n_cols); });
    }
    void hadamard(tensor& x, std::uint32_t block) {
        for_rows(x.n_rows, [&](std::size_t i) { cpu::hadamard<Arch>(x.row(i), x.n_cols, block); });
    }
    void swiglu(const tensor& gate, const tensor& up, tensor& out) {
        for_rows(out.n_rows, [&](std::size_t i) { cpu::swiglu<Arch>(gate.row(i), up.row(i), out.row(i), out.n_cols); });
    }
    void geglu(const tensor& gate, const tensor& up, tensor& out) {
        for_rows(out.n_rows, [&](std::size_t i) { cpu::geglu<Arch>(gate.row(i), up.row(i), out.row(i), out.n_cols); });
    }
    void attention(kv_layer& kv, const tensor& q, const tensor& k, const tensor& v, const attention_batch& batch,
                   const attention_params& ap, tensor& out) {
        std::lock_guard<std::mutex> lock(scratch_mutex_);
        cpu::attention<Arch>(pool_, attn_scratch_, kv, q, k, v, batch, ap, out);
    }

private:
    // The matrix matmul reads for n_tokens tokens: the repacked copy once made, made here by the
    // second one-token call (under scratch_mutex_, so once; repack_state says why not the first),
    // else the file's rows.
    const matrix_view& matrix_for(const weight& w, std::size_t n_tokens) {
        if (!w.repack) return w.matrix;
        repack_state& st = *w.repack;
        if (!st.buffer && n_tokens == 1 && ++st.one_token_reads >= 2) repack(w.matrix, st);
        return st.buffer ? st.packed : w.matrix;
    }

    // The matrix m into st.layout: groups of 8 interleaved rows, or (file) its rows unchanged, in
    // runs of about 1 MiB split over the pool. The mapping's pages under each run are released
    // once it is copied, so the peak resident memory is not the file's plus a whole copy of the
    // largest matrix (TinyLlama Q8_0's output matrix: 66 MiB); a last release takes the pages the
    // runs' edges shared.
    void repack(const matrix_view& m, repack_state& st) {
        const bool unchanged = st.layout == weight_layout::file;
        const std::size_t unit_rows = unchanged ? 1 : 8, unit_bytes = unit_rows * m.row_stride_bytes;
        const std::size_t units_per_run = std::max<std::size_t>(1, (std::size_t{1} << 20) / unit_bytes);
        std::shared_ptr<std::byte[]> buf = copy_buffer(copy_bytes(m, st.layout));
        pool_.parallel_for(
            m.rows / unit_rows,
            [&](unsigned, std::size_t u0, std::size_t u1) {
                for (std::size_t u = u0; u < u1; u += units_per_run) {
                    const std::size_t e = std::min(u + units_per_run, u1);
                    if (unchanged) std::memcpy(buf.get() + u * unit_bytes, m.data + u * unit_bytes, (e - u) * unit_bytes);
                    else kernels<Arch>::pack(st.layout, m.data, m.row_stride_bytes, m.cols, u, e, buf.get());
                    if (st.mapping) st.mapping->release(std::span(m.data + u * unit_bytes, (e - u) * unit_bytes));
                }
            },
            1);
        st.packed = matrix_view{m.type, m.rows, m.cols, buf.get(), m.row_stride_bytes, st.layout};
        st.buffer = std::move(buf);
        if (st.mapping) st.mapping->release(st.source);
    }

    // The bytes of m's copy in `layout`.
    static std::size_t copy_bytes(const matrix_view& m, weight_layout layout) {
        return layout == weight_layout::file ? m.rows * m.row_stride_bytes : kernels<Arch>::packed_bytes(layout, m.rows, m.cols);
    }

    // Memory for a copy of `bytes`: with huge pages, the next run of the arena the model's copies
    // share (page_arena: one mapping, huge pages to its end, in the order decode reads the
    // matrices), sized at the first copy for every matrix loaded and not yet copied; else, or when
    // the arena is full (weights loaded after it was made), a mapping of its own.
    std::shared_ptr<std::byte[]> copy_buffer(std::size_t bytes) {
        const std::size_t footprint = page_arena::footprint(bytes);
        unplaced_copy_bytes_ -= std::min(unplaced_copy_bytes_, footprint);
        if (!huge_pages_) return allocate_pages(bytes, false);
        std::shared_ptr<page_arena> arena = arena_.lock();
        if (!arena) {
            arena = std::make_shared<page_arena>(unplaced_copy_bytes_ + footprint, true);
            arena_ = arena;
        }
        if (auto buf = arena->take(bytes)) return buf;
        return allocate_pages(bytes, true);
    }

    // Row-wise ops: one row per token; split across the pool only when there are many.
    template <class F>
    void for_rows(std::size_t n, F&& f) {
        if (n < 4) {
            for (std::size_t i = 0; i < n; ++i) f(i);
            return;
        }
        pool_.parallel_for(n, [&](unsigned, std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) f(i);
        });
    }

    thread_pool pool_;
    // Sessions on different threads may share this backend: the ops that use its scratch (quantized
    // activations, attention accumulators) take turns; each op still uses the whole pool.
    std::mutex scratch_mutex_;
    matmul_context mm_;
    std::vector<attention_scratch> attn_scratch_;
    bool repack_ = true;
    bool huge_pages_ = true;
    // The copies decode will make (repack_state) of the weights loaded so far: the size of the next
    // arena. The arena lives while its copies do (the backend only watches it).
    std::size_t unplaced_copy_bytes_ = 0;
    std::weak_ptr<page_arena> arena_;
};

}  // namespace cpu
HEARTH_NAMESPACE_END
