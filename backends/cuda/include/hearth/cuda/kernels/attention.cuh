#pragma once
// The KV store and flash-decoding attention over the KV cache in its own types: K and V each f32,
// f16, q8_0 or q4_0, every pair, read natively (never dequantized as a whole).
//
// kv_store: one thread per block of a row (per value for f16/f32) through store_kv_block, the
// twin's and ggml's reference quantizers: the cache bytes equal the CPU backend's.
//
// attention: one CUDA block per (token, head, split of the cells), 4 warps. The query head is
// rounded once into shared memory to the key's dot format (q8_0 for quantized keys, like the CPU).
// Each warp takes tiles of 32 cells: lane c scores cell c (mask from the cell arrays: same
// sequence, position <= the token's, inside the sliding window; the key row is dotted with the
// query by kv_key_dot, integer dp4a per block), then the tile updates the warp's online softmax:
// running max, rescaled sum, and the weighted value rows accumulated by lanes over the head's
// dimensions (lane d holds d, d+32, ...). The 4 warps merge in shared memory; when the cells are
// split over several blocks (few queries, long context: decode), a second kernel merges the
// splits' partial softmaxes.
#include <hearth/cuda/activations.hpp>
#include <hearth/cuda/kernels/warp.cuh>
#include <hearth/cuda/kv_blocks.hpp>
#include <hearth/cuda/limits.hpp>
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/reference/attention.hpp>
#include <algorithm>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {
namespace kernels {

template <int = 0>
__global__ void kv_store_kernel(kv_store_args a) {
    const std::size_t be = kv_block_elems(a.type), blocks = a.width / be;
    const std::size_t idx = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= a.n * blocks) return;
    const std::size_t i = idx / blocks, b = idx % blocks;
    store_kv_block(a.type, a.src + i * a.src_stride + b * be, a.cache + static_cast<std::size_t>(a.slots[i]) * a.cache_row_bytes, b);
}

template <class Launch>
void run_kv_store(Launch& launch, const kv_store_args& a) {
    const std::size_t work = a.n * (a.width / kv_block_elems(a.type));
    if (work) launch(kv_store_kernel<>, dim3(static_cast<unsigned>((work + 127) / 128)), dim3(128), 0, a);
}

inline constexpr int attn_warps = 4;
inline constexpr int attn_max_per_lane = max_head_dim / 32;    // value dims per lane
inline constexpr std::size_t attn_query_bytes = max_head_dim * 4;  // the largest query row (f32)

// Partial result of one split: max, sum, then head_dim_v accumulators.
__device__ __forceinline__ float* split_slot(float* partials, std::size_t item, std::size_t split, std::size_t n_splits,
                                             std::uint32_t hdv) {
    return partials + (item * n_splits + split) * (hdv + 2);
}

