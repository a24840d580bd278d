#pragma once
// basic_backend<Exec>: the CUDA backend's side of the backend concept (shapes, checks, weight
// upload, activation rounding, KV layout), written once over an executor:
//   - device_exec (device_exec.cuh, compiled by nvcc): CUDA memory, one stream, the kernels;
//     hearth::cuda::backend is basic_backend<device_exec>;
//   - reference_exec (reference/exec.hpp, plain C++): host memory and the kernels' host twins;
//     hearth::cuda::reference_backend runs whole models on machines without a GPU, which is how
//     this glue is tested where no GPU is (CI), against the CPU backend.
//
// An executor provides: name(); alloc(bytes) -> zero-filled `memory`; upload(dst, src, bytes)
// (weights, from the file mapping); stage(host span) -> a pointer the next ops may read (small
// per-op arrays: token ids, positions, cells); read_rows/write_rows/read_bytes (read_* wait for
// every op before them); and one function per op taking the structs of op_args.hpp.
// Every op is enqueued under one mutex, so sessions on several threads may share a backend.
#include <hearth/backend.hpp>
#include <hearth/cuda/activations.hpp>
#include <hearth/cuda/kv_blocks.hpp>
#include <hearth/cuda/limits.hpp>
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/tensors.hpp>
#include <hearth/cuda/weights.hpp>
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/model/config.hpp>
#include <hearth/quant.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numbers>
#include <span>
#include <string>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

template <class Exec>
class basic_backend {
public:
    using tensor = cuda::tensor;
    using weight = cuda::weight;
    using kv_layer = cuda::kv_layer;
    using executor = Exec;

    template <class... Args>
    explicit basic_backend(Args&&... args) : exec_(std::forward<Args>(args)...) {}
    basic_backend(const basic_backend&) = delete;
    basic_backend& operator=(const basic_backend&) = delete;

    const char* name() const { return exec_.name(); }
    Exec& exec() { return exec_; }

    // ---- memory ----------------------------------------------------------------------------
    weight load(const gguf::tensor_view& t) {
        const auto lock = lock_op();
        weight w;
        w.cols = static_cast<std::size_t>(t.ne[0]), w.rows = static_cast<std::size_t>(t.rows());
        if (w.rows == 1) {  // vectors are read element-wise by the ops: keep them as f32
            std::vector<float> host(w.cols);
            quant::dequantize_row(t.type, t.data.data(), host.data(), w.cols);
            w.type = dtype::f32, w.row_bytes = w.cols * sizeof(float);
            w.storage = exec_.alloc(w.row_bytes);
            exec_.upload(w.storage.get(), host.data(), w.row_bytes);
            w.data = w.storage.get(), w.f32 = reinterpret_cast<const float*>(w.data);
            return w;
        }
        if (!matmul_supports(t.type))
            throw error(errc::unsupported, "cuda: tensor " + std::string(t.name) + " has type " +
                                               std::string(traits(t.type).name) +
                                               ", which the CUDA kernels do not read (f32, f16, bf16, q4_0, q4_1, "
                                               "q5_0, q5_1, q8_0, iq4_nl, q2_K..q6_K): requantize the model or use "
                                               "the CPU backend");
        if (traits(t.type).block_elems == 1 && w.cols % 2 != 0)
            throw error(errc::unsupported, "cuda: tensor " + std::string(t.name) + " has rows of " +
                                               std::to_string(w.cols) + " " + std::string(traits(t.type).name) +
                                               " values; the kernels read float rows in pairs (an even length)");
        w.type = t.type, w.row_bytes = t.row_bytes();
        w.storage = exec_.alloc(w.row_bytes * w.rows);
        exec_.upload(w.storage.get(), t.data.data(), w.row_bytes * w.rows);
        w.data = w.storage.get();
        return w;
    }

