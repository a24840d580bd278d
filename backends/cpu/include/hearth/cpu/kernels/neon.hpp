#pragma once
// AArch64 NEON + dotprod kernels: q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl, q4_K, q5_K, q6_K (the
// others and the activation quantizers use the scalar reference; float weights use Highway).
//
// sdot (vdotq_s32) multiplies signed bytes directly, so unlike AVX2 no sign trick is needed: each
// 16-byte vector gives 4 int32 partial sums. Neither xsimd nor Highway 1.0 expose sdot, hence
// the named helper below.
#include <hearth/cpu/kernels/format.hpp>
#include <hearth/cpu/kernels/hwy_float.hpp>
#include <hearth/cpu/kernels/hwy_rows.hpp>
#include <hearth/cpu/kernels/scalar.hpp>
#include <hearth/cpu/kernels/tile.hpp>
#include <hearth/quant/blocks.hpp>
#include <arm_neon.h>
#include <bit>
#include <cstring>

HEARTH_NAMESPACE_BEGIN
namespace cpu::neon_detail {

// acc += 16 signed bytes a . 16 signed bytes b, in 4 int32 lanes of 4 products each.
inline int32x4_t sdot(int32x4_t acc, int8x16_t a, int8x16_t b) noexcept { return vdotq_s32(acc, a, b); }

inline float half(std::uint16_t h) noexcept { return static_cast<float>(std::bit_cast<__fp16>(h)); }

struct vec_acc {
    using acc = float32x4_t;
    static acc zero() noexcept { return vdupq_n_f32(0.0f); }
    static float reduce(acc a) noexcept { return vaddvq_f32(a); }
};

// 16 packed bytes -> low nibbles (elements 0..15) and high nibbles (16..31), unsigned.
struct nibbles { int8x16_t lo, hi; };
inline nibbles unpack_nibbles(const std::uint8_t* p) noexcept {
    const uint8x16_t v = vld1q_u8(p);
    return {vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0f))), vreinterpretq_s8_u8(vshrq_n_u8(v, 4))};
}

