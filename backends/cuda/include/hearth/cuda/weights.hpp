#pragma once
// The weight formats as the CUDA kernels read them: a row of a GGUF tensor is a sequence of
// "units", each decoded on its own into int8 levels (4 per int, for dp4a) plus its scales:
//   - q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl: a unit is one 32-element block;
//   - q2_K, q3_K, q4_K, q5_K, q6_K: a unit is one 32-element slice of a 256-element super-block (a
//     q4_K/q5_K sub-block with its 6-bit scale and min; two 16-element q2_K/q3_K/q6_K groups with
//     their scales);
//   - f32, f16, bf16: a unit is a pair of values.
// Each format gives: load(row, u) -> unit, value(unit, i) -> the dequantized element (ggml's float
// ops in ggml's order, bit-exact with hearth::quant::dequantize_row), and dot(unit, act) -> the
// unit's share of the row's dot product with activations rounded as activations.hpp describes:
// the unit's exact integer sum, then the float scaling in the order ggml's vec_dot writes it.
// A row's dot product is the sum of its units' shares; the order of that sum is the kernel's
// (matmul.hpp of the reference twin spells it out) and differs from the CPU's only in rounding.
//
// All of it is HEARTH_CUDA_HD: the kernels and the host twins run this same code.
#include <hearth/cuda/activations.hpp>
#include <hearth/cuda/portable.hpp>
#include <hearth/dtype.hpp>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

namespace detail {
// Per-byte v - c for bytes of v in [0, 127] and results in [-128, 127] (no borrow between bytes).
HEARTH_CUDA_HD int sub_bytes(std::uint32_t v, std::uint32_t c) {
    return static_cast<int>(((v | 0x80808080u) - c * 0x01010101u) ^ 0x80808080u);
}
// Bits 0..3 of x to bit 4 of bytes 0..3 (the 5th bit of four q5 levels).
HEARTH_CUDA_HD std::uint32_t spread_bit4(std::uint32_t x) {
    return (x & 1u) << 4 | (x & 2u) << 11 | (x & 4u) << 18 | (x & 8u) << 25;
}
HEARTH_CUDA_HD int byte_of(int v, int i) { return static_cast<std::int8_t>(static_cast<std::uint32_t>(v) >> (8 * i)); }
// Sum of the products of 4 ints (16 levels) of a unit and of an activation group, from int `first`.
HEARTH_CUDA_HD int dot4(const int* w, const int* a) {
    int s = 0;
    for (int i = 0; i < 4; ++i) s = dp4a(w[i], a[i], s);
    return s;
}
// q4_K / q5_K: 6-bit scale and min of sub-block j from the 12 packed bytes.
HEARTH_CUDA_HD void k4_scale_min(int j, const std::uint8_t* q, int& sc, int& m) {
    if (j < 4) {
        sc = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}
}  // namespace detail

template <dtype T> struct wfmt;

// Shared by the legacy 32-element formats: levels in q, scale d (and min m for the _1 formats).
struct legacy_unit {
    int q[8];
    float d, m;
    HEARTH_CUDA_HD int level(int i) const { return detail::byte_of(q[i / 4], i % 4); }
};

template <> struct wfmt<dtype::q4_0> {
    static constexpr act_kind act = act_kind::q8_0;
    static constexpr int unit_elems = 32, unit_bytes = 18;
    using unit = legacy_unit;
    // Byte j holds element j (low nibble) and j + 16 (high nibble); x = d * (q - 8).
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + unit_bytes * u;
        unit w;
        w.d = half_to_float(load_u16(b)), w.m = 0.0f;
        for (int i = 0; i < 4; ++i) {
            const std::uint32_t v = load_u32(b + 2 + 4 * i);
            w.q[i] = detail::sub_bytes(v & 0x0F0F0F0Fu, 8);
            w.q[4 + i] = detail::sub_bytes((v >> 4) & 0x0F0F0F0Fu, 8);
        }
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return fmul(static_cast<float>(w.level(i)), w.d); }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) {
        const int s = detail::dot4(w.q, a.q) + detail::dot4(w.q + 4, a.q + 4);
        return fmul(fmul(static_cast<float>(s), w.d), a.d);  // sumi * d_x * d_y
    }
};