template <int = 0>
__global__ void __launch_bounds__(32 * attn_warps) attention_kernel(attention_args a, std::uint32_t cells_per_split,
                                                                    float* partials) {
    __align__(16) __shared__ std::uint8_t qrow[attn_query_bytes];
    __shared__ float warp_m[attn_warps], warp_s[attn_warps];
    __shared__ float warp_acc[attn_warps][max_head_dim];

    const std::size_t item = blockIdx.x, split = blockIdx.y, n_splits = gridDim.y;
    const std::size_t i = item / a.n_head;
    const std::uint32_t h = static_cast<std::uint32_t>(item % a.n_head), kvh = h / (a.n_head / a.n_head_kv);
    const int lane = static_cast<int>(threadIdx.x % 32), warp = static_cast<int>(threadIdx.x / 32);
    const std::int32_t pos = a.positions[i], seq = a.seq_ids[i];
    const std::uint32_t hdk = a.head_dim_k, hdv = a.head_dim_v;

    // The query, rounded as the CPU rounds it before its dot products with the keys.
    const act_kind qk = query_kind(a.k_type);
    const act_layout ql = layout_of(qk, hdk);
    const float* q = a.q + i * a.q_stride + std::size_t{h} * hdk;
    if (qk == act_kind::q8_0) {
        for (std::uint32_t g = threadIdx.x; g < hdk / 32; g += blockDim.x) quantize_group_q8<false>(q + 32 * g, qrow, ql, g);
    } else {
        for (std::uint32_t d = threadIdx.x; d < hdk; d += blockDim.x) store_act_float(qk, qrow, d, q[d]);
    }
    __syncthreads();

    const std::uint32_t c_begin = static_cast<std::uint32_t>(split) * cells_per_split;
    const std::uint32_t c_end = c_begin + cells_per_split < a.n_cells ? c_begin + cells_per_split : a.n_cells;
    float m = -INFINITY, sum = 0.0f, acc[attn_max_per_lane];
#pragma unroll
    for (int j = 0; j < attn_max_per_lane; ++j) acc[j] = 0.0f;

    for (std::uint32_t tile = c_begin + 32u * static_cast<std::uint32_t>(warp); tile < c_end; tile += 32u * attn_warps) {
        const std::uint32_t c = tile + static_cast<std::uint32_t>(lane);
        float score = -INFINITY;
        if (c < c_end && cell_visible(a, c, pos, seq)) {
            const std::uint8_t* krow = a.k + c * a.k_row_bytes + kvh * a.k_head_bytes;
            score = cap_score(kv_key_dot(a.k_type, krow, qrow, ql, hdk) * a.scale, a.softcap);
        }
        const float tile_max = warp_max(score);
        if (tile_max == -INFINITY) continue;  // no visible cell in this tile (uniform over the warp)
        const float m_new = ::fmaxf(m, tile_max);
        const float corr = m == -INFINITY ? 0.0f : ::expf(m - m_new);
        const float p = score == -INFINITY ? 0.0f : ::expf(score - m_new);
        sum = sum * corr + warp_sum(p);
        m = m_new;
#pragma unroll
        for (int j = 0; j < attn_max_per_lane; ++j) acc[j] *= corr;
        // No branch around a masked cell (p = 0): the loads of several cells' value rows are then
        // in flight together, where a branch made each wait for the last. A cell past the split's
        // end reads the split's last row instead (always in the cache) and adds nothing.
#pragma unroll 4
        for (int src = 0; src < 32; ++src) {
            const float ps = __shfl_sync(full_mask, p, src);
            const std::uint32_t at = tile + static_cast<std::uint32_t>(src), cell = at < c_end ? at : c_end - 1;
            const std::uint8_t* vrow = a.v + cell * a.v_row_bytes + kvh * a.v_head_bytes;
#pragma unroll
            for (int j = 0; j < attn_max_per_lane; ++j) {
                const std::uint32_t d = static_cast<std::uint32_t>(lane + 32 * j);
                if (d < hdv) {
                    const float v = kv_element(a.v_type, vrow, d);
                    acc[j] += ps == 0.0f ? 0.0f : ps * v;
                }
            }
        }
    }

    // Merge the warps: rescale each to the block's max.
    if (lane == 0) warp_m[warp] = m, warp_s[warp] = sum;
#pragma unroll
    for (int j = 0; j < attn_max_per_lane; ++j) {
        const std::uint32_t d = static_cast<std::uint32_t>(lane + 32 * j);
        if (d < hdv) warp_acc[warp][d] = acc[j];
    }
    __syncthreads();
    float bm = -INFINITY;
    for (int w = 0; w < attn_warps; ++w) bm = ::fmaxf(bm, warp_m[w]);
    float bs = 0.0f;
    for (int w = 0; w < attn_warps; ++w)
        if (warp_m[w] != -INFINITY) bs += warp_s[w] * ::expf(warp_m[w] - bm);
    if (n_splits == 1) {
        const float inv = bs > 0.0f ? 1.0f / bs : 0.0f;
        float* o = a.out + i * a.out_stride + std::size_t{h} * hdv;
        for (std::uint32_t d = threadIdx.x; d < hdv; d += blockDim.x) {
            float v = 0.0f;
            for (int w = 0; w < attn_warps; ++w)
                if (warp_m[w] != -INFINITY) v += warp_acc[w][d] * ::expf(warp_m[w] - bm);
            o[d] = v * inv;
        }
        return;
    }
    float* slot = split_slot(partials, item, split, n_splits, hdv);
    if (threadIdx.x == 0) slot[0] = bm, slot[1] = bs;
    for (std::uint32_t d = threadIdx.x; d < hdv; d += blockDim.x) {
        float v = 0.0f;
        for (int w = 0; w < attn_warps; ++w)
            if (warp_m[w] != -INFINITY) v += warp_acc[w][d] * ::expf(warp_m[w] - bm);
        slot[2 + d] = v;
    }
}

