#pragma once
// The KV store and flash-decoding attention over the KV cache in its own types: K and V each f32,
// f16, q8_0 or q4_0, every pair, read natively (never dequantized as a whole).
//
// kv_store: one thread per block of a row (per value for f16/f32) through store_kv_block, the
// twin's and ggml's reference quantizers: the cache bytes equal the CPU backend's. Keys and values
// are stored by one launch.
//
// attention: one CUDA block per (token, head, split of the cells), 4 warps. The query head is
// rounded once into shared memory to the key's dot format (q8_0 for quantized keys, like the CPU).
// Each warp takes tiles of 32 cells: lane c scores cell c (mask from the cell arrays: same
// sequence, position <= the token's, inside the sliding window; the key row is dotted with the
// query by kv_key_dot_units, integer dp4a per block), then the tile updates the warp's online
// softmax: running max, rescaled sum, and the weighted value rows accumulated by lanes over the
// head's dimensions (lane d holds d, d+32, ...).
//
// The tile's key rows, then its value rows, are first copied by the whole warp into shared memory
// (stage_tile_rows: each load instruction reads 128 contiguous bytes of one row, all of them in
// flight together), in slices of at most 256 bytes of whole units. Read from global memory by
// the lanes themselves, lane c's key row was 64 dependent 2-byte loads one row apart: on an H100
// the kernel took 35 us for a 16-cell decode step. Staging changes where the bytes come from, not
// the arithmetic: each lane still sums its units in order. The 4 warps merge in shared memory; when the cells are
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

// The keys (blockIdx.y = 0) and the values (1) of a batch in one launch.
template <int = 0>
__global__ void kv_store_kernel(kv_store_args k, kv_store_args v) {
    const kv_store_args& a = blockIdx.y == 0 ? k : v;
    const std::size_t be = kv_block_elems(a.type), blocks = a.width / be;
    const std::size_t idx = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= a.n * blocks) return;
    const std::size_t i = idx / blocks, b = idx % blocks;
    store_kv_block(a.type, a.src + i * a.src_stride + b * be, a.cache + static_cast<std::size_t>(a.slots[i]) * a.cache_row_bytes, b);
}

template <class Launch>
void run_kv_store(Launch& launch, const kv_store_args& k, const kv_store_args& v) {
    const std::size_t work = std::max(k.n * (k.width / kv_block_elems(k.type)), v.n * (v.width / kv_block_elems(v.type)));
    if (work) launch(kv_store_kernel<>, dim3(static_cast<unsigned>((work + 127) / 128), 2), dim3(128), 0, k, v);
}

inline constexpr int attn_warps = 4;
inline constexpr int attn_max_per_lane = max_head_dim / 32;    // value dims per lane
inline constexpr std::size_t attn_query_bytes = max_head_dim * 4;  // the largest query row (f32)
// A staged slice of one cell's row: at most 256 bytes, in words; the odd stride (65) puts the same
// word of the 32 rows in 32 different banks, so lane c reading its own row meets no conflict.
inline constexpr std::uint32_t attn_stage_bytes = 256;
inline constexpr int attn_stage_words = attn_stage_bytes / 4 + 1;
using attn_stage = std::uint32_t[32][attn_stage_words];

// Copies bytes [offset, offset + bytes) of the rows of cells first .. first + 31 (a cell at or past
// `end` reads cell end - 1 instead: always in the cache, and masked out by the caller) into
// stage[r], with the whole warp, lanes on consecutive words of a row (4-byte loads where the rows
// allow them, else 2-byte). Rows go in batches whose loads are all issued before the first is
// stored (a loop per row made every row wait for the last: 20 us per tile): all 32 rows at once
// with 4-byte words (2 registers per row), 16 at a time with 2-byte ones (4 per row).
template <class Word>
inline constexpr int attn_stage_batch = sizeof(Word) == 4 ? 32 : 16;

template <class Word>
__device__ __forceinline__ void stage_tile_words(attn_stage& stage, const std::uint8_t* base, std::size_t row_bytes,
                                                 std::uint32_t first, std::uint32_t end, std::size_t offset, int n,
                                                 int lane) {
    constexpr int per_lane = attn_stage_bytes / sizeof(Word) / 32;  // a row's words per lane, at most
    constexpr int batch = attn_stage_batch<Word>;
    for (int r0 = 0; r0 < 32; r0 += batch) {
        Word v[batch][per_lane];
#pragma unroll
        for (int r = 0; r < batch; ++r) {
            const std::uint32_t c = first + static_cast<std::uint32_t>(r0 + r), cell = c < end ? c : end - 1;
            const Word* src = reinterpret_cast<const Word*>(base + cell * row_bytes + offset);
#pragma unroll
            for (int k = 0; k < per_lane; ++k) v[r][k] = lane + 32 * k < n ? src[lane + 32 * k] : Word{};
        }
#pragma unroll
        for (int r = 0; r < batch; ++r) {
            Word* dst = reinterpret_cast<Word*>(stage[r0 + r]);
#pragma unroll
            for (int k = 0; k < per_lane; ++k)
                if (lane + 32 * k < n) dst[lane + 32 * k] = v[r][k];
        }
    }
}

