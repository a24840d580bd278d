#pragma once
// Recording of the backend's ops: shapes are checked here, then each op becomes one or a few
// dispatches with its push constants. Work sizes follow the shaders' local sizes.
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <hearth/model/config.hpp>
#include <hearth/vulkan/buffer.hpp>
#include <hearth/vulkan/pipelines.hpp>
#include <hearth/vulkan/recorder.hpp>
#include <hearth/vulkan/rope_table.hpp>
#include <hearth/vulkan/tensors.hpp>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

// Weight types the matmul and get_rows shaders dequantize.
inline bool weight_type_supported(dtype t) {
    switch (t) {
    case dtype::f32: case dtype::f16: case dtype::bf16: case dtype::q4_0: case dtype::q4_1: case dtype::q5_0:
    case dtype::q5_1: case dtype::q8_0: case dtype::iq4_nl: case dtype::q2_k: case dtype::q3_k: case dtype::q4_k:
    case dtype::q5_k: case dtype::q6_k: return true;
    default: return false;
    }
}

// How activations are rounded before meeting weights of type t: as the CPU backend quantizes them
// (quant::activation_type), so both backends sum the same products. f32 uses them as they are.
inline dtype rounding_for(dtype weight) {
    switch (weight) {
    case dtype::f16: return dtype::f16;
    case dtype::bf16: return dtype::bf16;
    case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: case dtype::iq4_nl: return dtype::q8_0;
    case dtype::q4_1: case dtype::q5_1: return dtype::q8_1;
    case dtype::q2_k: case dtype::q3_k: case dtype::q4_k: case dtype::q5_k: case dtype::q6_k: return dtype::q8_k;
    default: return dtype::f32;
    }
}


inline void check_shape(bool ok, const char* op, const std::string& what) {
    if (!ok) throw error(errc::invalid_argument, std::string("vulkan ") + op + ": " + what);
}

class kernels {
public:
    kernels(context& ctx, pipelines& p, recorder& r) : ctx_(ctx), pipes_(p), rec_(r) {}

    // y = x * W^T. One token or a few: the mat-vec kernel (W streamed once); more: the tiled one.
    // CPU implementations (lavapipe) take matvec_rows for any count, in groups of 4 tokens: there
    // the tiled kernel's shared memory and barriers cost more than they save.
    void matmul(const device_weight& w, const device_tensor& x, const device_tensor& y) {
        check_shape(x.n_cols == w.cols && y.n_cols == w.rows && y.n_rows == x.n_rows, "matmul",
                    "x is " + std::to_string(x.n_rows) + "x" + std::to_string(x.n_cols) + ", W is " +
                        std::to_string(w.rows) + "x" + std::to_string(w.cols) + ", y is " +
                        std::to_string(y.n_rows) + "x" + std::to_string(y.n_cols));
        if (x.n_rows == 0) return;
        const dtype mode = rounding_for(w.type);
        const device_tensor a = rounded(x, mode);
        struct { std::uint32_t w_off, w_stride, k, rows, x_off, x_stride, y_off, y_stride, n_tok, k_ext; } pc{};
        const std::uint32_t sg = ctx_.broadcast_subgroup;
        const bool lanes = ctx_.lane_kernels;
        const bool vec = x.n_rows <= 4;
        for (const weight_segment& s : w.segments) {
            pc = {u32(s.offset), u32(w.row_bytes), u32(w.cols), u32(s.rows), u32(a.offset), u32(a.stride),
                  u32(y.offset + s.first_row), u32(y.stride), u32(x.n_rows), u32(extended_cols(w.cols, mode))};
            const std::initializer_list<binding> bind{{s.buf}, {a.buf}, {y.buf, true}};  // matvec_rows: W and x as texels
            if (lanes) {  // groups of 4 tokens, then the rest one by one; 2 rows per invocation, 64 per workgroup
                constexpr std::size_t per = 4;
                const std::size_t full = x.n_rows / per, rest = x.n_rows % per;
                const std::uint32_t gx = ceil_div(s.rows, 2 * 64);
                if (full) rec_.dispatch(pipes_.get(shader::matvec_rows, static_cast<std::uint32_t>(w.type), per, sg), bind, pc, gx, u32(full));
                if (rest) {
                    auto tail = pc;
                    tail.x_off += u32(full * per * a.stride), tail.y_off += u32(full * per * y.stride);
                    rec_.dispatch(pipes_.get(shader::matvec_rows, static_cast<std::uint32_t>(w.type), 1, sg), bind, tail, gx, u32(rest));
                }
            } else if (vec) {
                const std::uint32_t gx = std::min<std::uint32_t>(u32(s.rows), 65535u);
                rec_.dispatch(pipes_.get(shader::matvec, static_cast<std::uint32_t>(w.type)), bind, pc, gx, ceil_div(s.rows, gx));
            } else {
                rec_.dispatch(pipes_.get(shader::matmat, static_cast<std::uint32_t>(w.type)), bind, pc, ceil_div(s.rows, 64),
                              ceil_div(x.n_rows, 64));
            }
        }
    }