    tensor alloc(std::size_t rows, std::size_t cols) {
        const auto lock = lock_op();
        tensor t;
        t.storage = exec_.alloc(std::max<std::size_t>(1, rows * cols) * sizeof(float));
        t.data = reinterpret_cast<float*>(t.storage.get()), t.n_rows = rows, t.n_cols = cols, t.stride = cols;
        return t;
    }
    tensor rows(const tensor& t, std::size_t first, std::size_t count) const {
        check(first + count <= t.n_rows, "rows", [&] { return "rows " + std::to_string(first) + ".." + std::to_string(first + count) +
                                                     " of a tensor of " + std::to_string(t.n_rows); });
        tensor v = t;
        v.data = t.data + first * t.stride, v.n_rows = count;
        return v;
    }
    tensor cols(const tensor& t, std::size_t first, std::size_t count) const {
        check(first + count <= t.n_cols, "cols", [&] { return "columns " + std::to_string(first) + ".." +
                                                     std::to_string(first + count) + " of a tensor of " +
                                                     std::to_string(t.n_cols); });
        tensor v = t;
        v.data = t.data + first, v.n_cols = count;
        return v;
    }
    kv_layer alloc_kv(dtype k, dtype v, std::uint32_t cells, std::uint32_t heads, std::uint32_t hdk, std::uint32_t hdv) {
        const auto lock = lock_op();
        for (dtype t : {k, v})
            if (!kv_type_supported(t))
                throw error(errc::unsupported, "cuda: KV cache type " + std::string(traits(t).name) +
                                                   " is not supported: use f32, f16, q8_0 or q4_0");
        for (std::uint32_t hd : {hdk, hdv})
            if (hd == 0 || hd % 2 != 0 || hd > max_head_dim)
                throw error(errc::unsupported, "cuda: head size " + std::to_string(hd) +
                                                   " is not supported by the attention kernel (even, at most " +
                                                   std::to_string(max_head_dim) + ")");
        kv_layer kv;
        kv.k_type = k, kv.v_type = v, kv.n_cells = cells, kv.n_head_kv = heads, kv.head_dim_k = hdk, kv.head_dim_v = hdv;
        kv.k_row_bytes = row_bytes(k, std::size_t{heads} * hdk), kv.v_row_bytes = row_bytes(v, std::size_t{heads} * hdv);
        kv.k_head_bytes = row_bytes(k, hdk), kv.v_head_bytes = row_bytes(v, hdv);
        kv.k = exec_.alloc(kv.k_row_bytes * cells);
        kv.v = exec_.alloc(kv.v_row_bytes * cells);
        return kv;
    }

    // Copies a tensor to host memory (row-major, packed) after every op enqueued before.
    void read(const tensor& t, std::span<float> out) {
        const auto lock = lock_op();
        check(out.size() >= t.n_rows * t.n_cols, "read",
              [&] { return "the output holds " + std::to_string(out.size()) + " floats, the tensor " + std::to_string(t.n_rows * t.n_cols); });
        exec_.read_rows(out.data(), t.data, t.n_rows, t.n_cols, t.stride);
    }
    // Copies host values (row-major, packed) into a tensor, ordered with the ops.
    void write(const tensor& t, std::span<const float> in) {
        const auto lock = lock_op();
        check(in.size() >= t.n_rows * t.n_cols, "write",
              [&] { return std::to_string(in.size()) + " floats for a tensor of " + std::to_string(t.n_rows * t.n_cols); });
        exec_.write_rows(t.data, t.stride, in.data(), t.n_rows, t.n_cols);
    }
    // The raw bytes of a KV cache layer (tests compare them with the CPU backend's).
    void read_kv(const kv_layer& kv, std::vector<std::byte>& k, std::vector<std::byte>& v) {
        const auto lock = lock_op();
        k.resize(kv.k_row_bytes * kv.n_cells), v.resize(kv.v_row_bytes * kv.n_cells);
        exec_.read_bytes(k.data(), kv.k.get(), k.size());
        exec_.read_bytes(v.data(), kv.v.get(), v.size());
    }

    // ---- ops -------------------------------------------------------------------------------
    void get_rows(const weight& table, std::span<const std::int32_t> ids, tensor& out) {
        const auto lock = lock_op();
        check(out.n_rows >= ids.size() && out.n_cols == table.cols, "get_rows",
              [&] { return std::to_string(ids.size()) + " rows of " + std::to_string(table.cols) + " into a " + shape(out) + " tensor"; });
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (ids[i] < 0 || static_cast<std::size_t>(ids[i]) >= table.rows)
                throw error(errc::out_of_range, "get_rows: id " + std::to_string(ids[i]) + " at position " +
                                                    std::to_string(i) + " is outside the table's " +
                                                    std::to_string(table.rows) + " rows");
        if (ids.empty()) return;
        exec_.get_rows({table.type, table.data, table.row_bytes, table.cols, exec_.stage(ids), ids.size(), out.data, out.stride});
    }