// Bits 16*half .. 16*half+15 of the q5 high-bit mask -> 16 bytes, 0x10 where the bit is set.
inline int8x16_t high_bits_x10(std::uint32_t qh, int half) noexcept {
    const uint8x8_t b0 = vdup_n_u8(static_cast<std::uint8_t>(qh >> (16 * half)));
    const uint8x8_t b1 = vdup_n_u8(static_cast<std::uint8_t>(qh >> (16 * half + 8)));
    static constexpr std::uint8_t bit_of[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t set = vtstq_u8(vcombine_u8(b0, b1), vld1q_u8(bit_of));
    return vreinterpretq_s8_u8(vandq_u8(set, vdupq_n_u8(0x10)));
}

inline std::uint32_t load_u32(const std::uint8_t* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// ---- 32-element formats ----------------------------------------------------------------------
struct q4_0_kernel : vec_acc {
    using wblock = quant::block_q4_0;
    using ablock = quant::block_q8_0;
    struct prepared { int8x16_t lo, hi; float d; };
    static prepared prepare(const wblock& w) noexcept {
        const auto n = unpack_nibbles(w.qs);
        const int8x16_t eight = vdupq_n_s8(8);
        return {vsubq_s8(n.lo, eight), vsubq_s8(n.hi, eight), half(w.d)};
    }
    static acc dot(const prepared& p, const wblock&, const ablock& a, acc s) noexcept {
        const int32x4_t sum = sdot(sdot(vdupq_n_s32(0), p.lo, vld1q_s8(a.qs)), p.hi, vld1q_s8(a.qs + 16));
        return vfmaq_n_f32(s, vcvtq_f32_s32(sum), p.d * half(a.d));
    }
};

struct q4_1_kernel : vec_acc {
    using wblock = quant::block_q4_1;
    using ablock = quant::block_q8_1;
    struct prepared { int8x16_t lo, hi; float d, m; };
    static prepared prepare(const wblock& w) noexcept {
        const auto n = unpack_nibbles(w.qs);
        return {n.lo, n.hi, half(w.d), half(w.m)};
    }
    static acc dot(const prepared& p, const wblock&, const ablock& a, acc s) noexcept {
        const int32x4_t sum = sdot(sdot(vdupq_n_s32(0), p.lo, vld1q_s8(a.qs)), p.hi, vld1q_s8(a.qs + 16));
        // m * s_a spread over the 4 lanes (exact: a power-of-two division).
        s = vaddq_f32(s, vdupq_n_f32(p.m * half(a.s) * 0.25f));
        return vfmaq_n_f32(s, vcvtq_f32_s32(sum), p.d * half(a.d));
    }
};

struct q5_0_kernel : vec_acc {
    using wblock = quant::block_q5_0;
    using ablock = quant::block_q8_0;
    struct prepared { int8x16_t lo, hi; float d; };
    static prepared prepare(const wblock& w) noexcept {
        const auto n = unpack_nibbles(w.qs);
        const std::uint32_t qh = load_u32(w.qh);
        const int8x16_t sixteen = vdupq_n_s8(16);
        return {vsubq_s8(vorrq_s8(n.lo, high_bits_x10(qh, 0)), sixteen),
                vsubq_s8(vorrq_s8(n.hi, high_bits_x10(qh, 1)), sixteen), half(w.d)};
    }
    static acc dot(const prepared& p, const wblock&, const ablock& a, acc s) noexcept {
        const int32x4_t sum = sdot(sdot(vdupq_n_s32(0), p.lo, vld1q_s8(a.qs)), p.hi, vld1q_s8(a.qs + 16));
        return vfmaq_n_f32(s, vcvtq_f32_s32(sum), p.d * half(a.d));
    }
};

struct q5_1_kernel : vec_acc {
    using wblock = quant::block_q5_1;
    using ablock = quant::block_q8_1;
    struct prepared { int8x16_t lo, hi; float d, m; };
    static prepared prepare(const wblock& w) noexcept {
        const auto n = unpack_nibbles(w.qs);
        const std::uint32_t qh = load_u32(w.qh);
        return {vorrq_s8(n.lo, high_bits_x10(qh, 0)), vorrq_s8(n.hi, high_bits_x10(qh, 1)), half(w.d), half(w.m)};
    }
    static acc dot(const prepared& p, const wblock&, const ablock& a, acc s) noexcept {
        const int32x4_t sum = sdot(sdot(vdupq_n_s32(0), p.lo, vld1q_s8(a.qs)), p.hi, vld1q_s8(a.qs + 16));
        s = vaddq_f32(s, vdupq_n_f32(p.m * half(a.s) * 0.25f));
        return vfmaq_n_f32(s, vcvtq_f32_s32(sum), p.d * half(a.d));
    }
};

struct q8_0_kernel : vec_acc {
    using wblock = quant::block_q8_0;
    using ablock = quant::block_q8_0;
    struct prepared { int8x16_t lo, hi; float d; };
    static prepared prepare(const wblock& w) noexcept { return {vld1q_s8(w.qs), vld1q_s8(w.qs + 16), half(w.d)}; }
    static acc dot(const prepared& p, const wblock&, const ablock& a, acc s) noexcept {
        const int32x4_t sum = sdot(sdot(vdupq_n_s32(0), p.lo, vld1q_s8(a.qs)), p.hi, vld1q_s8(a.qs + 16));
        return vfmaq_n_f32(s, vcvtq_f32_s32(sum), p.d * half(a.d));
    }
};

struct iq4_nl_kernel : vec_acc {
    using wblock = quant::block_iq4_nl;
    using ablock = quant::block_q8_0;
    struct prepared { int8x16_t lo, hi; float d; };
    static prepared prepare(const wblock& w) noexcept {
        const int8x16_t table = vld1q_s8(quant::kvalues_iq4nl.data());
        const uint8x16_t v = vld1q_u8(w.qs);
        return {vqtbl1q_s8(table, vandq_u8(v, vdupq_n_u8(0x0f))), vqtbl1q_s8(table, vshrq_n_u8(v, 4)), half(w.d)};
    }
    static acc dot(const prepared& p, const wblock&, const ablock& a, acc s) noexcept {
        const int32x4_t sum = sdot(sdot(vdupq_n_s32(0), p.lo, vld1q_s8(a.qs)), p.hi, vld1q_s8(a.qs + 16));
        return vfmaq_n_f32(s, vcvtq_f32_s32(sum), p.d * half(a.d));
    }
};

// ---- K-quants ----------------------------------------------------------------------------------
struct no_prep {};

// q4_K / q5_K 12-byte packing -> 8 scales (bytes 0..7) and 8 mins (bytes 8..15).
inline void unpack_scales_mins_k4(const std::uint8_t* packed, std::uint8_t out[16]) noexcept {
    std::uint32_t u[3];
    std::memcpy(u, packed, 12);
    constexpr std::uint32_t six = 0x3f3f3f3f, low4 = 0x0f0f0f0f, top2 = 0x03030303;
    const std::uint32_t v[4] = {u[0] & six, (u[2] & low4) | (((u[0] >> 6) & top2) << 4), u[1] & six,
                                ((u[2] >> 4) & low4) | (((u[1] >> 6) & top2) << 4)};
    std::memcpy(out, v, 16);
}

// sum over 8 sub-blocks of 32: min_j * (bsums[2j] + bsums[2j+1]).
inline std::int32_t k4_min_dot(const std::uint8_t* mins, const std::int16_t* bsums) noexcept {
    const int16x8_t pair = vpaddq_s16(vld1q_s16(bsums), vld1q_s16(bsums + 8));
    const int16x8_t m = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(mins)));
    const int32x4_t prod = vmlal_s16(vmull_s16(vget_low_s16(m), vget_low_s16(pair)), vget_high_s16(m), vget_high_s16(pair));
    return vaddvq_s32(prod);
}