    void get_rows(const device_weight& w, std::span<const std::int32_t> ids, const device_tensor& out) {
        check_shape(out.n_rows == ids.size() && out.n_cols == w.cols, "get_rows",
                    std::to_string(ids.size()) + " ids into a " + std::to_string(out.n_rows) + "x" +
                        std::to_string(out.n_cols) + " tensor from rows of " + std::to_string(w.cols));
        for (const std::int32_t id : ids)
            if (id < 0 || static_cast<std::size_t>(id) >= w.rows)
                throw error(errc::out_of_range, "vulkan get_rows: row " + std::to_string(id) + " is outside 0.." +
                                                    std::to_string(w.rows - 1));
        if (ids.empty()) return;
        const upload_slice idx = rec_.upload(ids.data(), ids.size_bytes());
        const pipeline_ref pipe = pipes_.get(shader::get_rows, static_cast<std::uint32_t>(w.type));
        for (const weight_segment& s : w.segments) {
            struct { std::uint32_t w_off, w_stride, k, first, rows, ids_off, y_off, y_stride, n_tok; } pc{
                u32(s.offset), u32(w.row_bytes), u32(w.cols), u32(s.first_row), u32(s.rows), idx.index(),
                u32(out.offset), u32(out.stride), u32(ids.size())};
            rec_.dispatch(pipe, {{s.buf}, {idx.buf}, {out.buf, true}}, pc, ceil_div(w.cols, 4 * 64), u32(ids.size()));
        }
    }

    enum class eltwise_op : std::uint32_t { add = 0, bias = 1, scale = 2, swiglu = 3, geglu = 4 };

    // y = op(a, b) element-wise over a's shape; b may be a vector (bias) or unused (scale).
    void eltwise(eltwise_op op, const device_tensor& a, const buffer_ptr& b_buf, std::size_t b_off, std::size_t b_stride,
                 const device_tensor& y, float s = 0.0f) {
        if (a.n_rows == 0 || a.n_cols == 0) return;
        struct { std::uint32_t a_off, a_stride, b_off, b_stride, y_off, y_stride, rows, cols; float s; std::uint32_t pad[3]; } pc{
            u32(a.offset), u32(a.stride), u32(b_off), u32(b_stride), u32(y.offset), u32(y.stride),
            u32(a.n_rows), u32(a.n_cols), s, {}};
        rec_.dispatch(pipes_.get(shader::eltwise, static_cast<std::uint32_t>(op)), {{a.buf}, {b_buf}, {y.buf, true}}, pc,
                      ceil_div(a.n_cols, 64), ceil_div(a.n_rows, 4));
    }

    // RMS norm over groups of `width` values (width == cols: per row; head_dim: per head).
    void rms_norm(const device_tensor& x, const device_weight* w, const device_tensor& y, std::size_t width, float eps) {
        if (x.n_rows == 0) return;
        const weight_segment* ws = w ? &w->segments.at(0) : nullptr;
        struct { std::uint32_t x_off, x_stride, y_off, y_stride, w_off, has_w, width; float eps; } pc{
            u32(x.offset), u32(x.stride), u32(y.offset), u32(y.stride), ws ? u32(ws->offset / 4) : 0u, ws ? 1u : 0u,
            u32(width), eps};
        rec_.dispatch(pipes_.get(shader::rms_norm), {{x.buf}, {ws ? ws->buf : x.buf}, {y.buf, true}}, pc,
                      u32(x.n_cols / width), u32(x.n_rows));
    }

    void rope(const device_tensor& x, std::uint32_t head_dim, std::span<const std::int32_t> positions,
              const rope_config& r, const device_weight* freq_factors) {
        check_shape(positions.size() == x.n_rows, "rope", std::to_string(positions.size()) + " positions for " +
                                                             std::to_string(x.n_rows) + " rows");
        check_shape(head_dim > 0 && x.n_cols % head_dim == 0 && r.n_dims > 0 && static_cast<std::uint32_t>(r.n_dims) <= head_dim,
                    "rope", "rotating " + std::to_string(r.n_dims) + " dims of heads of " + std::to_string(head_dim) +
                                " in rows of " + std::to_string(x.n_cols));
        if (freq_factors) check_shape(freq_factors->cols * 2 >= static_cast<std::size_t>(r.n_dims), "rope", "too few frequency factors");
        if (x.n_rows == 0) return;
        const upload_slice table = rope_angles(r, positions, freq_factors);
        struct { std::uint32_t x_off, x_stride, n_tok, n_heads, head_dim, pairs, neox, table_off; } pc{
            u32(x.offset), u32(x.stride), u32(x.n_rows), u32(x.n_cols / head_dim), head_dim, u32(r.n_dims / 2),
            r.neox ? 1u : 0u, table.index()};
        rec_.dispatch(pipes_.get(shader::rope), {{x.buf, true}, {table.buf}}, pc, ceil_div(pc.pairs, 64), pc.n_heads,
                      pc.n_tok);
    }

