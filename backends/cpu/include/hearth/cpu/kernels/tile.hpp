#pragma once
// The register-tiled loop nest shared by every arch and format (the idea of llamafile's tinyBLAS):
// an RM x RN tile of outputs keeps RM*RN accumulators in registers while walking K once, so each
// weight block is loaded (and unpacked) once for RN tokens and each activation block once for RM
// rows. Edge tiles use smaller instantiations picked from a table, never a scalar fallback.
//
// A format kernel F supplies: wblock, ablock, acc, prepared, zero(), prepare(w), dot(p, w, a, acc),
// reduce(acc) (see avx2_legacy.hpp); optionally prepare_act(a), then dot(p, w, prepare_act(a), a, acc). A tile policy P supplies tile<RM, RN>(...) and its sizes.
#include <hearth/config.hpp>
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace cpu::detail {

// Asks the cache for the line holding p (a hint: never faults, also past the end of a mapping).
// Locality 3 brings it into every level (prefetcht0); 2 into L2 and beyond only (prefetcht1 on
// x86, PLDL2KEEP on Arm).
template <int Locality = 3>
inline void prefetch_line(const void* p) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p, 0, Locality);
#else
    (void)p;
#endif
}

// A GEMM over a chunk of at most this many tokens requests the next rows' weights into L2 only,
// not L1: its few token tiles pass over the rows' prepared blocks once or twice, and the next rows
// brought into L1 pushed those out (16 q8_0 rows of 2048: 35 KiB against 36 KiB of prepared
// blocks). TinyLlama, 7-token prompt, one thread, alternating runs: Q8_0 123 -> 83 ms, Q4_K_M
// 117 -> 96 ms (the q6_K rows' part another 98 -> 95); two threads Q8_0 67-74 -> 52-59 ms. At
// 64 tokens 6% faster for Q8_0 and Q4_K_M; at 512, where many tiles reuse each block, Q4_0 was
// 3% slower that way.
inline constexpr std::size_t short_pass_tokens = 64;

// Requests the cache lines of block b (of `bytes` bytes) of a row, each line once over a walk of
// the row's blocks: the lines whose start falls inside block b (used to fetch the next rows'
// weights while preparing these, a block at a time), into L1, or into L2 only.
inline void prefetch_block_lines(const void* row, std::size_t b, std::size_t bytes, bool into_l2 = false) noexcept {
    const char* p = static_cast<const char*>(row);
    for (std::size_t o = (b * bytes + 63) / 64 * 64; o < (b + 1) * bytes; o += 64) {
        if (into_l2) prefetch_line<2>(p + o);
        else prefetch_line<3>(p + o);
    }
}

// GEMV reads its weights once, RM rows at a time: RM interleaved streams only a few KiB long
// each, too short for the hardware prefetchers to run ahead, so without help every tile waits
// for DRAM and the multiply-adds do not overlap the memory traffic (measured: a q4_0 GEMV ran at
// 1/(1/compute + 1/bandwidth)). A thread's rows are contiguous, so the tiles ahead are the next
// RM * w_stride bytes and the ones after: each block step of the current tile requests the
// tile ahead's bytes at the same pace (each line once), which keeps that much in flight ahead of
// the arithmetic.
//
// How far ahead, and into which cache, depends on the kernel (Zen 4, one thread). The
// byte-streaming GEMVs (the q4_0/q4_1 pair tile, q4_0x8's 8-row GEMV on AVX2, q8_0's rows tile)
// run faster when the tile after next is requested into L2 only: one core's L1 has few miss
// buffers, and prefetches into L1 held them against the kernel's own loads. bench_kernels --only gemv, 256 MB per matrix, three
// runs side by side: q4_0 18.7-18.9 -> 22.5-23.1 GB/s, q4_1 16.9 -> 19.9-21.1, q8_0 19.1-20.6 ->
// 24.5-26.9; hearth bench tg128 on TinyLlama shapes, three alternating runs: Q4_0 27.1-29.8 ->
// 29.0-31.9 t/s, Q8_0 17.6-17.8 -> 19.9-22.5. Built for AVX2 (-march=x86-64-v3) on the same
// machine, q4_0x8's GEMV 12.3-12.5 -> 17.0-23.3 GB/s and Q4_0 tg64 22.2-24.7 -> 26.3-31.1 t/s on
// one thread, 34.9-37.4 -> 42.0-44.9 on two. The q4_K/q5_K GEMV, which does more work per byte,
// lost a sixth of its decode speed that way (Q4_K_M 33 -> 27.5 t/s), and q6_K's block tile
// gained nothing: they keep the next tile, into L1. Three or four tiles ahead were no faster
// than two; one tile ahead into L2 was slower for q4_K and q6_K.
enum class prefetch_reach { next_tile_into_l1, tile_after_next_into_l2 };