    // Consecutive matmuls of one input and weight type (q, k and v of a layer; its gate and up)
    // go to the executor as one launch: each is held in pending_ until an op that is not such a
    // matmul arrives (every other op, read and write flush it first: see lock_op).
    void matmul(const weight& w, const tensor& x, tensor& y) {
        const std::lock_guard<std::mutex> lock(mutex_);  // keeps the rounded activations: see rounded_
        check(x.n_cols == w.cols && y.n_cols == w.rows && y.n_rows == x.n_rows, "matmul",
              [&] { return shape(x) + " times a " + std::to_string(w.rows) + "x" + std::to_string(w.cols) + " weight into " + shape(y); });
        if (x.n_rows == 0 || w.rows == 0) return;
        const act_kind act = act_kind_of(w.type);
        check_act_width(act, w.cols, "cuda matmul");
        const rounded_rows want{x.data, x.stride, x.n_rows, w.cols, act};
        const matmul_part part{w.data, w.rows, y.data, y.stride};
        if (joins_pending(w, want, part)) {
            pending_.parts[pending_.n_parts++] = part;
            return;
        }
        const std::size_t act_bytes = layout_of(act, w.cols).row_bytes * x.n_rows;
        if (act_capacity_ < act_bytes) {
            flush_pending();  // a held matmul reads the old buffer: launch it before the buffer is replaced
            act_ = exec_.alloc(act_bytes), act_capacity_ = act_bytes, rounded_ = {};
        }
        if (pending_norm_.y && is_tensor(x, pending_norm_.y, pending_norm_.y_stride, pending_norm_.rows, pending_norm_.width)) {
            rms_norm_args a = take(pending_norm_);  // the norm writes x, then rounds it
            a.quant_out = act_.get(), a.quant_act = act;
            exec_.rms_norm(a);
            rounded_ = want;
        } else if (pending_glu_.y && is_tensor(x, pending_glu_.y, pending_glu_.y_stride, pending_glu_.rows, pending_glu_.cols)) {
            quantize_args q{act, x.data, x.stride, x.n_rows, w.cols, act_.get()};
            q.has_glu = true, q.glu = take(pending_glu_);
            exec_.quantize(q);
            rounded_ = want;
        }
        flush_pending();
        if (!(rounded_ == want)) exec_.quantize({act, x.data, x.stride, x.n_rows, w.cols, act_.get()}), rounded_ = want;
        pending_ = {w.type, w.row_bytes, w.cols, act_.get(), x.n_rows, {part}, 1};
        // y may overlap x: then no later matmul may join this one or reuse the rounded rows.
        if (overlap(rows_of(part.y, part.y_stride, x.n_rows, part.w_rows), rows_of(x))) rounded_ = {};
    }

