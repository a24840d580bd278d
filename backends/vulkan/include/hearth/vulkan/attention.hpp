#pragma once
// Recording of attention over the device KV cache: two kv_store dispatches put the batch's K and
// V rows into their cells (quantized in the shader), then one attention dispatch per forward and
// layer runs a workgroup per (head, token). The batch's cell tables are uploaded once per forward
// and shared by every layer.
#include <hearth/backend.hpp>
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <hearth/vulkan/pipelines.hpp>
#include <hearth/vulkan/recorder.hpp>
#include <hearth/vulkan/tensors.hpp>
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

inline bool cache_type_supported(dtype t) {
    return t == dtype::f32 || t == dtype::f16 || t == dtype::q8_0 || t == dtype::q4_0;
}

class attention_kernels {
public:
    // The attention shader keeps the query head and each thread 4 output values: head dims <= 256.
    static constexpr std::uint32_t max_head_dim = 256;

    attention_kernels(pipelines& p, recorder& r) : pipes_(p), rec_(r) {}

    void store_and_attend(const kv_layer& kv, const device_tensor& q, const device_tensor& k, const device_tensor& v,
                          const attention_batch& batch, const attention_params& ap, const device_tensor& out) {
        const std::size_t n = batch.positions.size();
        check(ap, kv, q, k, v, out, n, batch);
        if (n == 0) return;
        const upload_slice& m = meta(batch);
        store(kv.k_type, kv.k, kv.k_row_bytes, k, n, m);
        store(kv.v_type, kv.v, kv.v_row_bytes, v, n, m);
        struct {
            std::uint32_t q_off, q_stride, o_off, o_stride, group, hd_k, hd_v, k_row, v_row, k_head, v_head, n_cells,
                window, pos_off, seq_off, cpos_off, cseq_off;
            float kq_scale, softcap;
            std::uint32_t pad;
        } pc{u32(q.offset), u32(q.stride), u32(out.offset), u32(out.stride), ap.n_head / ap.n_head_kv, ap.head_dim_k,
             ap.head_dim_v, u32(kv.k_row_bytes), u32(kv.v_row_bytes), u32(kv.k_head_bytes), u32(kv.v_head_bytes),
             batch.n_cells_used, ap.window, m.index() + u32(pos_at()), m.index() + u32(seq_at()),
             m.index() + u32(cpos_at()), m.index() + u32(cseq_at()), ap.kq_scale, ap.softcap, 0};
        rec_.dispatch(pipes_.get(shader::attention, static_cast<std::uint32_t>(kv.k_type), static_cast<std::uint32_t>(kv.v_type)),
                      {{q.buf}, {out.buf, true}, {kv.k}, {kv.v}, {m.buf}}, pc, ap.n_head, u32(n));
    }

    void new_forward() { meta_valid_ = false; }

private:
    static void check(const attention_params& ap, const kv_layer& kv, const device_tensor& q, const device_tensor& k,
                      const device_tensor& v, const device_tensor& out, std::size_t n, const attention_batch& b) {
        auto fail = [](const std::string& what) { throw error(errc::invalid_argument, "vulkan attention: " + what); };
        if (ap.n_head_kv == 0 || ap.n_head % ap.n_head_kv != 0) fail("n_head must be a multiple of n_head_kv");
        if (ap.head_dim_k > max_head_dim || ap.head_dim_v > max_head_dim || ap.head_dim_k % 4 || ap.head_dim_v % 4)
            fail("head dimensions " + std::to_string(ap.head_dim_k) + "/" + std::to_string(ap.head_dim_v) +
                 " are not supported (multiples of 4 up to 256)");
        if (kv.n_head_kv != ap.n_head_kv || kv.head_dim_k != ap.head_dim_k || kv.head_dim_v != ap.head_dim_v)
            fail("the cache layer was allocated for other head counts or sizes");
        if (q.n_rows != n || k.n_rows != n || v.n_rows != n || out.n_rows != n) fail("tensors and batch disagree on the token count");
        if (q.n_cols != std::size_t{ap.n_head} * ap.head_dim_k || k.n_cols != std::size_t{ap.n_head_kv} * ap.head_dim_k ||
            v.n_cols != std::size_t{ap.n_head_kv} * ap.head_dim_v || out.n_cols != std::size_t{ap.n_head} * ap.head_dim_v)
            fail("tensor widths do not match the head counts and sizes");
        if (b.seq_ids.size() != n || b.slots.size() != n || b.cell_pos.size() < b.n_cells_used ||
            b.cell_seq.size() < b.n_cells_used || b.n_cells_used > kv.n_cells)
            fail("the batch's cell tables are inconsistent");
        for (std::uint32_t s : b.slots)
            if (s >= kv.n_cells) fail("slot " + std::to_string(s) + " is outside the cache's " + std::to_string(kv.n_cells) + " cells");
    }

    void store(dtype type, const buffer_ptr& dst, std::size_t row_bytes, const device_tensor& src, std::size_t n,
               const upload_slice& m) {
        struct { std::uint32_t src_off, src_stride, n_tok, row_bytes, slots_off; } pc{
            u32(src.offset), u32(src.stride), u32(n), u32(row_bytes), m.index() + u32(slots_at())};
        rec_.dispatch(pipes_.get(shader::kv_store, static_cast<std::uint32_t>(type)), {{src.buf}, {dst, true}, {m.buf}}, pc,
                      ceil_div(row_bytes / 4 + 2, 64), u32(n));
    }

    // One upload per forward: positions, sequences, slots, then cell positions and sequences.
    std::size_t pos_at() const { return 0; }
    std::size_t seq_at() const { return n_; }
    std::size_t slots_at() const { return 2 * n_; }
    std::size_t cpos_at() const { return 3 * n_; }
    std::size_t cseq_at() const { return 3 * n_ + cells_; }

    const upload_slice& meta(const attention_batch& b) {
        staged_.clear();
        staged_.insert(staged_.end(), b.positions.begin(), b.positions.end());
        staged_.insert(staged_.end(), b.seq_ids.begin(), b.seq_ids.end());
        for (std::uint32_t s : b.slots) staged_.push_back(static_cast<std::int32_t>(s));
        staged_.insert(staged_.end(), b.cell_pos.begin(), b.cell_pos.begin() + b.n_cells_used);
        staged_.insert(staged_.end(), b.cell_seq.begin(), b.cell_seq.begin() + b.n_cells_used);
        staged_.push_back(static_cast<std::int32_t>(b.positions.size()));  // the layout is part of the key
        staged_.push_back(static_cast<std::int32_t>(b.n_cells_used));
        if (meta_valid_ && staged_ == uploaded_) return slice_;
        n_ = b.positions.size(), cells_ = b.n_cells_used;
        slice_ = rec_.upload(staged_.data(), staged_.size() * sizeof(std::int32_t));
        uploaded_ = staged_;
        meta_valid_ = true;
        return slice_;
    }

    pipelines& pipes_;
    recorder& rec_;
    std::vector<std::int32_t> staged_, uploaded_;
    upload_slice slice_;
    bool meta_valid_ = false;
    std::size_t n_ = 0, cells_ = 0;
};

}  // namespace vulkan
HEARTH_NAMESPACE_END