// Reach tile_after_next_into_l2 applies to tiles of at least far_tile_min_bytes; shorter ones
// (SmolLM2-135M's 576-wide rows: a 1.4 KiB q4_1 tile) take the next tile into L1 after all,
// since two short tiles ahead into L2 arrived no earlier and each load then waited on L2
// (SmolLM2 Q4_1 tg128 on 2 threads, alternating runs: far reach everywhere 188-210 t/s, with this
// floor 205-216, next tile only 204-221; TinyLlama's 2048-wide q4_0 tile is 4.5 KiB and keeps
// its gain: Q4_0 tg64 on 1 thread 30.8-31.3 against 25.9-28.1).
inline constexpr std::size_t far_tile_min_bytes = 4096;

template <prefetch_reach Reach = prefetch_reach::next_tile_into_l1>
struct tile_prefetcher {
    const char* ahead;
    std::size_t step;  // bytes of the tile ahead per block step
    bool into_l2;  // prefetcht1 (the far reach; a short GEMM chunk's next group) instead of prefetcht0
    template <int RM>
    static tile_prefetcher make(const std::byte* w, std::size_t w_stride, std::size_t nb) noexcept {
        const std::size_t tile = RM * w_stride;
        const bool far = Reach == prefetch_reach::tile_after_next_into_l2 && tile >= far_tile_min_bytes;
        return {reinterpret_cast<const char*>(w) + (far ? 2 : 1) * tile, nb ? tile / nb : 0, far};
    }
    // The lines whose start falls in [b * step, (b + 1) * step) of the tile ahead.
    void at(std::size_t b) const noexcept {
        const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(ahead) + b * step;
        for (std::uintptr_t line = (begin + 63) & ~std::uintptr_t{63}; line < begin + step; line += 64) {
            if (into_l2) prefetch_line<2>(reinterpret_cast<const void*>(line));
            else prefetch_line<3>(reinterpret_cast<const void*>(line));
        }
    }
};
using next_tile_prefetcher = tile_prefetcher<prefetch_reach::next_tile_into_l1>;
using far_tile_prefetcher = tile_prefetcher<prefetch_reach::tile_after_next_into_l2>;

// Outputs y[t * y_stride + r] for r < RM, t < RN: RM weight rows (w_stride bytes apart) times RN
// activation rows (a_stride bytes apart), each nb blocks long. prepared_of(r, b, block) gives
// F::prepare of row r's block b: computed there (block_tile) or read from a buffer filled once
// for many tiles (prepared_tile). Prefetch: request the next row tile while walking this one (GEMV).
template <class F, int RM, int RN, bool Prefetch, class PreparedOf>
inline void tile_loop(const std::byte* w, std::size_t w_stride, const std::byte* a, std::size_t a_stride,
                      std::size_t nb, float* y, std::size_t y_stride, PreparedOf&& prepared_of) {
    using wblock = typename F::wblock;
    using ablock = typename F::ablock;
    typename F::acc acc[RM][RN];
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t) acc[r][t] = F::zero();
    const wblock* wr[RM];
    const ablock* at[RN];
    for (int r = 0; r < RM; ++r) wr[r] = reinterpret_cast<const wblock*>(w + r * w_stride);
    for (int t = 0; t < RN; ++t) at[t] = reinterpret_cast<const ablock*>(a + t * a_stride);
    const auto pf = next_tile_prefetcher::make<RM>(w, w_stride, nb);
    for (std::size_t b = 0; b < nb; ++b) {
        if constexpr (Prefetch) pf.at(b);
        if constexpr (requires(const ablock& ab) { F::prepare_act(ab); }) {
            // Per-activation-block work (e.g. sums for an offset correction) done once for RM rows.
            decltype(F::prepare_act(at[0][b])) ap[RN];
            for (int t = 0; t < RN; ++t) ap[t] = F::prepare_act(at[t][b]);
            for (int r = 0; r < RM; ++r) {
                const wblock& wb = wr[r][b];
                decltype(auto) p = prepared_of(r, b, wb);
                for (int t = 0; t < RN; ++t) acc[r][t] = F::dot(p, wb, ap[t], at[t][b], acc[r][t]);
            }
        } else {
            for (int r = 0; r < RM; ++r) {
                const wblock& wb = wr[r][b];
                decltype(auto) p = prepared_of(r, b, wb);
                for (int t = 0; t < RN; ++t) acc[r][t] = F::dot(p, wb, at[t][b], acc[r][t]);
            }
        }
    }
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t) y[t * y_stride + r] = F::reduce(acc[r][t]);
}