    void add_bias(tensor& y, const weight& b) {
        const auto lock = lock_op();
        check_vector(b, y.n_cols, "add_bias");
        exec_.eltwise({eltwise_op::bias, y.data, y.stride, y.data, y.stride, b.f32, 0, y.n_rows, y.n_cols, 0.0f});
    }
    // The norm of the rows a held add just summed (the residual stream) takes that add with it; the
    // norm is then held itself until the next op.
    void rms_norm(const tensor& x, const weight* w, tensor& y, float eps) {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (w) check_vector(*w, x.n_cols, "rms_norm");
        same_shape(x, y, "rms_norm");
        rms_norm_args a{x.data, x.stride, y.data, y.stride, x.n_rows, 1, x.n_cols, w ? w->f32 : nullptr, eps};
        if (pending_add_.y && is_tensor(x, pending_add_.y, pending_add_.y_stride, pending_add_.rows, pending_add_.cols)) {
            const eltwise_args add = take(pending_add_);
            a.addend = add.b, a.addend_stride = add.b_stride;
        }
        flush_pending();
        rounded_ = {};
        pending_norm_ = a;  // held: a matmul of y next rounds y in the same launch (see matmul)
    }
    void rms_norm_heads(tensor& x, const weight& w, std::uint32_t head_dim, float eps) {
        const auto lock = lock_op();
        check_vector(w, head_dim, "rms_norm_heads");
        check(head_dim > 0 && x.n_cols % head_dim == 0, "rms_norm_heads", [&] { return "rows of " + std::to_string(x.n_cols) +
                                                                               " are not whole heads of " + std::to_string(head_dim); });
        exec_.rms_norm({x.data, x.stride, x.data, x.stride, x.n_rows, x.n_cols / head_dim, head_dim, w.f32, eps});
    }
    // A rope is held until the next op: when that is the rope of another tensor with the same
    // rows, positions and constants (a layer's keys after its queries), both go in one launch.
    void rope(tensor& x, std::uint32_t head_dim, std::span<const std::int32_t> positions, const rope_config& r,
              const weight* freq_factors) {
        const std::lock_guard<std::mutex> lock(mutex_);
        check(head_dim > 0 && x.n_cols % head_dim == 0 && positions.size() >= x.n_rows, "rope",
              [&] { return shape(x) + " with heads of " + std::to_string(head_dim) + " and " + std::to_string(positions.size()) +
                  " positions"; });
        if (r.n_dims <= 0 || r.n_dims % 2 != 0 || r.n_dims > static_cast<int>(head_dim) || r.n_dims > max_rope_dims)
            throw error(errc::invalid_argument, "rope: n_dims must be even, positive, at most the head size " +
                                                    std::to_string(head_dim) + " and at most " +
                                                    std::to_string(max_rope_dims) + ", got " + std::to_string(r.n_dims));
        if (freq_factors) check_vector(*freq_factors, static_cast<std::size_t>(r.n_dims / 2), "rope frequency factors");
        if (x.n_rows == 0) return;
        rope_args a{};
        a.x = x.data, a.stride = x.stride, a.rows = x.n_rows, a.heads = x.n_cols / head_dim, a.head_dim = head_dim;
        a.positions = exec_.stage(positions.first(x.n_rows));
        a.n_dims = r.n_dims, a.neox = r.neox;
        a.freq_scale = r.freq_scale, a.ext_factor = r.ext_factor;
        a.freq_factors = freq_factors ? freq_factors->f32 : nullptr;
        rope_constants(r, a);
        rounded_ = {};
        if (pending_rope_.x && rope_pairs_with(pending_rope_, a)) {
            pending_rope_.x2 = a.x, pending_rope_.stride2 = a.stride, pending_rope_.heads2 = a.heads;
            exec_.rope(take(pending_rope_));
            return;
        }
        flush_pending();
        pending_rope_ = a;
    }
    // Held until the next op: a norm of y takes it along (rms_norm), any other op launches it first.
    void add(tensor& y, const tensor& x) {
        const auto lock = lock_op();
        same_shape(y, x, "add");
        if (y.n_rows * y.n_cols)
            pending_add_ = {eltwise_op::add, y.data, y.stride, y.data, y.stride, x.data, x.stride, y.n_rows, y.n_cols, 0.0f};
    }
    void scale(tensor& x, float s) {
        const auto lock = lock_op();
        exec_.eltwise({eltwise_op::scale, x.data, x.stride, x.data, x.stride, nullptr, 0, x.n_rows, x.n_cols, s});
    }
    void hadamard(tensor& x, std::uint32_t block) {
        const std::lock_guard<std::mutex> lock(mutex_);
        rounded_ = {};
        check(block > 0 && (block & (block - 1)) == 0 && block <= max_hadamard_block && x.n_cols % block == 0,
              "hadamard", [&] { return "blocks of " + std::to_string(block) + " (a power of two up to " +
                              std::to_string(max_hadamard_block) + ") in rows of " + std::to_string(x.n_cols); });
        if (x.n_rows == 0) return;
        // Held: the next transforms of other tensors with the same block (a layer's q, k, v) join it.
        const hadamard_more part{x.data, x.stride, x.n_rows, x.n_cols};
        if (pending_hadamard_.x && pending_hadamard_.block == block && pending_hadamard_.n_more < 2 &&
            !hadamard_touches(pending_hadamard_, rows_of(x))) {
            pending_hadamard_.more[pending_hadamard_.n_more++] = part;
            return;
        }
        flush_pending();
        pending_hadamard_ = {x.data, x.stride, x.n_rows, x.n_cols, block, 1.0f / std::sqrt(static_cast<float>(block))};
    }
    // Held until the next op: a matmul of `out` computes the gated unit while rounding it (see matmul).
    void swiglu(const tensor& gate, const tensor& up, tensor& out) {
        const auto lock = lock_op();
        same_shape(gate, up, "swiglu"), same_shape(gate, out, "swiglu");
        if (out.n_rows * out.n_cols)
            pending_glu_ = {eltwise_op::swiglu, out.data, out.stride, gate.data, gate.stride, up.data, up.stride,
                            out.n_rows, out.n_cols, 0.0f};
    }
    void geglu(const tensor& gate, const tensor& up, tensor& out) {
        const auto lock = lock_op();
        same_shape(gate, up, "geglu"), same_shape(gate, out, "geglu");
        if (out.n_rows * out.n_cols)
            pending_glu_ = {eltwise_op::geglu, out.data, out.stride, gate.data, gate.stride, up.data, up.stride,
                            out.n_rows, out.n_cols, 0.0f};
    }

