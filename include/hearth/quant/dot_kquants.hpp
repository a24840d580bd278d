#pragma once
// Scalar reference dot products of the K-quants with q8_K activations, computing what ggml's
// ggml_vec_dot_q*_K_q8_K_generic compute: exact integer sums per super-block, the min term from
// q8_K's bsums, and for q3_K..q6_K the float accumulation in 8 lanes (sums[l] += d * aux32[l],
// lane = element index mod 8) added up at the end, the same rounding order as ggml.
// Typed functions take a count of BLOCKS.
#include <hearth/config.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <hearth/quant/kquant_fit.hpp>
#include <hearth/quant/kquants.hpp>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace quant {

namespace detail {
// The 8-lane accumulation shared by q3_K..q6_K: a[] holds the 256 signed weight levels, scale(j)
// the integer scale of the 16-element group j. Adds this block's contribution to sums[8].
template <class Scale>
inline void accumulate_k_lanes(const std::int8_t* a, const std::int8_t* q8, Scale scale, float d,
                               float* sums) noexcept {
    std::int32_t aux32[8] = {};
    for (int j = 0; j < 16; ++j) {
        const int s = scale(j);
        for (int half = 0; half < 2; ++half)
            for (int l = 0; l < 8; ++l) {
                const int e = 16 * j + 8 * half + l;
                aux32[l] += s * (q8[e] * a[e]);
            }
    }
    for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(aux32[l]);
}
// ggml adds the lanes one by one onto what is already in its sum (the K4 min terms).
inline float add_lanes(float sumf, const float* sums) noexcept {
    for (int l = 0; l < 8; ++l) sumf += sums[l];
    return sumf;
}
}  // namespace detail

inline float vec_dot_q2_k_q8_k(const block_q2_k* x, const block_q8_k* y, std::size_t nblocks) noexcept {
    float sumf = 0;
    for (std::size_t i = 0; i < nblocks; ++i) {
        int summs = 0;
        for (int j = 0; j < 16; ++j) summs += y[i].bsums[j] * (x[i].scales[j] >> 4);
        const float dall = y[i].d * fp16_to_fp32(x[i].d);
        const float dmin = y[i].d * fp16_to_fp32(x[i].dmin);
        int isum = 0;
        for (int j = 0; j < 16; ++j) {
            int isuml = 0;
            for (int l = 0; l < 16; ++l) {
                const int e = 16 * j + l;
                isuml += y[i].qs[e] * detail::unpack_2bit(x[i].qs, e);
            }
            isum += (x[i].scales[j] & 0xF) * isuml;
        }
        sumf += dall * static_cast<float>(isum) - dmin * static_cast<float>(summs);
    }
    return sumf;
}

inline float vec_dot_q3_k_q8_k(const block_q3_k* x, const block_q8_k* y, std::size_t nblocks) noexcept {
    float sums[8] = {};
    for (std::size_t i = 0; i < nblocks; ++i) {
        std::int8_t a[qk_k];
        for (int e = 0; e < static_cast<int>(qk_k); ++e) {
            const int high = (x[i].hmask[e % 32] >> (e / 32)) & 1;
            a[e] = static_cast<std::int8_t>(detail::unpack_2bit(x[i].qs, e) - (high ? 0 : 4));
        }
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        detail::accumulate_k_lanes(a, y[i].qs, [&](int j) { return q3_k_scale(j, x[i].scales); }, d, sums);
    }
    return detail::add_lanes(0.0f, sums);
}

namespace detail {
// q4_K and q5_K share everything but the 5th bit; minus the min term, which uses bsums.
template <class Block, class Level>
inline float vec_dot_k4_q8_k(const Block* x, const block_q8_k* y, std::size_t nblocks, Level level) noexcept {
    float sums[8] = {};
    float sumf = 0;
    for (std::size_t i = 0; i < nblocks; ++i) {
        std::int8_t a[qk_k];
        for (int e = 0; e < static_cast<int>(qk_k); ++e) a[e] = static_cast<std::int8_t>(level(x[i], e));
        std::uint8_t sc[8], mn[8];
        for (int j = 0; j < 8; ++j) k4_scale_min(j, x[i].scales, sc[j], mn[j]);
        int sumi = 0;
        for (int j = 0; j < 16; ++j) sumi += y[i].bsums[j] * mn[j / 2];
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        accumulate_k_lanes(a, y[i].qs, [&](int j) { return static_cast<int>(sc[j / 2]); }, d, sums);
        const float dmin = fp16_to_fp32(x[i].dmin) * y[i].d;
        sumf -= dmin * static_cast<float>(sumi);
    }
    return add_lanes(sumf, sums);
}
}  // namespace detail

inline float vec_dot_q4_k_q8_k(const block_q4_k* x, const block_q8_k* y, std::size_t nblocks) noexcept {
    return detail::vec_dot_k4_q8_k(x, y, nblocks, [](const block_q4_k& b, int e) {
        return (b.qs[32 * (e / 64) + e % 32] >> (4 * ((e / 32) % 2))) & 0xF;
    });
}

inline float vec_dot_q5_k_q8_k(const block_q5_k* x, const block_q8_k* y, std::size_t nblocks) noexcept {
    return detail::vec_dot_k4_q8_k(x, y, nblocks, [](const block_q5_k& b, int e) {
        const int low = (b.qs[32 * (e / 64) + e % 32] >> (4 * ((e / 32) % 2))) & 0xF;
        return low + ((b.qh[e % 32] >> (e / 32)) & 1) * 16;
    });
}

inline float vec_dot_q6_k_q8_k(const block_q6_k* x, const block_q8_k* y, std::size_t nblocks) noexcept {
    float sums[8] = {};
    for (std::size_t i = 0; i < nblocks; ++i) {
        std::int8_t a[qk_k];
        for (int e = 0; e < static_cast<int>(qk_k); ++e)
            a[e] = static_cast<std::int8_t>(detail::q6_k_level(x[i], e) - 32);
        const float d = fp16_to_fp32(x[i].d) * y[i].d;
        detail::accumulate_k_lanes(a, y[i].qs, [&](int j) { return static_cast<int>(x[i].scales[j]); }, d, sums);
    }
    return detail::add_lanes(0.0f, sums);
}

}  // namespace quant
HEARTH_NAMESPACE_END