template <class F, int RM, int RN>
inline void block_tile(const std::byte* w, std::size_t w_stride, const std::byte* a, std::size_t a_stride,
                       std::size_t nb, float* y, std::size_t y_stride) {
    tile_loop<F, RM, RN, RN == 1>(w, w_stride, a, a_stride, nb, y, y_stride,
                                  [](int, std::size_t, const typename F::wblock& wb) { return F::prepare(wb); });
}

// Tile policy for a block format: K is counted in blocks.
template <class F, int GemvRM, int GemmRM, int GemmRN>
struct block_policy {
    static constexpr int gemv_rm = GemvRM, gemm_rm = GemmRM, gemm_rn = GemmRN;
    static constexpr bool counts_elements = false;
    template <int RM, int RN>
    static void tile(const std::byte* w, std::size_t ws, const std::byte* a, std::size_t as, std::size_t k_units,
                     float* y, std::size_t ys) {
        block_tile<F, RM, RN>(w, ws, a, as, k_units, y, ys);
    }
};

// block_tile with the RM rows' weight blocks already prepared: p[r * nb + b] is
// F::prepare(row r's block b). The same loop, so the same results.
// A kernel may bring its own loop over prepared blocks (F::prepared_tile, same arithmetic).
template <class F, int RM, int RN>
inline void prepared_tile(const typename F::prepared* p, const std::byte* w, std::size_t w_stride, const std::byte* a,
                          std::size_t a_stride, std::size_t nb, float* y, std::size_t y_stride) {
    if constexpr (requires { F::template prepared_tile<RM, RN>(p, a, a_stride, nb, y, y_stride); }) {
        F::template prepared_tile<RM, RN>(p, a, a_stride, nb, y, y_stride);
    } else {
        tile_loop<F, RM, RN, false>(
            w, w_stride, a, a_stride, nb, y, y_stride,
            [p, nb](int r, std::size_t b, const typename F::wblock&) -> const typename F::prepared& {
                return p[r * nb + b];
            });
    }
}