    // In place: every block of `block` values of each row becomes H x (orthonormal Walsh-Hadamard).
    void hadamard(const device_tensor& x, std::uint32_t block) {
        check_shape(block >= 2 && block <= 256 && (block & (block - 1)) == 0, "hadamard",
                    "block " + std::to_string(block) + " is not a power of two from 2 to 256");
        check_shape(x.n_cols % block == 0, "hadamard",
                    "rows of " + std::to_string(x.n_cols) + " values are not whole blocks of " + std::to_string(block));
        if (x.n_rows == 0 || x.n_cols == 0) return;
        // The CPU's factor, computed the same way on the host: the shader rounds once by it.
        const float s = 1.0f / std::sqrt(static_cast<float>(block));
        struct { std::uint32_t x_off, x_stride, n; float scale; } pc{u32(x.offset), u32(x.stride), block, s};
        rec_.dispatch(pipes_.get(shader::hadamard), {{x.buf, true}}, pc, u32(x.n_cols / block), u32(x.n_rows));
    }

    // Forgets per-forward caches (their upload memory is reused after a submission).
    void new_forward() {
        rope_cache_.valid = false;
        for (auto& s : scratch_) s.valid = false;
    }

private:
    // Row length of a rounded activation: q8_1 rows carry one block sum per 32 values after the
    // values, padded to whole quads (the matmul kernels read quads; the padding stays 0).
    static std::size_t extended_cols(std::size_t k, dtype mode) {
        return mode == dtype::q8_1 ? k + (k / 32 + 3) / 4 * 4 : k;
    }

    // x rounded for weights of the given rounding type, into a scratch tensor. The last rounding
    // per type is remembered: the q, k and v projections (and gate and up) share one.
    device_tensor rounded(const device_tensor& x, dtype mode) {
        if (mode == dtype::f32) return x;
        const int slot = mode == dtype::f16 ? 0 : mode == dtype::bf16 ? 1 : mode == dtype::q8_0 ? 2 : mode == dtype::q8_1 ? 3 : 4;
        scratch& s = scratch_[slot];
        if (s.valid && s.src == x.buf.get() && s.src_writes == x.buf->writes && s.offset == x.offset &&
            s.rows == x.n_rows && s.cols == x.n_cols && s.stride == x.stride)
            return s.out;
        const std::size_t stride = extended_cols(x.n_cols, mode), bytes = x.n_rows * stride * sizeof(float);
        if (!s.buf || s.buf->size() < bytes) {
            s.buf = make_buffer(ctx_, bytes, memory_home::device, "rounded activations");
            rec_.zero(s.buf, 0, bytes);  // q8_1's padding is read (times a zero min) and must not be NaN
        }
        device_tensor out{s.buf, 0, x.n_rows, x.n_cols, stride};
        struct { std::uint32_t x_off, x_stride, y_off, y_stride, k; } pc{u32(x.offset), u32(x.stride), 0, u32(stride),
                                                                          u32(x.n_cols)};
        const std::size_t block = mode == dtype::q8_k ? 256 : 32;
        rec_.dispatch(pipes_.get(shader::act_round, static_cast<std::uint32_t>(mode)), {{x.buf}, {s.buf, true}}, pc,
                      ceil_div(ceil_div(x.n_cols, block), 64), u32(x.n_rows));
        s = {s.buf, true, x.buf.get(), x.buf->writes, x.offset, x.n_rows, x.n_cols, x.stride, out};
        return out;
    }

    upload_slice rope_angles(const rope_config& r, std::span<const std::int32_t> positions, const device_weight* ff) {
        rope_key key{r.n_dims, r.neox, r.freq_base, r.freq_scale, r.ext_factor, r.attn_factor, r.beta_fast, r.beta_slow,
                     r.n_ctx_orig, ff};
        if (rope_cache_.valid && rope_cache_.key == key &&
            std::equal(positions.begin(), positions.end(), rope_cache_.positions.begin(), rope_cache_.positions.end()))
            return rope_cache_.slice;
        table_.clear();
        rope_table(r, positions, ff ? ff->host->data() : nullptr, table_);
        rope_cache_.slice = rec_.upload(table_.data(), table_.size() * sizeof(float));
        rope_cache_.key = key;
        rope_cache_.positions.assign(positions.begin(), positions.end());
        rope_cache_.valid = true;
        return rope_cache_.slice;
    }

    struct scratch {
        buffer_ptr buf;
        bool valid = false;
        const buffer* src = nullptr;
        std::uint64_t src_writes = 0;
        std::size_t offset = 0, rows = 0, cols = 0, stride = 0;
        device_tensor out;
    };
    struct rope_key {
        int n_dims; bool neox; float base, scale, ext, attn, beta_fast, beta_slow; int n_ctx_orig; const device_weight* ff;
        bool operator==(const rope_key&) const = default;
    };
    struct {
        bool valid = false;
        rope_key key{};
        std::vector<std::int32_t> positions;
        upload_slice slice;
    } rope_cache_;

    context& ctx_;
    pipelines& pipes_;
    recorder& rec_;
    scratch scratch_[5];
    std::vector<float> table_;
};

}  // namespace vulkan
HEARTH_NAMESPACE_END