    // Stores the batch's k and v rows in their cells (quantized on the executor), then attends.
    void attention(kv_layer& kv, const tensor& q, const tensor& k, const tensor& v, const attention_batch& batch,
                   const attention_params& ap, tensor& out) {
        const auto lock = lock_op();
        const std::size_t n = batch.positions.size();
        check(ap.n_head_kv == kv.n_head_kv && ap.head_dim_k == kv.head_dim_k && ap.head_dim_v == kv.head_dim_v &&
                  ap.n_head_kv > 0 && ap.n_head % ap.n_head_kv == 0,
              "attention", [&] { return "parameters do not match the KV layer (" + std::to_string(ap.n_head) + " heads, " +
                               std::to_string(ap.n_head_kv) + " kv heads)"; });
        check(q.n_rows == n && k.n_rows == n && v.n_rows == n && out.n_rows == n &&
                  q.n_cols == std::size_t{ap.n_head} * ap.head_dim_k && k.n_cols == std::size_t{ap.n_head_kv} * ap.head_dim_k &&
                  v.n_cols == std::size_t{ap.n_head_kv} * ap.head_dim_v && out.n_cols == std::size_t{ap.n_head} * ap.head_dim_v &&
                  batch.seq_ids.size() == n && batch.slots.size() == n,
              "attention", [&] { return "q " + shape(q) + ", k " + shape(k) + ", v " + shape(v) + ", out " + shape(out) + " for " +
                               std::to_string(n) + " tokens"; });
        check(batch.n_cells_used <= kv.n_cells && batch.cell_pos.size() >= batch.n_cells_used &&
                  batch.cell_seq.size() >= batch.n_cells_used,
              "attention", [&] { return std::to_string(batch.n_cells_used) + " cells in use of " + std::to_string(kv.n_cells); });
        for (std::size_t i = 0; i < n; ++i)
            if (batch.slots[i] >= kv.n_cells)
                throw error(errc::out_of_range, "attention: token " + std::to_string(i) + " goes to cell " +
                                                    std::to_string(batch.slots[i]) + " of a cache of " +
                                                    std::to_string(kv.n_cells));
        if (n == 0) return;
        const std::uint32_t* slots = exec_.stage(batch.slots);
        exec_.kv_store({kv.k_type, k.data, k.stride, k.n_cols, slots, n, kv.k.get(), kv.k_row_bytes},
                       {kv.v_type, v.data, v.stride, v.n_cols, slots, n, kv.v.get(), kv.v_row_bytes});

        attention_args a{};
        a.q = q.data, a.q_stride = q.stride, a.out = out.data, a.out_stride = out.stride, a.n_tokens = n;
        a.n_head = ap.n_head, a.n_head_kv = ap.n_head_kv, a.head_dim_k = ap.head_dim_k, a.head_dim_v = ap.head_dim_v;
        a.k_type = kv.k_type, a.v_type = kv.v_type, a.k = kv.k.get(), a.v = kv.v.get();
        a.k_row_bytes = kv.k_row_bytes, a.v_row_bytes = kv.v_row_bytes;
        a.k_head_bytes = kv.k_head_bytes, a.v_head_bytes = kv.v_head_bytes;
        a.positions = exec_.stage(batch.positions), a.seq_ids = exec_.stage(batch.seq_ids);
        a.n_cells = batch.n_cells_used;
        a.cell_pos = a.n_cells ? exec_.stage(batch.cell_pos.first(a.n_cells)) : nullptr;
        a.cell_seq = a.n_cells ? exec_.stage(batch.cell_seq.first(a.n_cells)) : nullptr;
        // As the CPU: with soft-capping the scale folds in 1/cap and the cap multiplies tanh back.
        a.scale = ap.softcap > 0.0f ? ap.kq_scale / ap.softcap : ap.kq_scale;
        a.softcap = ap.softcap, a.window = ap.window;
        exec_.attention(a);
    }

private:
    // `what` makes the message only when the check fails: these run on every op of every forward.
    template <class What>
    static void check(bool ok, const char* op, What&& what) {
        if (!ok) throw error(errc::invalid_argument, std::string("cuda ") + op + ": " + what());
    }
    static std::string shape(const tensor& t) { return std::to_string(t.n_rows) + "x" + std::to_string(t.n_cols); }
    static void same_shape(const tensor& a, const tensor& b, const char* op) {
        check(a.n_rows == b.n_rows && a.n_cols == b.n_cols, op, [&] { return shape(a) + " against " + shape(b); });
    }
    static void check_vector(const weight& w, std::size_t n, const char* op) {
        check(w.rows == 1 && w.cols == n && w.f32, op,
              [&] { return "needs a vector of " + std::to_string(n) + " values, got " + std::to_string(w.rows) + "x" + std::to_string(w.cols); });
    }

