#pragma once
// hearth::vulkan::backend: the model graph on any Vulkan 1.1 GPU. Weights are copied once into
// device memory (raw GGUF blocks, dequantized in the shaders); activations and the KV cache live
// on the device. Ops are recorded into one command buffer as the graph calls them and submitted
// once per forward, when the graph reads the logits (read()); the host waits there and only there.
#include <hearth/backend.hpp>
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/quant.hpp>
#include <hearth/vulkan/arena.hpp>
#include <hearth/vulkan/attention.hpp>
#include <hearth/vulkan/buffer.hpp>
#include <hearth/vulkan/context.hpp>
#include <hearth/vulkan/ops.hpp>
#include <hearth/vulkan/pipelines.hpp>
#include <hearth/vulkan/recorder.hpp>
#include <hearth/vulkan/tensors.hpp>
#include <hearth/vulkan/uploader.hpp>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

struct backend_options : options {
    bool force_staging = false;      // upload through the staging ring even where device memory is mapped
    std::size_t max_weight_slice = 0;  // bytes of one weight segment; 0: what one binding can address
};

class backend {
public:
    using tensor = device_tensor;
    using weight = device_weight;
    using kv_layer = vulkan::kv_layer;

    explicit backend(const backend_options& o = {})
        : ctx_(std::make_unique<context>(o)), pipes_(*ctx_), rec_(*ctx_, pipes_), uploads_(*ctx_, o.force_staging),
          arena_(*ctx_, o.max_weight_slice), ops_(*ctx_, pipes_, rec_), attn_(pipes_, rec_),
          name_(std::string("vulkan (") + ctx_->properties.deviceName + ")") {}
    backend(const backend&) = delete;
    backend& operator=(const backend&) = delete;

    const char* name() const { return name_.c_str(); }
    context& device() { return *ctx_; }
    const context& device() const { return *ctx_; }
    std::size_t dispatches() const { return rec_.dispatches(); }
    std::size_t barriers() const { return rec_.barriers(); }

    // ---- memory ----------------------------------------------------------------------------
    weight load(const gguf::tensor_view& t) {
        weight w;
        w.cols = t.ne[0], w.rows = t.rows();
        if (w.rows == 1) {  // vectors are read element-wise by the ops (and rope factors on the host): f32
            auto host = std::make_shared<std::vector<float>>(w.cols);
            quant::dequantize_row(t.type, t.data.data(), host->data(), w.cols);
            w.type = dtype::f32, w.row_bytes = w.cols * sizeof(float), w.host = host;
            place(w, host->data());
            return w;
        }
        if (!weight_type_supported(t.type))
            throw error(errc::unsupported, "vulkan: tensor " + std::string(t.name) + " has type " + std::string(name_of(t.type)) +
                                               ", which the Vulkan kernels do not dequantize (f32, f16, bf16, q4_0, q4_1, "
                                               "q5_0, q5_1, q8_0, iq4_nl, q2_K..q6_K): requantize the model or use the CPU backend");
        w.type = t.type, w.row_bytes = t.row_bytes();
        place(w, t.data.data());
        return w;
    }
    tensor alloc(std::size_t rows, std::size_t cols) {
        tensor t{make_buffer(*ctx_, rows * cols * sizeof(float), memory_home::device, "activations"), 0, rows, cols, cols};
        rec_.zero(t.buf, 0, rows * cols * sizeof(float));  // the CPU backend's tensors start at 0 too
        return t;
    }
    tensor rows(const tensor& t, std::size_t first, std::size_t count) const {
        tensor v = t;
        v.offset = t.offset + first * t.stride, v.n_rows = count;
        return v;
    }
    tensor cols(const tensor& t, std::size_t first, std::size_t count) const {
        tensor v = t;
        v.offset = t.offset + first, v.n_cols = count;
        return v;
    }
    kv_layer alloc_kv(dtype k, dtype v, std::uint32_t cells, std::uint32_t heads, std::uint32_t hdk, std::uint32_t hdv) {
        for (dtype t : {k, v})
            if (!cache_type_supported(t))
                throw error(errc::unsupported, "vulkan: KV cache type " + std::string(name_of(t)) +
                                                   " is not supported: use f32, f16, q8_0 or q4_0");
        kv_layer kv;
        kv.k_type = k, kv.v_type = v, kv.n_cells = cells, kv.n_head_kv = heads, kv.head_dim_k = hdk, kv.head_dim_v = hdv;
        kv.k_row_bytes = row_bytes(k, std::size_t{heads} * hdk), kv.v_row_bytes = row_bytes(v, std::size_t{heads} * hdv);
        kv.k_head_bytes = row_bytes(k, hdk), kv.v_head_bytes = row_bytes(v, hdv);
        kv.k = make_buffer(*ctx_, kv.k_row_bytes * cells, memory_home::device, "the K cache");
        kv.v = make_buffer(*ctx_, kv.v_row_bytes * cells, memory_home::device, "the V cache");
        rec_.zero(kv.k, 0, kv.k_row_bytes * cells);
        rec_.zero(kv.v, 0, kv.v_row_bytes * cells);
        return kv;
    }