// GEMM over rows [r0, r1) for a kernel whose prepare() is costly (the K-quants' GEMM kernels
// unpack a whole super-block: ~40 instructions and 16 stores). block_tile prepares each weight
// block once per tile, i.e. once per RN tokens; here each row tile's blocks are prepared once per
// token chunk into a per-thread buffer (RM rows x nb blocks: tens of KiB, L1/L2-resident) that
// every token tile of the chunk reads. The tiles' arithmetic is unchanged, so are the results.
template <class F, int RM, int RN>
inline void prepared_gemm(const std::byte* w, std::size_t w_stride, std::size_t r0, std::size_t r1, const std::byte* a,
                          std::size_t a_stride, std::size_t n_tokens, std::size_t nb, float* y, std::size_t y_stride) {
    using prepared = typename F::prepared;
    using wblock = typename F::wblock;
    using fn = void (*)(const prepared*, const std::byte*, std::size_t, const std::byte*, std::size_t, std::size_t,
                        float*, std::size_t);
    static constexpr auto table = []<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<fn, RM * RN>{&prepared_tile<F, static_cast<int>(I / RN) + 1, static_cast<int>(I % RN) + 1>...};
    }(std::make_index_sequence<RM * RN>{});
    thread_local std::vector<prepared> buf;
    if (buf.size() < RM * nb) buf.resize(RM * nb);
    for (std::size_t r = r0; r < r1; r += RM) {
        const std::size_t m = std::min<std::size_t>(RM, r1 - r);
        // While preparing this row tile, request the next one's weights, each line once (the
        // line that starts within block b is requested with block b): a short prompt reads every
        // weight once from DRAM, and without it each row tile waited for its reads. Into L2 only
        // for a short chunk (short_pass_tokens).
        const bool into_l2 = n_tokens <= short_pass_tokens;
        for (std::size_t i = 0; i < m; ++i) {
            const wblock* row = reinterpret_cast<const wblock*>(w + (r + i) * w_stride);
            const char* next = r + RM + i < r1 ? reinterpret_cast<const char*>(w + (r + RM + i) * w_stride) : nullptr;
            for (std::size_t b = 0; b < nb; ++b) {
                if (next) prefetch_block_lines(next, b, sizeof(wblock), into_l2);
                buf[i * nb + b] = F::prepare(row[b]);
            }
        }
        for (std::size_t t = 0; t < n_tokens; t += RN) {
            const std::size_t n = std::min<std::size_t>(RN, n_tokens - t);
            table[(m - 1) * RN + (n - 1)](buf.data(), w + r * w_stride, w_stride, a + t * a_stride, a_stride, nb,
                                          y + t * y_stride + r, y_stride);
        }
    }
}

// Tile policy of a block format with two kernels: Gemv for one-token tiles, Gemm (the same
// arithmetic with more of the weight unpacking done once per block, for all tokens of a tile)
// for the others. A GEMM chunk prepares each row tile's blocks once for all its tokens
// (prepared_gemm).
template <class Gemv, class Gemm, int GemvRM, int GemmRM, int GemmRN>
struct split_block_policy {
    static constexpr int gemv_rm = GemvRM, gemm_rm = GemmRM, gemm_rn = GemmRN;
    static constexpr bool counts_elements = false;
    template <int RM, int RN>
    static void tile(const std::byte* w, std::size_t ws, const std::byte* a, std::size_t as, std::size_t k_units,
                     float* y, std::size_t ys) {
        if constexpr (RN == 1) block_tile<Gemv, RM, RN>(w, ws, a, as, k_units, y, ys);
        else block_tile<Gemm, RM, RN>(w, ws, a, as, k_units, y, ys);
    }
    static void gemm_chunk(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                           std::size_t as, std::size_t n_tokens, std::size_t nb, float* y, std::size_t ys) {
        prepared_gemm<Gemm, GemmRM, GemmRN>(w, ws, r0, r1, a, as, n_tokens, nb, y, ys);
    }
};

using tile_fn = void (*)(const std::byte*, std::size_t, const std::byte*, std::size_t, std::size_t, float*, std::size_t);

template <class P, int MaxRM, int MaxRN>
struct tile_table {
    template <std::size_t... I>
    static constexpr std::array<tile_fn, MaxRM * MaxRN> make(std::index_sequence<I...>) {
        return {&P::template tile<static_cast<int>(I / MaxRN) + 1, static_cast<int>(I % MaxRN) + 1>...};
    }
    static constexpr std::array<tile_fn, MaxRM * MaxRN> fns = make(std::make_index_sequence<MaxRM * MaxRN>{});
    static tile_fn get(std::size_t rm, std::size_t rn) { return fns[(rm - 1) * MaxRN + (rn - 1)]; }
};