__device__ __forceinline__ void stage_tile_rows(attn_stage& stage, const std::uint8_t* base, std::size_t row_bytes,
                                                std::uint32_t first, std::uint32_t end, std::size_t offset,
                                                std::uint32_t bytes, int lane) {
    if (((reinterpret_cast<std::uintptr_t>(base) | row_bytes | offset | bytes) & 3u) == 0)
        stage_tile_words<std::uint32_t>(stage, base, row_bytes, first, end, offset, static_cast<int>(bytes / 4), lane);
    else
        stage_tile_words<std::uint16_t>(stage, base, row_bytes, first, end, offset, static_cast<int>(bytes / 2), lane);
}

// Value elements per staged slice: whole blocks (q8_0: 7 x 32, q4_0: 14 x 32), or 256 bytes of
// floats; always a multiple of 32, so a slice holds whole j of every lane's d = lane + 32 j.
template <dtype T>
inline constexpr std::uint32_t attn_value_slice_elems = T == dtype::q8_0 ? 224 : T == dtype::q4_0 ? 448 : T == dtype::f16 ? 128 : 64;
template <dtype T>
HEARTH_CUDA_HD constexpr std::size_t attn_value_bytes(std::uint32_t elems) {
    return T == dtype::q8_0 ? 34 * (elems / 32) : T == dtype::q4_0 ? 18 * (elems / 32) : T == dtype::f16 ? 2 * elems : 4 * elems;
}

// Partial result of one split: max, sum, then head_dim_v accumulators.
__device__ __forceinline__ float* split_slot(float* partials, std::size_t item, std::size_t split, std::size_t n_splits,
                                             std::uint32_t hdv) {
    return partials + (item * n_splits + split) * (hdv + 2);
}