    // Runs everything recorded, then copies the tensor to the host (row-major, packed).
    void read(const tensor& t, std::span<float> out) {
        if (out.size() < t.n_rows * t.n_cols)
            throw error(errc::invalid_argument, "vulkan read: the output holds " + std::to_string(out.size()) +
                                                    " floats, the tensor " + std::to_string(t.n_rows * t.n_cols));
        const std::byte* src = nullptr;
        if (t.buf->mapped()) {
            finish();
            src = t.buf->mapped();
        } else {
            const std::size_t bytes = t.n_rows * t.n_cols * sizeof(float);
            if (!readback_ || readback_->size() < bytes)
                readback_ = make_buffer(*ctx_, bytes, memory_home::readback, "read-back");
            std::vector<VkBufferCopy> regions;
            for (std::size_t i = 0; i < t.n_rows; ++i)
                regions.push_back({(t.offset + i * t.stride) * sizeof(float), i * t.n_cols * sizeof(float), t.n_cols * sizeof(float)});
            rec_.copy(t.buf, readback_, regions);
            finish();
            src = readback_->mapped();
            for (std::size_t i = 0; i < t.n_rows; ++i)
                std::memcpy(out.data() + i * t.n_cols, src + i * t.n_cols * sizeof(float), t.n_cols * sizeof(float));
            return;
        }
        for (std::size_t i = 0; i < t.n_rows; ++i)
            std::memcpy(out.data() + i * t.n_cols, src + (t.offset + i * t.stride) * sizeof(float), t.n_cols * sizeof(float));
    }
    // Copies host values (row-major, packed) into a tensor; recorded, so ordered with the ops.
    void write(const tensor& t, std::span<const float> in) {
        if (in.size() < t.n_rows * t.n_cols)
            throw error(errc::invalid_argument, "vulkan write: " + std::to_string(in.size()) + " floats for a tensor of " +
                                                    std::to_string(t.n_rows * t.n_cols));
        const upload_slice s = rec_.upload(in.data(), t.n_rows * t.n_cols * sizeof(float));
        std::vector<VkBufferCopy> regions;
        for (std::size_t i = 0; i < t.n_rows; ++i)
            regions.push_back({s.offset + i * t.n_cols * sizeof(float), (t.offset + i * t.stride) * sizeof(float),
                               t.n_cols * sizeof(float)});
        rec_.copy(s.buf, t.buf, regions);
    }
    // Copies the raw bytes of a KV cache layer to the host (tests compare them with the CPU's).
    void read_kv(const kv_layer& kv, std::vector<std::byte>& k, std::vector<std::byte>& v) {
        auto fetch = [&](const buffer_ptr& b, std::size_t bytes, std::vector<std::byte>& out) {
            auto rb = make_buffer(*ctx_, bytes, memory_home::readback, "read-back");
            const VkBufferCopy region{0, 0, (bytes + 3) / 4 * 4};
            rec_.copy(b, rb, {&region, 1});
            finish();
            out.assign(rb->mapped(), rb->mapped() + bytes);
        };
        fetch(kv.k, kv.k_row_bytes * kv.n_cells, k);
        fetch(kv.v, kv.v_row_bytes * kv.n_cells, v);
    }
    // Submits the recorded work (and pending weight uploads) and waits for it.
    void finish() {
        uploads_.flush();
        rec_.submit_and_wait();
        ops_.new_forward();
        attn_.new_forward();
    }

