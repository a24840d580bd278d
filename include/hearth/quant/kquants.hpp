#pragma once
// Scalar quantize / dequantize of the K-quants (256-element super-blocks): q2_K, q3_K, q4_K, q5_K,
// q6_K and the q8_K activation format. Quantizers are ggml's reference quantizers
// (quantize_row_*_ref, used when llama.cpp quantizes without an importance matrix), step for step.
// Typed functions take a count of BLOCKS.
#include <hearth/config.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <hearth/quant/float_order.hpp>
#include <hearth/quant/kquant_fit.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace quant {

namespace detail {
// 2-bit fields of q2_K/q3_K: element 128*h + 32*s + l lives in byte 32*h + l at bit 2*s.
inline void pack_2bit(std::uint8_t* qs, const std::uint8_t* L) noexcept {
    for (int j = 0; j < 256; j += 128)
        for (int l = 0; l < 32; ++l)
            qs[j / 4 + l] = static_cast<std::uint8_t>(L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 |
                                                      L[j + l + 96] << 6);
}
inline int unpack_2bit(const std::uint8_t* qs, int e) noexcept {
    return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
}
}  // namespace detail

// ---- q2_K: x = d*scale*q - dmin*min, 16 sub-blocks of 16 ---------------------------------------
inline void quantize(const float* x, block_q2_k* y, std::size_t nblocks) noexcept {
    constexpr float q4scale = 15.f;
    for (std::size_t i = 0; i < nblocks; ++i, x += qk_k) {
        std::uint8_t L[qk_k], Laux[16];
        float weights[16], mins[16], scales[16];
        float max_scale = 0, max_min = 0;  // mins are subtracted, so both are >= 0
        for (int j = 0; j < 16; ++j) {
            for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
            scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f,
                                         15, true);
            max_scale = std::max(max_scale, scales[j]);
            max_min = std::max(max_min, mins[j]);
        }
        if (max_scale > 0) {
            const float iscale = q4scale / max_scale;
            for (int j = 0; j < 16; ++j) y[i].scales[j] = static_cast<std::uint8_t>(nearest_int(iscale * scales[j]));
            y[i].d = fp32_to_fp16(max_scale / q4scale);
        } else {
            std::memset(y[i].scales, 0, sizeof y[i].scales);
            y[i].d = fp32_to_fp16(0.f);
        }
        if (max_min > 0) {
            const float iscale = q4scale / max_min;
            for (int j = 0; j < 16; ++j)
                y[i].scales[j] = static_cast<std::uint8_t>(y[i].scales[j] | nearest_int(iscale * mins[j]) << 4);
            y[i].dmin = fp32_to_fp16(max_min / q4scale);
        } else {
            y[i].dmin = fp32_to_fp16(0.f);
        }
        // Requantize against the scales as stored (fp16 and 4-bit), not as fitted.
        for (int j = 0; j < 16; ++j) {
            const float d = fp16_to_fp32(y[i].d) * static_cast<float>(y[i].scales[j] & 0xF);
            if (d == 0.0f) continue;
            const float dm = product(fp16_to_fp32(y[i].dmin), static_cast<float>(y[i].scales[j] >> 4));
            for (int l = 0; l < 16; ++l)
                L[16 * j + l] = static_cast<std::uint8_t>(std::clamp(nearest_int((x[16 * j + l] + dm) / d), 0, 3));
        }
        detail::pack_2bit(y[i].qs, L);
    }
}
inline void dequantize(const block_q2_k* x, float* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, y += qk_k) {
        const float d = fp16_to_fp32(x[i].d), min = fp16_to_fp32(x[i].dmin);
        for (int e = 0; e < static_cast<int>(qk_k); ++e) {
            const std::uint8_t sc = x[i].scales[e / 16];
            const float dl = d * static_cast<float>(sc & 0xF), ml = product(min, static_cast<float>(sc >> 4));
            y[e] = product(dl, static_cast<float>(detail::unpack_2bit(x[i].qs, e))) - ml;
        }
    }
}