template <bool five>
struct k4_kernel : vec_acc {
    using wblock = std::conditional_t<five, quant::block_q5_k, quant::block_q4_k>;
    using ablock = quant::block_q8_k;
    using prepared = no_prep;
    static prepared prepare(const wblock&) noexcept { return {}; }
    static acc dot(const prepared&, const wblock& w, const ablock& a, acc s) noexcept {
        std::uint8_t sm[16];
        unpack_scales_mins_k4(w.scales, sm);
        const std::int32_t mins = k4_min_dot(sm + 8, a.bsums);
        const uint8x16_t m4 = vdupq_n_u8(0x0f);
        uint8x16_t qh0 = vdupq_n_u8(0), qh1 = vdupq_n_u8(0);
        if constexpr (five) {
            qh0 = vld1q_u8(w.qh);
            qh1 = vld1q_u8(w.qh + 16);
        }
        int32x4_t sum = vdupq_n_s32(0);
        for (int j = 0; j < 4; ++j) {
            const uint8x16_t q0 = vld1q_u8(w.qs + 32 * j), q1 = vld1q_u8(w.qs + 32 * j + 16);
            uint8x16_t l0 = vandq_u8(q0, m4), l1 = vandq_u8(q1, m4);
            uint8x16_t h0 = vshrq_n_u8(q0, 4), h1 = vshrq_n_u8(q1, 4);
            if constexpr (five) {
                // Bit 2j of qh[l] -> fifth bit of element 64j + l; bit 2j+1 -> element 64j + 32 + l.
                const uint8x16_t bl = vdupq_n_u8(static_cast<std::uint8_t>(1u << (2 * j)));
                const uint8x16_t bh = vdupq_n_u8(static_cast<std::uint8_t>(2u << (2 * j)));
                const uint8x16_t x10 = vdupq_n_u8(0x10);
                l0 = vorrq_u8(l0, vandq_u8(vtstq_u8(qh0, bl), x10));
                l1 = vorrq_u8(l1, vandq_u8(vtstq_u8(qh1, bl), x10));
                h0 = vorrq_u8(h0, vandq_u8(vtstq_u8(qh0, bh), x10));
                h1 = vorrq_u8(h1, vandq_u8(vtstq_u8(qh1, bh), x10));
            }
            const std::int8_t* aq = a.qs + 64 * j;
            const int32x4_t plo = sdot(sdot(vdupq_n_s32(0), vreinterpretq_s8_u8(l0), vld1q_s8(aq)),
                                       vreinterpretq_s8_u8(l1), vld1q_s8(aq + 16));
            const int32x4_t phi = sdot(sdot(vdupq_n_s32(0), vreinterpretq_s8_u8(h0), vld1q_s8(aq + 32)),
                                       vreinterpretq_s8_u8(h1), vld1q_s8(aq + 48));
            sum = vmlaq_n_s32(sum, plo, sm[2 * j]);
            sum = vmlaq_n_s32(sum, phi, sm[2 * j + 1]);
        }
        const float da = a.d;
        s = vfmaq_n_f32(s, vcvtq_f32_s32(sum), half(w.d) * da);
        // The min term: one scalar, spread over the 4 lanes (exact power-of-two division).
        return vsubq_f32(s, vdupq_n_f32(half(w.dmin) * da * static_cast<float>(mins) * 0.25f));
    }
};
using q4_k_kernel = k4_kernel<false>;
using q5_k_kernel = k4_kernel<true>;