template <> struct wfmt<dtype::q4_1> {
    static constexpr act_kind act = act_kind::q8_1;
    static constexpr int unit_elems = 32, unit_bytes = 20;
    using unit = legacy_unit;
    // x = d * q + m, q in [0, 15], nibbles as in q4_0.
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + unit_bytes * u;
        unit w;
        w.d = half_to_float(load_u16(b)), w.m = half_to_float(load_u16(b + 2));
        for (int i = 0; i < 4; ++i) {
            const std::uint32_t v = load_u32(b + 4 + 4 * i);
            w.q[i] = static_cast<int>(v & 0x0F0F0F0Fu);
            w.q[4 + i] = static_cast<int>((v >> 4) & 0x0F0F0F0Fu);
        }
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return fadd(fmul(static_cast<float>(w.level(i)), w.d), w.m); }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) {
        const int s = detail::dot4(w.q, a.q) + detail::dot4(w.q + 4, a.q + 4);
        // (d_x * d_y) * sumi + m_x * s_y
        return fadd(fmul(fmul(w.d, a.d), static_cast<float>(s)), fmul(w.m, bits_to_float(a.aux)));
    }
};

template <> struct wfmt<dtype::q5_0> {
    static constexpr act_kind act = act_kind::q8_0;
    static constexpr int unit_elems = 32, unit_bytes = 22;
    using unit = legacy_unit;
    // x = d * (q - 16); low nibbles as q4_0, bit 4 of element j is bit j of the 32-bit qh.
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + unit_bytes * u;
        unit w;
        w.d = half_to_float(load_u16(b)), w.m = 0.0f;
        const std::uint32_t qh = load_u32(b + 2);
        for (int i = 0; i < 4; ++i) {
            const std::uint32_t v = load_u32(b + 6 + 4 * i);
            w.q[i] = detail::sub_bytes((v & 0x0F0F0F0Fu) | detail::spread_bit4(qh >> (4 * i)), 16);
            w.q[4 + i] = detail::sub_bytes(((v >> 4) & 0x0F0F0F0Fu) | detail::spread_bit4(qh >> (16 + 4 * i)), 16);
        }
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return fmul(static_cast<float>(w.level(i)), w.d); }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) {
        const int s = detail::dot4(w.q, a.q) + detail::dot4(w.q + 4, a.q + 4);
        return fmul(fmul(w.d, a.d), static_cast<float>(s));  // (d_x * d_y) * sumi
    }
};

template <> struct wfmt<dtype::q5_1> {
    static constexpr act_kind act = act_kind::q8_1;
    static constexpr int unit_elems = 32, unit_bytes = 24;
    using unit = legacy_unit;
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + unit_bytes * u;
        unit w;
        w.d = half_to_float(load_u16(b)), w.m = half_to_float(load_u16(b + 2));
        const std::uint32_t qh = load_u32(b + 4);
        for (int i = 0; i < 4; ++i) {
            const std::uint32_t v = load_u32(b + 8 + 4 * i);
            w.q[i] = static_cast<int>((v & 0x0F0F0F0Fu) | detail::spread_bit4(qh >> (4 * i)));
            w.q[4 + i] = static_cast<int>(((v >> 4) & 0x0F0F0F0Fu) | detail::spread_bit4(qh >> (16 + 4 * i)));
        }
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return fadd(fmul(static_cast<float>(w.level(i)), w.d), w.m); }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) {
        const int s = detail::dot4(w.q, a.q) + detail::dot4(w.q + 4, a.q + 4);
        return fadd(fmul(fmul(w.d, a.d), static_cast<float>(s)), fmul(w.m, bits_to_float(a.aux)));
    }
};