// ---- q3_K: x = d*scale*(q - 4), q = 2 low bits + 1 high bit (hmask), 16 sub-blocks of 16 --------
inline void quantize(const float* x, block_q3_k* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, x += qk_k) {
        std::int8_t L[qk_k];
        float scales[16];
        float max_scale = 0, amax = 0;
        for (int j = 0; j < 16; ++j) {
            scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
            if (std::fabs(scales[j]) > amax) {
                amax = std::fabs(scales[j]);
                max_scale = scales[j];
            }
        }
        std::memset(y[i].scales, 0, sizeof y[i].scales);
        if (max_scale != 0.0f) {
            const float iscale = -32.f / max_scale;
            int biased[16];
            for (int j = 0; j < 16; ++j) {
                // ggml stores nearest_int into an int8 before clamping; |value| <= 32 here.
                const auto l = static_cast<std::int8_t>(nearest_int(iscale * scales[j]));
                biased[j] = std::clamp(static_cast<int>(l), -32, 31) + 32;
            }
            pack_q3_k_scales(y[i].scales, biased);
            y[i].d = fp32_to_fp16(1 / iscale);
        } else {
            y[i].d = fp32_to_fp16(0.f);
        }
        for (int j = 0; j < 16; ++j) {
            const float d = fp16_to_fp32(y[i].d) * static_cast<float>(q3_k_scale(j, y[i].scales));
            if (d == 0.0f) continue;
            for (int l = 0; l < 16; ++l)
                L[16 * j + l] = static_cast<std::int8_t>(std::clamp(nearest_int(x[16 * j + l] / d), -4, 3) + 4);
        }
        // High bit of element j goes to hmask[j % 32], bit j / 32; the low 2 bits are packed like q2_K.
        std::memset(y[i].hmask, 0, sizeof y[i].hmask);
        std::uint8_t low[qk_k];
        for (int j = 0; j < static_cast<int>(qk_k); ++j) {
            int l = L[j];
            if (l > 3) {
                y[i].hmask[j % 32] = static_cast<std::uint8_t>(y[i].hmask[j % 32] | 1 << (j / 32));
                l -= 4;
            }
            low[j] = static_cast<std::uint8_t>(l);
        }
        detail::pack_2bit(y[i].qs, low);
    }
}
inline void dequantize(const block_q3_k* x, float* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, y += qk_k) {
        const float d_all = fp16_to_fp32(x[i].d);
        for (int e = 0; e < static_cast<int>(qk_k); ++e) {
            const float dl = d_all * static_cast<float>(q3_k_scale(e / 16, x[i].scales));
            const int high = (x[i].hmask[e % 32] >> (e / 32)) & 1;
            const int q = detail::unpack_2bit(x[i].qs, e) - (high ? 0 : 4);
            y[e] = dl * static_cast<float>(q);
        }
    }
}

// ---- q4_K / q5_K: x = d*scale*q - dmin*min, 8 sub-blocks of 32 with 6-bit scales and mins -----
namespace detail {
// The shared scale fitting of q4_K (nmax 15) and q5_K (nmax 31); L receives the final levels.
inline void fit_k4_block(const float* x, int nmax, float rmin, int nstep, std::uint8_t* L, std::uint8_t* packed,
                         f16_bits& d_out, f16_bits& dmin_out) noexcept {
    float weights[32], mins[8], scales[8];
    std::uint8_t Laux[32];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; ++l) sum_x2 += product(x[32 * j + l], x[32 * j + l]);
        const float av_x = std::sqrt(sum_x2 / 32);
        for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
        scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, 0.1f, nstep,
                                     false);
        max_scale = std::max(max_scale, scales[j]);
        max_min = std::max(max_min, mins[j]);
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    std::uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; ++j) {
        // ggml narrows nearest_int to uint8 before the clamp to 63.
        ls[j] = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_scale * scales[j])));
        lm[j] = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_min * mins[j])));
    }
    pack_k4_scales(packed, ls, lm);
    d_out = fp32_to_fp16(max_scale / 63.f);
    dmin_out = fp32_to_fp16(max_min / 63.f);
    for (int j = 0; j < 8; ++j) {
        std::uint8_t sc, m;
        k4_scale_min(j, packed, sc, m);
        const float d = fp16_to_fp32(d_out) * static_cast<float>(sc);
        if (d == 0.0f) continue;
        const float dm = product(fp16_to_fp32(dmin_out), static_cast<float>(m));
        for (int l = 0; l < 32; ++l)
            L[32 * j + l] = static_cast<std::uint8_t>(std::clamp(nearest_int((x[32 * j + l] + dm) / d), 0, nmax));
    }
}
}  // namespace detail