struct q6_k_kernel : vec_acc {
    using wblock = quant::block_q6_k;
    using ablock = quant::block_q8_k;
    using prepared = no_prep;
    static prepared prepare(const wblock&) noexcept { return {}; }
    static acc dot(const prepared&, const wblock& w, const ablock& a, acc s) noexcept {
        const uint8x16_t m4 = vdupq_n_u8(0x0f), m3 = vdupq_n_u8(0x03);
        const int8x16_t bias = vdupq_n_s8(32);
        int32x4_t sum = vdupq_n_s32(0);
        for (int h = 0; h < 2; ++h) {
            const std::uint8_t* ql = w.ql + 64 * h;
            const std::uint8_t* qh = w.qh + 32 * h;
            const std::int8_t* sc = w.scales + 8 * h;
            const std::int8_t* aq = a.qs + 128 * h;
            for (int half16 = 0; half16 < 2; ++half16) {  // l in [16*half16, 16*half16 + 16)
                const uint8x16_t l0 = vld1q_u8(ql + 16 * half16), l1 = vld1q_u8(ql + 32 + 16 * half16);
                const uint8x16_t hb = vld1q_u8(qh + 16 * half16);
                const uint8x16_t v0 = vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(hb, m3), 4));
                const uint8x16_t v1 = vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 2), m3), 4));
                const uint8x16_t v2 = vorrq_u8(vshrq_n_u8(l0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 4), m3), 4));
                const uint8x16_t v3 = vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vshrq_n_u8(hb, 6), 4));
                const int off = 16 * half16;
                // Each 16-byte vector is one 16-element sub-block: scale index = element / 16.
                const int32x4_t p0 = sdot(vdupq_n_s32(0), vsubq_s8(vreinterpretq_s8_u8(v0), bias), vld1q_s8(aq + off));
                const int32x4_t p1 = sdot(vdupq_n_s32(0), vsubq_s8(vreinterpretq_s8_u8(v1), bias), vld1q_s8(aq + 32 + off));
                const int32x4_t p2 = sdot(vdupq_n_s32(0), vsubq_s8(vreinterpretq_s8_u8(v2), bias), vld1q_s8(aq + 64 + off));
                const int32x4_t p3 = sdot(vdupq_n_s32(0), vsubq_s8(vreinterpretq_s8_u8(v3), bias), vld1q_s8(aq + 96 + off));
                sum = vmlaq_n_s32(sum, p0, sc[0 + half16]);
                sum = vmlaq_n_s32(sum, p1, sc[2 + half16]);
                sum = vmlaq_n_s32(sum, p2, sc[4 + half16]);
                sum = vmlaq_n_s32(sum, p3, sc[6 + half16]);
            }
        }
        return vfmaq_n_f32(s, vcvtq_f32_s32(sum), half(w.d) * a.d);
    }
};

}  // namespace cpu::neon_detail