template <> struct wfmt<dtype::q8_0> {
    static constexpr act_kind act = act_kind::q8_0;
    static constexpr int unit_elems = 32, unit_bytes = 34;
    using unit = legacy_unit;
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + unit_bytes * u;
        unit w;
        w.d = half_to_float(load_u16(b)), w.m = 0.0f;
        for (int i = 0; i < 8; ++i) w.q[i] = static_cast<int>(load_u32(b + 2 + 4 * i));
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return fmul(static_cast<float>(w.level(i)), w.d); }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) {
        const int s = detail::dot4(w.q, a.q) + detail::dot4(w.q + 4, a.q + 4);
        return fmul(static_cast<float>(s), fmul(w.d, a.d));  // sumi * (d_x * d_y)
    }
};

namespace detail {
// iq4_nl's 16 non-linear levels (ggml's kvalues_iq4nl), packed 4 per word so device code needs no
// table in memory: level i is byte i % 4 of word i / 4.
HEARTH_CUDA_HD int iq4nl_level(std::uint32_t i) {
    const std::uint32_t w = i < 4 ? 0xBFAD9881u : i < 8 ? 0xF6EADDCFu : i < 12 ? 0x26190D01u : 0x71594535u;
    return static_cast<std::int8_t>(w >> (8 * (i % 4)));
}
// Four nibbles (bytes 0..3 of v, each < 16) -> four int8 levels.
HEARTH_CUDA_HD int iq4nl_levels(std::uint32_t v) {
    std::uint32_t out = 0;
    for (int b = 0; b < 4; ++b) out |= (static_cast<std::uint32_t>(iq4nl_level((v >> (8 * b)) & 0xFu)) & 0xFFu) << (8 * b);
    return static_cast<int>(out);
}
}  // namespace detail

template <> struct wfmt<dtype::iq4_nl> {
    static constexpr act_kind act = act_kind::q8_0;
    static constexpr int unit_elems = 32, unit_bytes = 18;
    using unit = legacy_unit;
    // Nibble order as q4_0; x = d * kvalues_iq4nl[q].
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + unit_bytes * u;
        unit w;
        w.d = half_to_float(load_u16(b)), w.m = 0.0f;
        for (int i = 0; i < 4; ++i) {
            const std::uint32_t v = load_u32(b + 2 + 4 * i);
            w.q[i] = detail::iq4nl_levels(v & 0x0F0F0F0Fu);
            w.q[4 + i] = detail::iq4nl_levels((v >> 4) & 0x0F0F0F0Fu);
        }
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return fmul(w.d, static_cast<float>(w.level(i))); }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) {
        const int s = detail::dot4(w.q, a.q) + detail::dot4(w.q + 4, a.q + 4);
        return fmul(fmul(a.d, w.d), static_cast<float>(s));  // (d_y * d_x) * sumi
    }
};

// ---- K-quants: unit u is slice u % 8 of super-block u / 8 ---------------------------------------
struct k4_unit {
    int q[8];       // levels 0..15 (q4_K) or 0..31 (q5_K)
    int sc, mn;     // 6-bit scale and min of the sub-block
    float d, dmin;  // the super-block's fp16 scales
    HEARTH_CUDA_HD int level(int i) const { return detail::byte_of(q[i / 4], i % 4); }
};

namespace detail {
// x = (d * sc) * q - dmin * mn; dot: d*y_d * (sc * sumi) - dmin*y_d * (mn * sum of the 32 y quants).
HEARTH_CUDA_HD float k4_value(const k4_unit& w, int i) {
    const float dj = fmul(w.d, static_cast<float>(w.sc)), mj = fmul(w.dmin, static_cast<float>(w.mn));
    return fsub(fmul(dj, static_cast<float>(w.level(i))), mj);
}
HEARTH_CUDA_HD float k4_dot(const k4_unit& w, const act_group& a) {
    const int s = dot4(w.q, a.q) + dot4(w.q + 4, a.q + 4);
    const int ysum = static_cast<int>(a.aux);
    return fsub(fmul(fmul(w.d, a.d), static_cast<float>(w.sc * s)), fmul(fmul(w.dmin, a.d), static_cast<float>(w.mn * ysum)));
}
}  // namespace detail