inline void quantize(const float* x, block_q4_k* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, x += qk_k) {
        std::uint8_t L[qk_k];
        detail::fit_k4_block(x, 15, -1.f, 20, L, y[i].scales, y[i].d, y[i].dmin);
        // Each 64-element chunk: 32 bytes, first 32 elements in the low nibbles, next 32 in the high.
        for (int j = 0; j < static_cast<int>(qk_k); j += 64)
            for (int l = 0; l < 32; ++l) y[i].qs[j / 2 + l] = static_cast<std::uint8_t>(L[j + l] | L[j + l + 32] << 4);
    }
}
inline void dequantize(const block_q4_k* x, float* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, y += qk_k) {
        const float d = fp16_to_fp32(x[i].d), min = fp16_to_fp32(x[i].dmin);
        for (int j = 0; j < 8; ++j) {
            std::uint8_t sc, m;
            k4_scale_min(j, x[i].scales, sc, m);
            const float dj = d * static_cast<float>(sc), mj = product(min, static_cast<float>(m));
            const std::uint8_t* q = x[i].qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            for (int l = 0; l < 32; ++l) y[32 * j + l] = product(dj, static_cast<float>((q[l] >> shift) & 0xF)) - mj;
        }
    }
}

inline void quantize(const float* x, block_q5_k* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, x += qk_k) {
        std::uint8_t L[qk_k];
        detail::fit_k4_block(x, 31, -0.5f, 15, L, y[i].scales, y[i].d, y[i].dmin);
        // Low 4 bits as in q4_K; the 5th bit of element 32*j + l is bit j of qh[l].
        std::memset(y[i].qh, 0, sizeof y[i].qh);
        for (int j = 0; j < 8; ++j)
            for (int l = 0; l < 32; ++l)
                if (L[32 * j + l] > 15) y[i].qh[l] = static_cast<std::uint8_t>(y[i].qh[l] | 1 << j);
        for (int j = 0; j < static_cast<int>(qk_k); j += 64)
            for (int l = 0; l < 32; ++l)
                y[i].qs[j / 2 + l] = static_cast<std::uint8_t>((L[j + l] & 0xF) | (L[j + l + 32] & 0xF) << 4);
    }
}
inline void dequantize(const block_q5_k* x, float* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, y += qk_k) {
        const float d = fp16_to_fp32(x[i].d), min = fp16_to_fp32(x[i].dmin);
        for (int j = 0; j < 8; ++j) {
            std::uint8_t sc, m;
            k4_scale_min(j, x[i].scales, sc, m);
            const float dj = d * static_cast<float>(sc), mj = product(min, static_cast<float>(m));
            const std::uint8_t* q = x[i].qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            for (int l = 0; l < 32; ++l) {
                const int v = ((q[l] >> shift) & 0xF) + ((x[i].qh[l] >> j) & 1) * 16;
                y[32 * j + l] = product(dj, static_cast<float>(v)) - mj;
            }
        }
    }
}

// ---- q6_K: x = d*scale*(q - 32), q = 4 low bits (ql) + 2 high bits (qh), 16 sub-blocks of 16 ----
namespace detail {
// Element 128*h + 32*s + l: low nibble in ql[64*h + l + 32*(s%2)] (high nibble when s >= 2),
// top 2 bits in qh[32*h + l] at bit 2*s.
inline int q6_k_level(const block_q6_k& b, int e) noexcept {
    const int h = e / 128, s = (e % 128) / 32, l = e % 32;
    const int low = (b.ql[64 * h + l + 32 * (s % 2)] >> (4 * (s / 2))) & 0xF;
    const int high = (b.qh[32 * h + l] >> (2 * s)) & 3;
    return low | high << 4;
}
}  // namespace detail