// Merges the splits of one (token, head): out = sum_s acc_s e^(m_s - M) / sum_s sum_s e^(m_s - M).
template <int = 0>
__global__ void attention_merge_kernel(attention_args a, std::size_t n_splits, const float* partials) {
    const std::size_t item = blockIdx.x;
    const std::size_t i = item / a.n_head, h = item % a.n_head;
    const std::uint32_t hdv = a.head_dim_v;
    float M = -INFINITY;
    for (std::size_t s = 0; s < n_splits; ++s) M = ::fmaxf(M, partials[(item * n_splits + s) * (hdv + 2)]);
    float S = 0.0f;
    for (std::size_t s = 0; s < n_splits; ++s) {
        const float* p = partials + (item * n_splits + s) * (hdv + 2);
        if (p[0] != -INFINITY) S += p[1] * ::expf(p[0] - M);
    }
    const float inv = S > 0.0f ? 1.0f / S : 0.0f;
    float* o = a.out + i * a.out_stride + h * hdv;
    for (std::uint32_t d = threadIdx.x; d < hdv; d += blockDim.x) {
        float v = 0.0f;
        for (std::size_t s = 0; s < n_splits; ++s) {
            const float* p = partials + (item * n_splits + s) * (hdv + 2);
            if (p[0] != -INFINITY) v += p[2 + d] * ::expf(p[0] - M);
        }
        o[d] = v * inv;
    }
}

// How many blocks share one (token, head)'s cells: enough blocks to fill the GPU (2 per SM), but
// at least min_cells cells per split so the merge stays cheap.
inline std::size_t attention_splits(const attention_args& a, int sm_count, std::size_t min_cells = 128) {
    const std::size_t items = a.n_tokens * a.n_head;
    const std::size_t want = (2 * static_cast<std::size_t>(sm_count) + items - 1) / items;
    const std::size_t most = (a.n_cells + min_cells - 1) / min_cells;
    return std::max<std::size_t>(1, std::min(want, most));
}

inline std::size_t attention_partial_floats(const attention_args& a, std::size_t splits) {
    return splits > 1 ? a.n_tokens * a.n_head * splits * (a.head_dim_v + 2) : 0;
}

template <class Launch>
void run_attention(Launch& launch, const attention_args& a, std::size_t splits, float* partials) {
    const std::size_t items = a.n_tokens * a.n_head;
    const std::uint32_t cells_per_split = static_cast<std::uint32_t>((a.n_cells + splits - 1) / splits);
    launch(attention_kernel<>, dim3(static_cast<unsigned>(items), static_cast<unsigned>(splits)), dim3(32 * attn_warps), 0,
           a, cells_per_split == 0 ? 1u : cells_per_split, partials);
    if (splits > 1)
        launch(attention_merge_kernel<>, dim3(static_cast<unsigned>(items)), dim3(128), 0, a, splits,
               static_cast<const float*>(partials));
}

}  // namespace kernels
}  // namespace cuda
HEARTH_NAMESPACE_END