template <> struct wfmt<dtype::q4_k> {
    static constexpr act_kind act = act_kind::q8_k;
    static constexpr int unit_elems = 32, block_bytes = 144;
    using unit = k4_unit;
    // d, dmin, 12 scale bytes, then 128 bytes of nibbles: sub-block j is in bytes 32*(j/2) .. +31,
    // low nibbles for even j, high for odd.
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + block_bytes * (u / 8);
        const int j = static_cast<int>(u % 8);
        unit w;
        w.d = half_to_float(load_u16(b)), w.dmin = half_to_float(load_u16(b + 2));
        detail::k4_scale_min(j, b + 4, w.sc, w.mn);
        // Rows of 144-byte blocks from an aligned buffer: the nibbles are 16-byte aligned, read
        // in two 16-byte loads rather than sixteen 2-byte ones.
        const std::uint8_t* qs = b + 16 + 32 * (j / 2);
        const int shift = 4 * (j % 2);
        std::uint32_t lo[4], hi[4];
        load_u32x4_aligned(qs, lo), load_u32x4_aligned(qs + 16, hi);
        for (int i = 0; i < 4; ++i) {
            w.q[i] = static_cast<int>((lo[i] >> shift) & 0x0F0F0F0Fu);
            w.q[4 + i] = static_cast<int>((hi[i] >> shift) & 0x0F0F0F0Fu);
        }
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return detail::k4_value(w, i); }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) { return detail::k4_dot(w, a); }
};

template <> struct wfmt<dtype::q5_k> {
    static constexpr act_kind act = act_kind::q8_k;
    static constexpr int unit_elems = 32, block_bytes = 176;
    using unit = k4_unit;
    // As q4_K, with the 5th bit of element 32*j + l at bit j of qh[l] (32 bytes after the scales).
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + block_bytes * (u / 8);
        const int j = static_cast<int>(u % 8);
        unit w;
        w.d = half_to_float(load_u16(b)), w.dmin = half_to_float(load_u16(b + 2));
        detail::k4_scale_min(j, b + 4, w.sc, w.mn);
        const std::uint8_t* qh = b + 16;
        const std::uint8_t* qs = b + 48 + 32 * (j / 2);
        const int shift = 4 * (j % 2);
        for (int i = 0; i < 8; ++i)
            w.q[i] = static_cast<int>(((load_u32(qs + 4 * i) >> shift) & 0x0F0F0F0Fu) |
                                      ((load_u32(qh + 4 * i) >> j) & 0x01010101u) << 4);
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return detail::k4_value(w, i); }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) { return detail::k4_dot(w, a); }
};

// q2_K and q3_K: 16-element groups with their own scale (and, q2_K, min); a unit spans two.
struct k16_unit {
    int q[8];           // levels: q2_K 0..3, q3_K -4..3
    int sc[2], mn[2];   // the two groups' scales (q3_K: signed 6-bit) and mins (q2_K: 4-bit)
    float d, dmin;
    HEARTH_CUDA_HD int level(int i) const { return detail::byte_of(q[i / 4], i % 4); }
};

namespace detail {
// q3_K: 16 six-bit scales packed in 12 bytes, biased by 32 (hearth::quant::q3_k_scale).
HEARTH_CUDA_HD int q3_k_scale(int j, const std::uint8_t* s) {
    const int low = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
    const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (low | high << 4) - 32;
}
}  // namespace detail