    // The per-config rope constants, computed as the CPU backend computes them (float math, same
    // order), so the angles start from the same floats on every executor.
    static void rope_constants(const rope_config& r, rope_args& a) {
        a.theta_scale = std::pow(r.freq_base, -2.0f / static_cast<float>(r.n_dims));
        auto corr_dim = [&](float n_rot) {
            return static_cast<float>(r.n_dims) *
                   std::log(static_cast<float>(r.n_ctx_orig) / (n_rot * 2.0f * std::numbers::pi_v<float>)) /
                   (2.0f * std::log(r.freq_base));
        };
        const float start = std::floor(corr_dim(r.beta_fast)), end = std::ceil(corr_dim(r.beta_slow));
        a.corr_low = std::max(0.0f, start);
        a.corr_high = std::min(static_cast<float>(r.n_dims - 1), end);
        a.mscale = r.attn_factor;
        if (r.ext_factor != 0.0f) a.mscale *= std::fma(0.1f, std::log(1.0f / r.freq_scale), 1.0f);  // as the CPU
    }

    // Which rows act_ holds, rounded for which format. Consecutive matmuls of one input (q, k and
    // v of a layer; its gate and up) round it once: the model graph writes their outputs to other
    // tensors, and any other op in between clears this.
    struct rounded_rows {
        const float* x = nullptr;
        std::size_t stride = 0, rows = 0, cols = 0;
        act_kind act{};
        bool operator==(const rounded_rows&) const = default;
    };

    // Sessions on different threads may share the backend: each op enqueues atomically (the
    // activation scratch, the executor's argument ring and attention partials are shared).
    // Every op but matmul may read what a pending matmul writes, so it launches that first; and it
    // may write any tensor, so it forgets which rows act_ holds rounded.
    std::unique_lock<std::mutex> lock_op() {
        std::unique_lock<std::mutex> lock(mutex_);
        flush_pending();
        rounded_ = {};
        return lock;
    }