// KT, VT: the cache's key and value types; PER_LANE: value dimensions per lane (head_dim_v / 32
// rounded up to 2, 4, 8 or 16), so that the loops over a lane's dimensions are as long as the head.
template <dtype KT, dtype VT, int PER_LANE>
__global__ void __launch_bounds__(32 * attn_warps) attention_kernel(attention_args a, std::uint32_t cells_per_split,
                                                                    float* partials) {
    __align__(16) __shared__ std::uint8_t qrow[attn_query_bytes];
    __shared__ float warp_m[attn_warps], warp_s[attn_warps];
    __shared__ float warp_acc[attn_warps][max_head_dim];
    __shared__ attn_stage stage[attn_warps];
    __shared__ float warp_p[attn_warps][32];

    const std::size_t item = blockIdx.x, split = blockIdx.y, n_splits = gridDim.y;
    const std::size_t i = item / a.n_head;
    const std::uint32_t h = static_cast<std::uint32_t>(item % a.n_head), kvh = h / (a.n_head / a.n_head_kv);
    const int lane = static_cast<int>(threadIdx.x % 32), warp = static_cast<int>(threadIdx.x / 32);
    const std::int32_t pos = a.positions[i], seq = a.seq_ids[i];
    const std::uint32_t hdk = a.head_dim_k, hdv = a.head_dim_v;

    // The query, rounded as the CPU rounds it before its dot products with the keys.
    constexpr act_kind qk = query_kind(KT);
    const act_layout ql = layout_of(qk, hdk);
    const float* q = a.q + i * a.q_stride + std::size_t{h} * hdk;
    if constexpr (qk == act_kind::q8_0) {
        for (std::uint32_t g = threadIdx.x; g < hdk / 32; g += blockDim.x) quantize_group_q8<false>(q + 32 * g, qrow, ql, g);
    } else {
        for (std::uint32_t d = threadIdx.x; d < hdk; d += blockDim.x) store_act_float(qk, qrow, d, q[d]);
    }
    __syncthreads();

    const std::uint32_t c_begin = static_cast<std::uint32_t>(split) * cells_per_split;
    const std::uint32_t c_end = c_begin + cells_per_split < a.n_cells ? c_begin + cells_per_split : a.n_cells;
    float m = -INFINITY, sum = 0.0f, acc[PER_LANE];
#pragma unroll
    for (int j = 0; j < PER_LANE; ++j) acc[j] = 0.0f;

    constexpr std::size_t kub = kv_key_unit_bytes(KT);
    constexpr std::size_t k_slice = attn_stage_bytes / kub;  // whole key units per staged slice
    constexpr std::uint32_t v_slice = attn_value_slice_elems<VT>;
    const std::size_t k_units = hdk / kv_key_unit_elems(KT);
    const std::uint8_t* k_head = a.k + kvh * a.k_head_bytes;
    const std::uint8_t* v_head = a.v + kvh * a.v_head_bytes;
    attn_stage& st = stage[warp];
    for (std::uint32_t tile = c_begin + 32u * static_cast<std::uint32_t>(warp); tile < c_end; tile += 32u * attn_warps) {
        const std::uint32_t c = tile + static_cast<std::uint32_t>(lane);
        float dot = 0.0f;
        for (std::size_t u0 = 0; u0 < k_units; u0 += k_slice) {
            const std::size_t u1 = u0 + k_slice < k_units ? u0 + k_slice : k_units;
            stage_tile_rows(st, k_head, a.k_row_bytes, tile, c_end, u0 * kub, static_cast<std::uint32_t>((u1 - u0) * kub), lane);
            __syncwarp();
            dot = kv_key_dot_units<KT>(reinterpret_cast<const std::uint8_t*>(st[lane]), qrow, ql, u0, u1, dot);
            __syncwarp();
        }
        const float score = c < c_end && cell_visible(a, c, pos, seq) ? cap_score(dot * a.scale, a.softcap) : -INFINITY;
        const float tile_max = warp_max(score);
        if (tile_max == -INFINITY) continue;  // no visible cell in this tile (uniform over the warp)
        const float m_new = ::fmaxf(m, tile_max);
        const float corr = m == -INFINITY ? 0.0f : ::expf(m - m_new);
        const float p = score == -INFINITY ? 0.0f : ::expf(score - m_new);
        sum = sum * corr + warp_sum(p);
        m = m_new;
#pragma unroll
        for (int j = 0; j < PER_LANE; ++j) acc[j] *= corr;
        // Each lane adds the 32 cells' weighted values of its dimensions, cell after cell; a
        // masked cell (p = 0) adds nothing. The weights go through shared memory (a lane whose
        // dimensions end before a slice's skips it, where a shuffle would need every lane).
        warp_p[warp][lane] = p;
        for (std::uint32_t e0 = 0; e0 < hdv; e0 += v_slice) {
            const std::uint32_t e1 = e0 + v_slice < hdv ? e0 + v_slice : hdv;
            stage_tile_rows(st, v_head, a.v_row_bytes, tile, c_end, attn_value_bytes<VT>(e0),
                            static_cast<std::uint32_t>(attn_value_bytes<VT>(e1 - e0)), lane);
            __syncwarp();
#pragma unroll 4
            for (int src = 0; src < 32; ++src) {
                const float ps = warp_p[warp][src];
                const std::uint8_t* vrow = reinterpret_cast<const std::uint8_t*>(st[src]);
#pragma unroll
                for (int j = 0; j < PER_LANE; ++j) {
                    const std::uint32_t d = static_cast<std::uint32_t>(lane + 32 * j);
                    if (d >= e0 && d < e1) {
                        const float v = kv_element_of<VT>(vrow, d - e0);
                        acc[j] += ps == 0.0f ? 0.0f : ps * v;
                    }
                }
            }
            __syncwarp();
        }
    }

    // Merge the warps: rescale each to the block's max.
    if (lane == 0) warp_m[warp] = m, warp_s[warp] = sum;
#pragma unroll
    for (int j = 0; j < PER_LANE; ++j) {
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
    const dim3 grid(static_cast<unsigned>(items), static_cast<unsigned>(splits));
    const std::uint32_t cps = cells_per_split == 0 ? 1u : cells_per_split;
    const std::uint32_t per_lane = (a.head_dim_v + 31) / 32;
    visit_kv_type(a.k_type, [&](auto kt) {
        visit_kv_type(a.v_type, [&](auto vt) {
            constexpr dtype KT = decltype(kt)::value, VT = decltype(vt)::value;
            if (per_lane <= 2) launch(attention_kernel<KT, VT, 2>, grid, dim3(32 * attn_warps), 0, a, cps, partials);
            else if (per_lane <= 4) launch(attention_kernel<KT, VT, 4>, grid, dim3(32 * attn_warps), 0, a, cps, partials);
            else if (per_lane <= 8) launch(attention_kernel<KT, VT, 8>, grid, dim3(32 * attn_warps), 0, a, cps, partials);
            else launch(attention_kernel<KT, VT, attn_max_per_lane>, grid, dim3(32 * attn_warps), 0, a, cps, partials);
        });
    });
    if (splits > 1)
        launch(attention_merge_kernel<>, dim3(static_cast<unsigned>(items)), dim3(128), 0, a, splits,
               static_cast<const float*>(partials));
}

}  // namespace kernels
}  // namespace cuda
HEARTH_NAMESPACE_END