template <> struct wfmt<dtype::q2_k> {
    static constexpr act_kind act = act_kind::q8_k;
    static constexpr int unit_elems = 32, block_bytes = 84;
    using unit = k16_unit;
    // scales[16] (scale | min << 4), 64 bytes of 2-bit levels (element 128*h + 32*s + l at bit 2*s
    // of byte 32*h + l), then fp16 d and dmin. x = (d * scale) * q - dmin * min.
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + block_bytes * (u / 8);
        const int v = static_cast<int>(u % 8), h = v / 4, s = v % 4;
        unit w;
        w.d = half_to_float(load_u16(b + 80)), w.dmin = half_to_float(load_u16(b + 82));
        for (int g = 0; g < 2; ++g) w.sc[g] = b[2 * v + g] & 0xF, w.mn[g] = b[2 * v + g] >> 4;
        const std::uint8_t* qs = b + 16 + 32 * h;
        for (int i = 0; i < 8; ++i) w.q[i] = static_cast<int>((load_u32(qs + 4 * i) >> (2 * s)) & 0x03030303u);
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) {
        const int g = i / 16;
        const float dl = fmul(w.d, static_cast<float>(w.sc[g])), ml = fmul(w.dmin, static_cast<float>(w.mn[g]));
        return fsub(fmul(dl, static_cast<float>(w.level(i))), ml);
    }
    // d*y_d * sum(scale * sumi) - dmin*y_d * sum(min * sum of the group's y quants); the y sums
    // are ggml's bsums, recomputed from the quants (dp4a with ones).
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) {
        constexpr int ones[4] = {0x01010101, 0x01010101, 0x01010101, 0x01010101};
        const int isum = w.sc[0] * detail::dot4(w.q, a.q) + w.sc[1] * detail::dot4(w.q + 4, a.q + 4);
        const int msum = w.mn[0] * detail::dot4(ones, a.q) + w.mn[1] * detail::dot4(ones, a.q + 4);
        return fsub(fmul(fmul(a.d, w.d), static_cast<float>(isum)), fmul(fmul(a.d, w.dmin), static_cast<float>(msum)));
    }
};

template <> struct wfmt<dtype::q3_k> {
    static constexpr act_kind act = act_kind::q8_k;
    static constexpr int unit_elems = 32, block_bytes = 110;
    using unit = k16_unit;
    // hmask[32] (bit e/32 of byte e%32: the level's high bit, clear means -4), 64 bytes of 2-bit
    // levels as q2_K, 12 bytes of packed scales, fp16 d. x = (d * scale) * q.
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + block_bytes * (u / 8);
        const int v = static_cast<int>(u % 8), h = v / 4, s = v % 4;
        unit w;
        w.d = half_to_float(load_u16(b + 108)), w.dmin = 0.0f;
        for (int g = 0; g < 2; ++g) w.sc[g] = detail::q3_k_scale(2 * v + g, b + 96), w.mn[g] = 0;
        const std::uint8_t* qs = b + 32 + 32 * h;
        for (int i = 0; i < 8; ++i) {
            const std::uint32_t low = (load_u32(qs + 4 * i) >> (2 * s)) & 0x03030303u;
            const std::uint32_t high = (load_u32(b + 4 * i) >> v) & 0x01010101u;
            w.q[i] = detail::sub_bytes(low | high << 2, 4);
        }
        return w;
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) {
        return fmul(fmul(w.d, static_cast<float>(w.sc[i / 16])), static_cast<float>(w.level(i)));
    }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) {
        const int isum = w.sc[0] * detail::dot4(w.q, a.q) + w.sc[1] * detail::dot4(w.q + 4, a.q + 4);
        return fmul(fmul(w.d, a.d), static_cast<float>(isum));
    }
};

struct q6_k_unit {
    int q[8];       // levels - 32, in [-32, 31]
    int sc0, sc1;   // signed 8-bit scales of the unit's two 16-element groups
    float d;
    HEARTH_CUDA_HD int level(int i) const { return detail::byte_of(q[i / 4], i % 4); }
};

