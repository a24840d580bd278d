#pragma once
// The scale fitting of ggml's reference K-quant quantizers (make_qx_quants, make_q3_quants,
// make_qkx2_quants in ggml-quants.c) and the packing of K-quant sub-block scales.
// These decide every byte of a K-quant file, so they follow ggml's arithmetic step by step:
// same loop order, same float expressions, products rounded before they are summed (see
// float_order.hpp for why), ties broken the same way.
#include <hearth/config.hpp>
#include <hearth/quant/float_order.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace quant {

// Below this magnitude a group counts as all zero (ggml's GROUP_MAX_EPS).
inline constexpr float group_max_eps = 1e-15f;

namespace detail {
// The value of largest magnitude, the first one on a tie.
inline float signed_max_abs(int n, const float* x, float& amax) noexcept {
    float max = 0;
    amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    return max;
}
}  // namespace detail

// Symmetric fit of x to levels [-nmax, nmax-1] with weights x^2 (ggml's make_qx_quants with
// rmse_type 1 and no importance weights). L receives level + nmax. Returns the scale.
inline float make_qx_quants(int n, int nmax, const float* x, std::int8_t* L) noexcept {
    float amax;
    const float max = detail::signed_max_abs(n, x, amax);
    if (amax < group_max_eps) {
        std::fill(L, L + n, std::int8_t{0});
        return 0.f;
    }
    const auto level = [nmax](float v) { return std::max(-nmax, std::min(nmax - 1, nearest_int(v))); };
    float iscale = static_cast<float>(-nmax) / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = level(iscale * x[i]);
        L[i] = static_cast<std::int8_t>(l + nmax);
        const float w = x[i] * x[i];
        sumlx += product(w * x[i], static_cast<float>(l));
        suml2 += product(w * static_cast<float>(l), static_cast<float>(l));
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(static_cast<float>(nmax) + product(0.1f, static_cast<float>(is))) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            const int l = level(iscale * x[i]);
            const float w = x[i] * x[i];
            sumlx += product(w * x[i], static_cast<float>(l));
            suml2 += product(w * static_cast<float>(l), static_cast<float>(l));
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(nmax + level(iscale * x[i]));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// q3_K's fit (ggml's make_q3_quants with do_rmse): start from the max-based scale, then move single
// elements to a better level while that improves the weighted fit, at most 5 sweeps.
inline float make_q3_quants(int n, int nmax, const float* x, std::int8_t* L) noexcept {
    float amax;
    const float max = detail::signed_max_abs(n, x, amax);
    if (amax < group_max_eps) {
        std::fill(L, L + n, std::int8_t{0});
        return 0.f;
    }
    const auto clamp = [nmax](int l) { return std::max(-nmax, std::min(nmax - 1, l)); };
    const float iscale = static_cast<float>(-nmax) / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = clamp(nearest_int(iscale * x[i]));
        L[i] = static_cast<std::int8_t>(l);
        const float w = x[i] * x[i];
        sumlx += product(w * x[i], static_cast<float>(l));
        suml2 += product(w * static_cast<float>(l), static_cast<float>(l));
    }
    for (int itry = 0; itry < 5; ++itry) {
        int n_changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i];
            const float li = L[i];
            float slx = sumlx - product(w * x[i], li);
            if (slx > 0) {
                float sl2 = suml2 - product(w * li, li);
                const int new_l = clamp(nearest_int(x[i] * sl2 / slx));
                if (new_l != L[i]) {
                    const float nl = static_cast<float>(new_l);
                    slx += product(w * x[i], nl);
                    sl2 += product(w * nl, nl);
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = static_cast<std::int8_t>(new_l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++n_changed;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Asymmetric fit x ~ scale * L - the_min with L in [0, nmax] (ggml's make_qkx2_quants): start from
// the min/max scale, then try nstep+1 scales around it, each solved by weighted least squares for
// scale and min, keeping the one with the smallest weighted error (absolute if use_mad, else squared).
inline float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L,
                              float* the_min, std::uint8_t* Laux, float rmin, float rdelta, int nstep,
                              bool use_mad) noexcept {
    float min = x[0], max = x[0];
    float sum_w = weights[0];
    float sum_x = product(sum_w, x[0]);
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += weights[i];
        sum_x += product(weights[i], x[i]);
    }
    if (min > 0) min = 0;
    if (max == min) {
        std::fill(L, L + n, std::uint8_t{0});
        *the_min = -min;
        return 0.f;
    }
    const auto level = [nmax](float v) { return std::max(0, std::min(nmax, nearest_int(v))); };
    const auto error = [use_mad](float diff) { return use_mad ? std::fabs(diff) : diff * diff; };
    const float fnmax = static_cast<float>(nmax);
    float iscale = fnmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        L[i] = static_cast<std::uint8_t>(level(iscale * (x[i] - min)));
        const float diff = product(scale, static_cast<float>(L[i])) + min - x[i];
        best_error += product(weights[i], error(diff));
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + product(rdelta, static_cast<float>(is)) + fnmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            const int l = level(iscale * (x[i] - min));
            Laux[i] = static_cast<std::uint8_t>(l);
            const float w = weights[i], fl = static_cast<float>(l);
            sum_l += product(w, fl);
            sum_l2 += product(w * fl, fl);
            sum_xl += product(w * fl, x[i]);
        }
        const float D = product(sum_w, sum_l2) - product(sum_l, sum_l);
        if (D > 0) {
            float this_scale = (product(sum_w, sum_xl) - product(sum_x, sum_l)) / D;
            float this_min = (product(sum_l2, sum_x) - product(sum_l, sum_xl)) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; ++i) {
                const float diff = product(this_scale, static_cast<float>(Laux[i])) + this_min - x[i];
                cur_error += product(weights[i], error(diff));
            }
            if (cur_error < best_error) {
                std::memcpy(L, Laux, static_cast<std::size_t>(n));
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

// ---- sub-block scale packing ---------------------------------------------------------------
// q4_K / q5_K: 8 six-bit scales and 8 six-bit mins in 12 bytes. Bytes 0-3 hold scales 0-3 and
// bytes 4-7 mins 0-3 in their low 6 bits; bytes 8-11 hold the low nibbles of scale/min 4-7, whose
// top 2 bits sit in the top bits of bytes 0-3 (scales) and 4-7 (mins).
inline void k4_scale_min(int j, const std::uint8_t* q, std::uint8_t& sc, std::uint8_t& m) noexcept {
    if (j < 4) {
        sc = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        sc = static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        m = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}
inline void pack_k4_scales(std::uint8_t* q, const std::uint8_t* ls, const std::uint8_t* lm) noexcept {
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            q[j] = ls[j];
            q[j + 4] = lm[j];
        } else {
            q[j + 4] = static_cast<std::uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
            q[j - 4] = static_cast<std::uint8_t>(q[j - 4] | ((ls[j] >> 4) << 6));
            q[j] = static_cast<std::uint8_t>(q[j] | ((lm[j] >> 4) << 6));
        }
    }
}

// q3_K: 16 six-bit scales (stored biased by 32) in 12 bytes. Bytes 0-7 hold the low nibbles
// (scale j in byte j%8, high nibble for j >= 8); bytes 8-11 the top 2 bits, scale j in byte
// 8 + j%4 at bit 2*(j/4). Returns the unbiased scale in [-32, 31].
inline int q3_k_scale(int j, const std::uint8_t* s) noexcept {
    const int low = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
    const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (low | high << 4) - 32;
}
// Packs 16 biased scales (each in [0, 63]).
inline void pack_q3_k_scales(std::uint8_t* s, const int* biased) noexcept {
    std::memset(s, 0, 12);
    for (int j = 0; j < 16; ++j) {
        const int l = biased[j];
        if (j < 8)
            s[j] = static_cast<std::uint8_t>(l & 0xF);
        else
            s[j - 8] = static_cast<std::uint8_t>(s[j - 8] | (l & 0xF) << 4);
        s[8 + j % 4] = static_cast<std::uint8_t>(s[8 + j % 4] | (l >> 4) << (2 * (j / 4)));
    }
}

}  // namespace quant
HEARTH_NAMESPACE_END
