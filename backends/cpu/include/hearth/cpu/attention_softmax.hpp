#pragma once
// The online-softmax steps of one attention tile for all the queries of a work item at once.
//
// Each query's steps run in cell order (its running maximum and denominator are sequential),
// but the queries are independent: with the tile's scores stored cell-major (cell i's queries
// contiguous), a SIMD batch holds one cell of several queries and every step is the scalar
// step, lane by lane. Done per query, the steps were scalar compares, branches and one FMA chain
// (4 cycles a cell) each: a third of the attention's time in a prompt.
//
// The factors are the scalar steps' exactly: the same comparisons, the same subtractions, the
// same exps (one call over the tile), the same fused multiply-add for the denominator, so the
// accumulators see the same numbers in the same order whatever the lane width.
#include <hearth/cpu/kernels/kernels.hpp>
#include <hearth/cpu/simd.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cpu::detail {

// Lanes the softmax steps take at once (queries per batch); the query stride of a tile's
// arrays is a multiple of it.
template <class Arch>
constexpr std::size_t softmax_lanes() {
    if constexpr (has_float_simd<Arch>) return fbatch<Arch>::size;
    else return 1;
}

// table[mask * ld + q] = 1 when query q (token q / sub) sees a cell whose token bits are mask, for
// every mask of n_tokens bits; 0 for the padding queries q >= n_tokens * sub.
inline void make_sees_table(std::size_t n_tokens, std::size_t sub, std::size_t ld, float* table) {
    for (std::size_t mask = 0; mask < (std::size_t{1} << n_tokens); ++mask)
        for (std::size_t q = 0; q < ld; ++q)
            table[mask * ld + q] = q < n_tokens * sub && (mask >> (q / sub) & 1u) ? 1.0f : 0.0f;
}

// A tile of n cells and ld query slots, cell-major (cell i, query q at i * ld + q).
struct softmax_tile {
    std::size_t n, ld;
    const std::uint8_t* sees;  // per cell: token bits (see make_sees_table)
    const float* sees_table;
    float* scores;             // q.k in; scaled (and soft-capped) in place
    float* rescale;            // out: the factor the accumulator is multiplied by before the cell
    float* weight;             // out: the cell's value weight
    std::uint8_t* v_needed;    // out: some query gives the cell a nonzero weight
};

// The steps of every query over the tile: m and sum (ld each) are the running maxima and
// denominators, updated. A step is one exp: e^(m - sc) rescales the sum when the score sc is a
// new maximum, else e^(sc - m) weighs the cell; the maximum before each cell needs no exp, so the
// arguments are found first (weight, a new maximum marked by rescale 0), the exps taken in one
// call (the C library's bits, row_kernels::exp), and the steps finished in order.
template <class Arch>
void softmax_steps(const softmax_tile& t, float scale, float softcap, float* m, float* sum) {
    const std::size_t n = t.n, ld = t.ld;
    if (softcap > 0.0f) {
        for (std::size_t i = 0; i < n * ld; ++i) t.scores[i] = softcap * std::tanh(t.scores[i] * scale);
        scale = 1.0f;  // exact: x * 1 == x
    }
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        const B zero(0.0f), one(1.0f), sc_scale(scale);
        for (std::size_t q = 0; q < ld; q += B::size) {
            B mq = B::load_unaligned(m + q);
            for (std::size_t i = 0; i < n; ++i) {
                const auto seen = B::load_unaligned(t.sees_table + t.sees[i] * ld + q) != zero;
                const B sc = B::load_unaligned(t.scores + i * ld + q) * sc_scale;
                const auto is_new = seen && sc > mq;
                const B w = xsimd::select(is_new, mq - sc, sc - mq);
                xsimd::select(seen, w, zero).store_unaligned(t.weight + i * ld + q);
                xsimd::select(is_new, zero, one).store_unaligned(t.rescale + i * ld + q);
                mq = xsimd::select(is_new, sc, mq);
            }
            mq.store_unaligned(m + q);
        }
    } else {
        for (std::size_t q = 0; q < ld; ++q) {
            float mq = m[q];
            for (std::size_t i = 0; i < n; ++i) {
                const bool seen = t.sees_table[t.sees[i] * ld + q] != 0.0f;
                const float sc = t.scores[i * ld + q] * scale;
                const bool is_new = seen && sc > mq;
                t.weight[i * ld + q] = seen ? (is_new ? mq - sc : sc - mq) : 0.0f;
                t.rescale[i * ld + q] = is_new ? 0.0f : 1.0f;
                if (is_new) mq = sc;
            }
            m[q] = mq;
        }
    }
    if (!row_kernels<Arch>::exp(t.weight, t.weight, n * ld))
        for (std::size_t i = 0; i < n * ld; ++i) t.weight[i] = std::exp(t.weight[i]);
    for (std::size_t i = 0; i < n; ++i) t.v_needed[i] = 0;
    // S = S * ms + vs, fused, as llama.cpp's compiles with FMA (spelled out: whether a compiler
    // contracts a * b + c depends on the code around it).
    if constexpr (has_float_simd<Arch>) {
        using B = fbatch<Arch>;
        const B zero(0.0f), one(1.0f);
        for (std::size_t q = 0; q < ld; q += B::size) {
            B s = B::load_unaligned(sum + q);
            for (std::size_t i = 0; i < n; ++i) {
                const auto seen = B::load_unaligned(t.sees_table + t.sees[i] * ld + q) != zero;
                const B e = B::load_unaligned(t.weight + i * ld + q);
                const auto is_new = B::load_unaligned(t.rescale + i * ld + q) == zero;
                const B ms = xsimd::select(is_new, e, one), vs = xsimd::select(is_new, one, e);
                s = xsimd::select(seen, xsimd::fma(s, ms, vs), s);
                ms.store_unaligned(t.rescale + i * ld + q);
                vs.store_unaligned(t.weight + i * ld + q);
                t.v_needed[i] |= static_cast<std::uint8_t>(xsimd::any(seen && vs != zero));
            }
            s.store_unaligned(sum + q);
        }
    } else {
        for (std::size_t q = 0; q < ld; ++q) {
            float s = sum[q];
            for (std::size_t i = 0; i < n; ++i) {
                const bool seen = t.sees_table[t.sees[i] * ld + q] != 0.0f;
                const float e = t.weight[i * ld + q];
                const bool is_new = t.rescale[i * ld + q] == 0.0f;
                const float ms = is_new ? e : 1.0f, vs = is_new ? 1.0f : e;
                if (seen) s = std::fma(s, ms, vs);
                t.rescale[i * ld + q] = ms;
                t.weight[i * ld + q] = vs;
                t.v_needed[i] |= static_cast<std::uint8_t>(seen && vs != 0.0f);
            }
            sum[q] = s;
        }
    }
}

}  // namespace cpu::detail
HEARTH_NAMESPACE_END