template <> struct wfmt<dtype::q6_k> {
    static constexpr act_kind act = act_kind::q8_k;
    static constexpr int unit_elems = 32, block_bytes = 210;
    using unit = q6_k_unit;
    // Element 128*h + 32*s + l: low nibble in ql[64*h + 32*(s%2) + l] (high nibble for s >= 2), top
    // two bits in qh[32*h + l] at bit 2*s; 16 int8 scales (one per 16 elements), then fp16 d.
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        const std::uint8_t* b = row + block_bytes * (u / 8);
        const int v = static_cast<int>(u % 8), h = v / 4, s = v % 4;
        unit w;
        w.d = half_to_float(load_u16(b + 208));
        w.sc0 = static_cast<std::int8_t>(b[192 + 2 * v]);
        w.sc1 = static_cast<std::int8_t>(b[192 + 2 * v + 1]);
        const std::uint8_t* ql = b + 64 * h + 32 * (s % 2);
        const std::uint8_t* qh = b + 128 + 32 * h;
        for (int i = 0; i < 8; ++i) {
            const std::uint32_t low = (load_u32(ql + 4 * i) >> (4 * (s / 2))) & 0x0F0F0F0Fu;
            const std::uint32_t high = ((load_u32(qh + 4 * i) >> (2 * s)) & 0x03030303u) << 4;
            w.q[i] = detail::sub_bytes(low | high, 32);
        }
        return w;
    }
    // (d * scale) * (q - 32)
    HEARTH_CUDA_HD static float value(const unit& w, int i) {
        const float ds = fmul(w.d, static_cast<float>(i < 16 ? w.sc0 : w.sc1));
        return fmul(ds, static_cast<float>(w.level(i)));
    }
    HEARTH_CUDA_HD static float dot(const unit& w, const act_group& a) {
        const int s = w.sc0 * detail::dot4(w.q, a.q) + w.sc1 * detail::dot4(w.q + 4, a.q + 4);
        return fmul(fmul(w.d, a.d), static_cast<float>(s));
    }
};

// ---- float formats: a unit is two values; activations are rounded to the weight's own type ---
struct pair_unit {
    float v0, v1;
};

namespace detail {
HEARTH_CUDA_HD float pair_dot(const pair_unit& w, const pair_unit& a) {
    return fadd(fmul(w.v0, a.v0), fmul(w.v1, a.v1));
}
HEARTH_CUDA_HD pair_unit load_half_pair(const std::uint8_t* p, bool bf) {
    const std::uint32_t v = load_u32_aligned(p);
    const auto lo = static_cast<std::uint16_t>(v), hi = static_cast<std::uint16_t>(v >> 16);
    return bf ? pair_unit{bf16_to_float(lo), bf16_to_float(hi)} : pair_unit{half_to_float(lo), half_to_float(hi)};
}
}  // namespace detail

template <> struct wfmt<dtype::f32> {
    static constexpr act_kind act = act_kind::f32;
    static constexpr int unit_elems = 2;
    using unit = pair_unit;
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) {
        return {load_f32(row + 8 * u), load_f32(row + 8 * u + 4)};
    }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return i == 0 ? w.v0 : w.v1; }
    HEARTH_CUDA_HD static unit load_act(const std::uint8_t* row, std::size_t u) { return load(row, u); }
    HEARTH_CUDA_HD static float dot(const unit& w, const unit& a) { return detail::pair_dot(w, a); }
};

template <> struct wfmt<dtype::f16> {
    static constexpr act_kind act = act_kind::f16;
    static constexpr int unit_elems = 2;
    using unit = pair_unit;
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) { return detail::load_half_pair(row + 4 * u, false); }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return i == 0 ? w.v0 : w.v1; }
    HEARTH_CUDA_HD static unit load_act(const std::uint8_t* row, std::size_t u) { return load(row, u); }
    HEARTH_CUDA_HD static float dot(const unit& w, const unit& a) { return detail::pair_dot(w, a); }
};