namespace cpu {
namespace detail {
template <dtype T, int GemvRM, int GemmRM, int GemmRN>
struct neon_float_policy {
    static constexpr int gemv_rm = GemvRM, gemm_rm = GemmRM, gemm_rn = GemmRN;
    static constexpr bool counts_elements = true;
    template <int RM, int RN>
    static void tile(const std::byte* w, std::size_t ws, const std::byte* a, std::size_t as, std::size_t k, float* y,
                     std::size_t ys) {
        hwy_float::tile<T, RM, RN>(w, ws, a, as, k, y, ys);
    }
};
}  // namespace detail

// 32 NEON registers: 4 x 4 tiles for the 32-element formats, 2 x 4 for the K-quants.
template <> struct format<neon, dtype::f32> { using policy = detail::neon_float_policy<dtype::f32, 4, 4, 4>; };
template <> struct format<neon, dtype::f16> { using policy = detail::neon_float_policy<dtype::f16, 4, 4, 4>; };
template <> struct format<neon, dtype::bf16> { using policy = detail::neon_float_policy<dtype::bf16, 4, 4, 4>; };
template <> struct format<neon, dtype::q4_0> { using policy = detail::block_policy<neon_detail::q4_0_kernel, 4, 4, 4>; };
template <> struct format<neon, dtype::q4_1> { using policy = detail::block_policy<neon_detail::q4_1_kernel, 4, 4, 4>; };
template <> struct format<neon, dtype::q5_0> { using policy = detail::block_policy<neon_detail::q5_0_kernel, 4, 4, 4>; };
template <> struct format<neon, dtype::q5_1> { using policy = detail::block_policy<neon_detail::q5_1_kernel, 4, 4, 4>; };
template <> struct format<neon, dtype::q8_0> { using policy = detail::block_policy<neon_detail::q8_0_kernel, 4, 4, 4>; };
template <> struct format<neon, dtype::iq4_nl> { using policy = detail::block_policy<neon_detail::iq4_nl_kernel, 4, 4, 4>; };
template <> struct format<neon, dtype::q4_k> { using policy = detail::block_policy<neon_detail::q4_k_kernel, 2, 2, 4>; };
template <> struct format<neon, dtype::q5_k> { using policy = detail::block_policy<neon_detail::q5_k_kernel, 2, 2, 4>; };
template <> struct format<neon, dtype::q6_k> { using policy = detail::block_policy<neon_detail::q6_k_kernel, 2, 2, 4>; };

template <> struct row_kernels<neon> {
    static bool axpy(dtype t, const std::byte* row, float s, float* y, std::size_t n) {
        return hwy_rows::axpy_row(t, row, s, y, n);
    }
    // No vector expf yet: glibc's AArch64 build fuses its multiply-adds where GCC chose to, which
    // nothing here has checked; attention calls std::exp.
    static bool exp(const float*, float*, std::size_t) { return false; }
};

// q8_0/q8_1 as llama.cpp's NEON build rounds them (vcvtnq: halves to even), in scalar code: the
// quantizer is a small share of a matmul, and this keeps it byte-identical to its twin by construction.
template <> inline constexpr quant::q8_rounding activation_rounding<neon> = quant::q8_rounding::arm;
template <> struct activation_quantizer<neon> {
    static void row(dtype act, const float* x, std::byte* out, std::size_t k) {
        if (act == dtype::f16) return hwy_float::convert_row<dtype::f16>(x, out, k);
        scalar_detail::ref_quantize_activation(act, x, out, k, activation_rounding<neon>);
    }
};

}  // namespace cpu
HEARTH_NAMESPACE_END