inline void quantize(const float* x, block_q6_k* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, x += qk_k) {
        std::int8_t L[qk_k];
        float scales[16];
        float max_scale = 0, max_abs_scale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
            if (std::fabs(scales[ib]) > max_abs_scale) {
                max_abs_scale = std::fabs(scales[ib]);
                max_scale = scales[ib];
            }
        }
        if (max_abs_scale < group_max_eps) {
            std::memset(&y[i], 0, sizeof y[i]);
            y[i].d = fp32_to_fp16(0.f);
            continue;
        }
        const float iscale = -128.f / max_scale;
        y[i].d = fp32_to_fp16(1 / iscale);
        for (int ib = 0; ib < 16; ++ib)
            y[i].scales[ib] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
        for (int j = 0; j < 16; ++j) {
            const float d = fp16_to_fp32(y[i].d) * static_cast<float>(y[i].scales[j]);
            if (d == 0.0f) continue;
            for (int l = 0; l < 16; ++l)
                L[16 * j + l] = static_cast<std::int8_t>(std::clamp(nearest_int(x[16 * j + l] / d), -32, 31) + 32);
        }
        for (int h = 0; h < 2; ++h) {
            const std::int8_t* Lh = L + 128 * h;
            for (int l = 0; l < 32; ++l) {
                y[i].ql[64 * h + l] = static_cast<std::uint8_t>((Lh[l] & 0xF) | (Lh[l + 64] & 0xF) << 4);
                y[i].ql[64 * h + l + 32] = static_cast<std::uint8_t>((Lh[l + 32] & 0xF) | (Lh[l + 96] & 0xF) << 4);
                y[i].qh[32 * h + l] = static_cast<std::uint8_t>((Lh[l] >> 4) | (Lh[l + 32] >> 4) << 2 |
                                                                (Lh[l + 64] >> 4) << 4 | (Lh[l + 96] >> 4) << 6);
            }
        }
    }
}
inline void dequantize(const block_q6_k* x, float* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, y += qk_k) {
        const float d = fp16_to_fp32(x[i].d);
        for (int e = 0; e < static_cast<int>(qk_k); ++e) {
            // ggml: (d * scale) * q, in that order.
            const float ds = d * static_cast<float>(x[i].scales[e / 16]);
            y[e] = ds * static_cast<float>(detail::q6_k_level(x[i], e) - 32);
        }
    }
}

// ---- q8_K: activations for K-quant dot products; x = d * q, float d --------------------------
inline void quantize(const float* x, block_q8_k* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, x += qk_k) {
        float amax;
        const float max = detail::signed_max_abs(static_cast<int>(qk_k), x, amax);
        if (amax == 0.0f) {
            y[i].d = 0;
            std::memset(y[i].qs, 0, sizeof y[i].qs);
            std::memset(y[i].bsums, 0, sizeof y[i].bsums);  // ggml leaves them unwritten; zero is their value
            continue;
        }
        // -127 (not -128) so that every quant fits a symmetric int8 range.
        const float iscale = -127.f / max;
        for (int j = 0; j < static_cast<int>(qk_k); ++j)
            y[i].qs[j] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * x[j])));
        for (int j = 0; j < 16; ++j) {
            int sum = 0;
            for (int l = 0; l < 16; ++l) sum += y[i].qs[16 * j + l];
            y[i].bsums[j] = static_cast<std::int16_t>(sum);
        }
        y[i].d = 1 / iscale;
    }
}
inline void dequantize(const block_q8_k* x, float* y, std::size_t nblocks) noexcept {
    for (std::size_t i = 0; i < nblocks; ++i, y += qk_k)
        for (int j = 0; j < static_cast<int>(qk_k); ++j) y[j] = x[i].d * static_cast<float>(x[i].qs[j]);
}

}  // namespace quant
HEARTH_NAMESPACE_END