template <> struct wfmt<dtype::bf16> {
    static constexpr act_kind act = act_kind::bf16;
    static constexpr int unit_elems = 2;
    using unit = pair_unit;
    HEARTH_CUDA_HD static unit load(const std::uint8_t* row, std::size_t u) { return detail::load_half_pair(row + 4 * u, true); }
    HEARTH_CUDA_HD static float value(const unit& w, int i) { return i == 0 ? w.v0 : w.v1; }
    HEARTH_CUDA_HD static unit load_act(const std::uint8_t* row, std::size_t u) { return load(row, u); }
    HEARTH_CUDA_HD static float dot(const unit& w, const unit& a) { return detail::pair_dot(w, a); }
};

// The activation unit a format's dot reads: a quantized group, or a pair of values.
template <dtype T>
HEARTH_CUDA_HD auto load_act_unit(const std::uint8_t* row, const act_layout& l, std::size_t u) {
    if constexpr (wfmt<T>::unit_elems == 2) return wfmt<T>::load_act(row, u);
    else return load_act_group(row, l, u);
}

// ---- host-side dispatch ----------------------------------------------------------------------
template <dtype T> struct dtype_tag {
    static constexpr dtype value = T;
};

inline constexpr bool matmul_supports(dtype t) {
    switch (t) {
    case dtype::f32: case dtype::f16: case dtype::bf16: case dtype::q4_0: case dtype::q4_1: case dtype::q5_0:
    case dtype::q5_1: case dtype::q8_0: case dtype::iq4_nl: case dtype::q2_k: case dtype::q3_k: case dtype::q4_k:
    case dtype::q5_k: case dtype::q6_k: return true;
    default: return false;
    }
}

// Calls f(dtype_tag<T>{}) for a supported weight type; returns false for the others.
template <class F>
bool visit_weight_type(dtype t, F&& f) {
    switch (t) {
    case dtype::f32: f(dtype_tag<dtype::f32>{}); return true;
    case dtype::f16: f(dtype_tag<dtype::f16>{}); return true;
    case dtype::bf16: f(dtype_tag<dtype::bf16>{}); return true;
    case dtype::q4_0: f(dtype_tag<dtype::q4_0>{}); return true;
    case dtype::q4_1: f(dtype_tag<dtype::q4_1>{}); return true;
    case dtype::q5_0: f(dtype_tag<dtype::q5_0>{}); return true;
    case dtype::q5_1: f(dtype_tag<dtype::q5_1>{}); return true;
    case dtype::q8_0: f(dtype_tag<dtype::q8_0>{}); return true;
    case dtype::iq4_nl: f(dtype_tag<dtype::iq4_nl>{}); return true;
    case dtype::q2_k: f(dtype_tag<dtype::q2_k>{}); return true;
    case dtype::q3_k: f(dtype_tag<dtype::q3_k>{}); return true;
    case dtype::q4_k: f(dtype_tag<dtype::q4_k>{}); return true;
    case dtype::q5_k: f(dtype_tag<dtype::q5_k>{}); return true;
    case dtype::q6_k: f(dtype_tag<dtype::q6_k>{}); return true;
    default: return false;
    }
}

inline act_kind act_kind_of(dtype weight) {
    act_kind a = act_kind::f32;
    if (!visit_weight_type(weight, [&](auto tag) { a = wfmt<decltype(tag)::value>::act; }))
        throw error(errc::unsupported, "cuda: no kernel for weights of type " + std::string(traits(weight).name));
    return a;
}

// Units in a row of k elements (k must be whole blocks of the format; the caller checks).
inline std::size_t units_in_row(dtype weight, std::size_t k) {
    std::size_t n = 0;
    visit_weight_type(weight, [&](auto tag) { n = k / wfmt<decltype(tag)::value>::unit_elems; });
    return n;
}

}  // namespace cuda
HEARTH_NAMESPACE_END
