#pragma once
// AVX2 GEMM of q8_0 with eight weight rows interleaved in each register (as avx2_q4_0x8.hpp does
// for q4_0), unpacked once per token chunk into a per-thread buffer: dword j of a vector holds 4
// consecutive weights of row j, so one vpmaddubsw against 4 broadcast activation bytes makes 32
// products for 8 rows.
//
// Float order: unlike q4_0's GEMM, this one keeps llama.cpp's order (ggml_vec_dot_q8_0_q8_0 and
// tinyBLAS alike): per row, 8 float lanes, lane c accumulating with one FMA per block the exact
// integer sum of elements 4c .. 4c+3 times d_w d_a, and the lanes added up at the end as hsum
// does. Here lane c of a row is lane j of accumulator c, so the 8 accumulators of a token hold
// 8 rows, and their vertical sum in hsum's tree gives each row the bits of the per-row tiles and
// of the GEMV (and llama.cpp's). Against the 4 x 2 per-row tile it saves the broadcasts of
// scales, the per-block scale products and the horizontal sums, and needs no register spills:
// 512 x 2048, 1 thread, 7 tokens 41-44 -> 57 GFLOP/s; 96 and 512 tokens, within this machine's
// noise of the per-row tile (66-70 -> 68-72).
#include <hearth/cpu/kernels/avx2_k4x8.hpp>
#include <hearth/cpu/kernels/avx2_legacy.hpp>
#include <hearth/cpu/kernels/tile.hpp>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

// One 32-element block of 8 rows, interleaved.
struct q8_0x8_block {
    __m256i q[8];    // chunk c (elements 4c .. 4c+3): dword j = row j's 4 weights
    __m256i abs[8];  // the same as unsigned magnitudes (|-128| reads as 128)
    __m256 d;        // lane j: row j's scale
};

struct q8_0x8 {
    static void prepare(const quant::block_q8_0* const (&rows)[8], q8_0x8_block& out) noexcept {
        alignas(32) float d[8];
        for (int j = 0; j < 8; ++j) {
            out.q[j] = load256(rows[j]->qs);
            d[j] = half(rows[j]->d);
        }
        transpose_8x8_epi32(out.q);
        for (int c = 0; c < 8; ++c) out.abs[c] = _mm256_sign_epi8(out.q[c], out.q[c]);
        out.d = _mm256_load_ps(d);
    }

    // y[j] for the 8 rows of p (nb prepared blocks) and one token's q8_0 activations a. One
    // token per call: its 8 accumulators (one per 4-element chunk) fill half the registers. (Two
    // tokens in two passes over the blocks, chunks 0-3 then 4-7, sharing each weight load, measured
    // no faster.)
    static void tile(const q8_0x8_block* p, const std::byte* a, std::size_t nb, float* y) noexcept {
        const auto* act = reinterpret_cast<const quant::block_q8_0*>(a);
        const __m256i ones = _mm256_set1_epi16(1);
        __m256 acc[8];
        for (int c = 0; c < 8; ++c) acc[c] = _mm256_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            const q8_0x8_block& w = p[b];
            const __m256 dd = _mm256_mul_ps(w.d, _mm256_set1_ps(half(act[b].d)));  // d_w d_a per row
            for (int c = 0; c < 8; ++c) {
                // |w| * (a * sign w) = w * a, the sign trick of q8_0_gemm_kernel.
                const __m256i signed_a = _mm256_sign_epi8(broadcast_dword(act[b].qs + 4 * c), w.q[c]);
                const __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(w.abs[c], signed_a), ones);
                acc[c] = _mm256_fmadd_ps(dd, _mm256_cvtepi32_ps(sums), acc[c]);
            }
        }
        // hsum's tree, lane-wise: ((x0 + x4) + (x2 + x6)) + ((x1 + x5) + (x3 + x7)).
        const __m256 even = _mm256_add_ps(_mm256_add_ps(acc[0], acc[4]), _mm256_add_ps(acc[2], acc[6]));
        const __m256 odd = _mm256_add_ps(_mm256_add_ps(acc[1], acc[5]), _mm256_add_ps(acc[3], acc[7]));
        _mm256_storeu_ps(y, _mm256_add_ps(even, odd));
    }
};

// q8_0's tile policy on AVX2: split_block_policy (GEMV kernel, per-row prepared GEMM tiles),
// with the GEMM's whole groups of 8 rows through q8_0x8 and the rows after the last group
// through the per-row tiles.
template <class Gemv, class Gemm, int GemvRM, int GemmRM, int GemmRN>
struct q8_0x8_policy : detail::split_block_policy<Gemv, Gemm, GemvRM, GemmRM, GemmRN> {
    static void gemm_chunk(const std::byte* w, std::size_t ws, std::size_t r0, std::size_t r1, const std::byte* a,
                           std::size_t as, std::size_t n_tokens, std::size_t nb, float* y, std::size_t ys) {
        const std::size_t r = for_each_group8<q8_0x8, quant::block_q8_0, q8_0x8_block>(
            w, ws, r0, r1, nb, [&](const q8_0x8_block* blocks, std::size_t g) {
                for (std::size_t t = 0; t < n_tokens; ++t) q8_0x8::tile(blocks, a + t * as, nb, y + t * ys + g);
            });
        if (r < r1) detail::prepared_gemm<Gemm, GemmRM, GemmRN>(w, ws, r, r1, a, as, n_tokens, nb, y, ys);
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