    // Launches the op held back for fusion, if any (at most one is held at a time).
    void flush_pending() {
        flush_matmul();
        if (pending_rope_.x) exec_.rope(take(pending_rope_));
        if (pending_hadamard_.x) exec_.hadamard(take(pending_hadamard_));
        if (pending_norm_.y) exec_.rms_norm(take(pending_norm_));
        if (pending_glu_.y) exec_.eltwise(take(pending_glu_));
        if (pending_add_.y) exec_.eltwise(take(pending_add_));
    }
    // A held op's arguments, no longer held (before the executor sees them: whatever it throws).
    template <class Args>
    static Args take(Args& held) {
        Args a = held;
        held = {};
        return a;
    }
    // The memory `rows` rows of `cols` floats, `stride` apart, span; two spans overlap or not.
    struct row_span {
        const float* begin;
        const float* end;
    };
    static row_span rows_of(const float* p, std::size_t stride, std::size_t rows, std::size_t cols) {
        return {p, p + (rows - 1) * stride + cols};
    }
    static row_span rows_of(const tensor& t) { return rows_of(t.data, t.stride, t.n_rows, t.n_cols); }
    static bool overlap(row_span a, row_span b) { return a.begin < b.end && b.begin < a.end; }
    // Whether t is exactly the rows a held op writes (the op's output is this op's input).
    static bool is_tensor(const tensor& t, const float* p, std::size_t stride, std::size_t rows, std::size_t cols) {
        return t.data == p && t.stride == stride && t.n_rows == rows && t.n_cols == cols;
    }

    // Two ropes go in one launch when everything but the tensor is the same, and the tensors are
    // apart.
    static bool rope_pairs_with(const rope_args& p, const rope_args& a) {
        if (p.x2 || p.rows != a.rows || p.head_dim != a.head_dim || p.positions != a.positions || p.n_dims != a.n_dims ||
            p.neox != a.neox || p.theta_scale != a.theta_scale || p.freq_scale != a.freq_scale ||
            p.ext_factor != a.ext_factor || p.mscale != a.mscale || p.corr_low != a.corr_low ||
            p.corr_high != a.corr_high || p.freq_factors != a.freq_factors)
            return false;
        return !overlap(rows_of(p.x, p.stride, p.rows, p.heads * p.head_dim), rows_of(a.x, a.stride, a.rows, a.heads * a.head_dim));
    }
    // Whether rows overlap any tensor a held hadamard transforms.
    static bool hadamard_touches(const hadamard_args& h, row_span rows) {
        if (overlap(rows_of(h.x, h.stride, h.rows, h.cols), rows)) return true;
        for (int m = 0; m < h.n_more; ++m)
            if (overlap(rows_of(h.more[m].x, h.more[m].stride, h.more[m].rows, h.more[m].cols), rows)) return true;
        return false;
    }

    void flush_matmul() {
        if (pending_.n_parts) exec_.matmul(take(pending_));
    }
    bool joins_pending(const weight& w, const rounded_rows& want, const matmul_part& part) const {
        if (pending_.n_parts == 0 || pending_.n_parts == max_matmul_parts || !(rounded_ == want) ||
            pending_.type != w.type || pending_.k != w.cols || pending_.w_row_bytes != w.row_bytes)
            return false;
        const row_span out = rows_of(part.y, part.y_stride, want.rows, part.w_rows);
        if (overlap(out, rows_of(want.x, want.stride, want.rows, want.cols))) return false;
        for (int p = 0; p < pending_.n_parts; ++p) {
            const matmul_part& q = pending_.parts[p];
            if (overlap(out, rows_of(q.y, q.y_stride, want.rows, q.w_rows))) return false;
        }
        return true;
    }

    std::mutex mutex_;
    Exec exec_;
    memory act_;  // activation rows rounded for the matmul (reused by every matmul, stream-ordered)
    matmul_args pending_{};  // matmuls not yet given to the executor (n_parts of them)
    rope_args pending_rope_{};  // a rope not yet given to the executor (x set)
    eltwise_args pending_add_{};  // y += x (b) not yet given to the executor (y set)
    rms_norm_args pending_norm_{};  // a norm not yet given to the executor (y set)
    hadamard_args pending_hadamard_{};  // transforms not yet given to the executor (x set)
    eltwise_args pending_glu_{};    // a swiglu/geglu not yet given to the executor (y set)
    std::size_t act_capacity_ = 0;
    rounded_rows rounded_;
};

}  // namespace cuda
HEARTH_NAMESPACE_END