    // ---- ops -------------------------------------------------------------------------------
    void get_rows(const weight& table, std::span<const std::int32_t> ids, tensor& out) { ops_.get_rows(table, ids, out); }
    void matmul(const weight& w, const tensor& x, tensor& y) { ops_.matmul(w, x, y); }
    void add_bias(tensor& y, const weight& b) {
        check_vector(b, y.n_cols, "add_bias");
        const weight_segment& s = b.segments[0];
        ops_.eltwise(kernels::eltwise_op::bias, y, s.buf, s.offset / 4, 0, y);
    }
    void rms_norm(const tensor& x, const weight* w, tensor& y, float eps) {
        if (w) check_vector(*w, x.n_cols, "rms_norm");
        check_shape(y.n_rows == x.n_rows && y.n_cols == x.n_cols, "rms_norm", "input and output shapes differ");
        ops_.rms_norm(x, w, y, x.n_cols, eps);
    }
    void rms_norm_heads(tensor& x, const weight& w, std::uint32_t head_dim, float eps) {
        check_vector(w, head_dim, "rms_norm_heads");
        check_shape(head_dim > 0 && x.n_cols % head_dim == 0, "rms_norm_heads", "rows are not whole heads");
        ops_.rms_norm(x, &w, x, head_dim, eps);
    }
    void rope(tensor& x, std::uint32_t head_dim, std::span<const std::int32_t> positions, const rope_config& r,
              const weight* freq_factors) {
        ops_.rope(x, head_dim, positions, r, freq_factors);
    }
    void add(tensor& y, const tensor& x) {
        same_shape(y, x, "add");
        ops_.eltwise(kernels::eltwise_op::add, y, x.buf, x.offset, x.stride, y);
    }
    void scale(tensor& x, float s) { ops_.eltwise(kernels::eltwise_op::scale, x, x.buf, 0, 0, x, s); }
    void hadamard(tensor& x, std::uint32_t block) { ops_.hadamard(x, block); }
    void swiglu(const tensor& gate, const tensor& up, tensor& out) {
        same_shape(gate, up, "swiglu"), same_shape(gate, out, "swiglu");
        ops_.eltwise(kernels::eltwise_op::swiglu, gate, up.buf, up.offset, up.stride, out);
    }
    void geglu(const tensor& gate, const tensor& up, tensor& out) {
        same_shape(gate, up, "geglu"), same_shape(gate, out, "geglu");
        ops_.eltwise(kernels::eltwise_op::geglu, gate, up.buf, up.offset, up.stride, out);
    }
    void attention(kv_layer& kv, const tensor& q, const tensor& k, const tensor& v, const attention_batch& batch,
                   const attention_params& ap, tensor& out) {
        attn_.store_and_attend(kv, q, k, v, batch, ap, out);
    }

private:
    static std::string_view name_of(dtype t) { return traits(t).name; }
    static void same_shape(const tensor& a, const tensor& b, const char* op) {
        check_shape(a.n_rows == b.n_rows && a.n_cols == b.n_cols, op,
                    std::to_string(a.n_rows) + "x" + std::to_string(a.n_cols) + " against " + std::to_string(b.n_rows) +
                        "x" + std::to_string(b.n_cols));
    }
    static void check_vector(const weight& w, std::size_t n, const char* op) {
        check_shape(w.rows == 1 && w.cols == n, op,
                    "needs a vector of " + std::to_string(n) + " values, got " + std::to_string(w.rows) + "x" +
                        std::to_string(w.cols));
    }

    // Puts a weight's bytes in device memory, split into row segments one binding can address.
    void place(weight& w, const void* data) {
        const auto* bytes = static_cast<const std::byte*>(data);
        const std::size_t per = std::max<std::size_t>(1, arena_.max_slice() / w.row_bytes);
        if (w.row_bytes > arena_.max_slice())
            throw error(errc::device, "vulkan: one row of a weight (" + std::to_string(w.row_bytes) +
                                          " bytes) exceeds what a shader can address on this device");
        for (std::size_t first = 0; first < w.rows; first += per) {
            const std::size_t n = std::min(per, w.rows - first);
            auto [buf, offset] = arena_.allocate(n * w.row_bytes);
            uploads_.write(buf, offset, bytes + first * w.row_bytes, n * w.row_bytes);
            w.segments.push_back({buf, offset, first, n});
        }
    }

    std::unique_ptr<context> ctx_;
    pipelines pipes_;
    recorder rec_;
    uploader uploads_;
    weight_arena arena_;
    kernels ops_;
    attention_kernels attn_;
    buffer_ptr readback_;
    std::string name_;
};

static_assert(hearth::backend<backend>);

}  // namespace vulkan
HEARTH_NAMESPACE_END