// Rows [r0, r1) x n_tokens tokens through P's GEMM tile table, gemm_rm x gemm_rn outputs at a
// time (edge tiles from the smaller entries). y points at output (token 0, row 0).
template <class P>
inline void table_tiles(const std::byte* w, std::size_t w_stride, std::size_t r0, std::size_t r1, const std::byte* a,
                        std::size_t a_stride, std::size_t n_tokens, std::size_t k_units, float* y,
                        std::size_t y_stride) {
    constexpr int rm = P::gemm_rm, rn = P::gemm_rn;
    using table = tile_table<P, rm, rn>;
    for (std::size_t r = r0; r < r1; r += rm) {
        const std::size_t m = std::min<std::size_t>(rm, r1 - r);
        for (std::size_t t = 0; t < n_tokens; t += rn) {
            const std::size_t n = std::min<std::size_t>(rn, n_tokens - t);
            table::get(m, n)(w + r * w_stride, w_stride, a + t * a_stride, a_stride, k_units, y + t * y_stride + r,
                             y_stride);
        }
    }
}

// Rows [r0, r1) of the output for all n_tokens activation rows. k_units is what P::tile counts
// (blocks, or elements for float formats). y points at output (token 0, row 0).
template <class P>
inline void tiled_rows(const std::byte* w, std::size_t w_stride, std::size_t r0, std::size_t r1, const std::byte* a,
                       std::size_t a_stride, std::size_t n_tokens, std::size_t k_units, float* y,
                       std::size_t y_stride, const std::byte* token_side = nullptr) {
    if constexpr (requires { P::gemv(w, w_stride, r0, r1, a, k_units, y); }) {
        if (n_tokens == 1) return P::gemv(w, w_stride, r0, r1, a, k_units, y);
    }
    if (n_tokens == 1) {
        constexpr int rm = P::gemv_rm;
        using table = tile_table<P, rm, 1>;
        for (std::size_t r = r0; r < r1; r += rm) {
            const std::size_t m = std::min<std::size_t>(rm, r1 - r);
            table::get(m, 1)(w + r * w_stride, w_stride, a, a_stride, k_units, y + r, y_stride);
        }
        return;
    }
    // Chunks start on whole token tiles of the per-matmul side data, if the policy has one.
    constexpr std::size_t rn = [] {
        if constexpr (requires { P::token_tile; }) return std::lcm(std::size_t{P::gemm_rn}, std::size_t{P::token_tile});
        else return std::size_t{P::gemm_rn};
    }();
    // Token chunks whose activations stay in L2 (~192 KiB) while every row tile of this thread
    // walks over them; the weights of the row range are re-read once per chunk. A policy that
    // prepares (interleaves) its weights once per chunk may ask for longer chunks
    // (token_chunk_bytes), to pay that preparation for more tokens.
    constexpr std::size_t chunk_bytes = [] {
        if constexpr (requires { P::token_chunk_bytes; }) return std::size_t{P::token_chunk_bytes};
        else return std::size_t{192 * 1024};
    }();
    std::size_t chunk = std::max<std::size_t>(rn, chunk_bytes / std::max<std::size_t>(a_stride, 1) / rn * rn);
    for (std::size_t t0 = 0; t0 < n_tokens; t0 += chunk) {
        const std::size_t t1 = std::min(n_tokens, t0 + chunk);
        // A policy with per-token side data makes it once per chunk and walks the chunk itself;
        // one with per-matmul side data (token_side_bytes) reads the chunk's part of it.
        if constexpr (requires { P::token_side_bytes(n_tokens, k_units); }) {
            P::gemm_chunk(w, w_stride, r0, r1, a + t0 * a_stride, a_stride, t1 - t0, k_units, y + t0 * y_stride,
                          y_stride, P::token_side_at(token_side, t0, k_units));
            continue;
        } else if constexpr (requires { P::gemm_chunk(w, w_stride, r0, r1, a, a_stride, n_tokens, k_units, y, y_stride); }) {
            P::gemm_chunk(w, w_stride, r0, r1, a + t0 * a_stride, a_stride, t1 - t0, k_units, y + t0 * y_stride,
                          y_stride);
            continue;
        }
        table_tiles<P>(w, w_stride, r0, r1, a + t0 * a_stride, a_stride, t1 - t0, k_units, y + t0 * y_stride,
                       y_stride);
    }
}

}  // namespace cpu::detail
HEARTH_NAMESPACE_END
