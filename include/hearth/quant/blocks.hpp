#pragma once
// GGUF quantized block layouts. These structs ARE the file format: field order, sizes and the
// packing of scales match ggml's block_* structs byte for byte, so a tensor's bytes in a mapped
// GGUF file can be read as an array of these blocks. Every field is a byte, an fp16 bit pattern
// or (q8_K only) a float/int16, so the structs have no padding and alignment 1, 2 or 4.
#include <hearth/config.hpp>
#include <hearth/dtype.hpp>
#include <hearth/fp16.hpp>
#include <array>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace quant {

inline constexpr std::size_t qk4_0 = 32, qk4_1 = 32, qk5_0 = 32, qk5_1 = 32, qk8_0 = 32, qk8_1 = 32;
inline constexpr std::size_t qk4_nl = 32;
// K-quant super-blocks pack 6-bit sub-block scales and mins into 12 bytes (q4_K, q5_K) and
// q3_K's 16 6-bit scales into 12 bytes.
inline constexpr std::size_t k_scale_size = 12;

// ---- legacy 32-element formats ------------------------------------------------------------
// x = d * (q - 8), q in [0,15]; byte j holds element j (low nibble) and j+16 (high nibble).
struct block_q4_0 { f16_bits d; std::uint8_t qs[qk4_0 / 2]; };
// x = d * q + m, q in [0,15]; same nibble order as q4_0.
struct block_q4_1 { f16_bits d; f16_bits m; std::uint8_t qs[qk4_1 / 2]; };
// x = d * (q - 16), q in [0,31]: low nibbles as in q4_0, bit 4 of element j is bit j of qh
// (qh is a little-endian 32-bit mask stored as 4 bytes, so it need not be aligned).
struct block_q5_0 { f16_bits d; std::uint8_t qh[4]; std::uint8_t qs[qk5_0 / 2]; };
// x = d * q + m, q in [0,31]; bits as in q5_0.
struct block_q5_1 { f16_bits d; f16_bits m; std::uint8_t qh[4]; std::uint8_t qs[qk5_1 / 2]; };
// x = d * q, q in [-127,127].
struct block_q8_0 { f16_bits d; std::int8_t qs[qk8_0]; };
// x = d * q; s = d * sum(q) (precomputed for the min term of q4_1/q5_1 dot products).
struct block_q8_1 { f16_bits d; f16_bits s; std::int8_t qs[qk8_1]; };
// x = d * kvalues_iq4nl[q], q in [0,15]; nibble order as in q4_0.
struct block_iq4_nl { f16_bits d; std::uint8_t qs[qk4_nl / 2]; };

// The 16 non-linear levels of iq4_nl (a fact of the format, from ggml).
inline constexpr std::array<std::int8_t, 16> kvalues_iq4nl{
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// ---- K-quants: 256-element super-blocks --------------------------------------------------
// 2-bit: 16 sub-blocks of 16; scales[i] = (min4 << 4) | scale4; x = d*scale*q - dmin*min.
struct block_q2_k {
    std::uint8_t scales[qk_k / 16];
    std::uint8_t qs[qk_k / 4];
    f16_bits d;
    f16_bits dmin;
};
// 3-bit: low 2 bits in qs, high bit in hmask; 16 signed 6-bit scales (bias 32) packed in 12 bytes.
struct block_q3_k {
    std::uint8_t hmask[qk_k / 8];
    std::uint8_t qs[qk_k / 4];
    std::uint8_t scales[k_scale_size];
    f16_bits d;
};
// 4-bit: 8 sub-blocks of 32 with 6-bit scale and min each (packed in 12 bytes).
struct block_q4_k {
    f16_bits d;
    f16_bits dmin;
    std::uint8_t scales[k_scale_size];
    std::uint8_t qs[qk_k / 2];
};
// 5-bit: as q4_K plus a high bit per element in qh.
struct block_q5_k {
    f16_bits d;
    f16_bits dmin;
    std::uint8_t scales[k_scale_size];
    std::uint8_t qh[qk_k / 8];
    std::uint8_t qs[qk_k / 2];
};
// 6-bit: low 4 bits in ql, high 2 in qh; 16 sub-blocks of 16 with signed 8-bit scales; q biased by 32.
struct block_q6_k {
    std::uint8_t ql[qk_k / 2];
    std::uint8_t qh[qk_k / 4];
    std::int8_t scales[qk_k / 16];
    f16_bits d;
};
// 8-bit activations for K-quant dot products: float scale, bsums[i] = sum of qs[16i..16i+15].
struct block_q8_k {
    float d;
    std::int8_t qs[qk_k];
    std::int16_t bsums[qk_k / 16];
};

// Sizes are the format: each is checked against the dtype table (itself checked against ggml).
// constexpr lookups for the static_asserts (traits() may throw, so it is not usable there).
inline constexpr std::size_t traits_block_bytes(dtype t) {
    for (const auto& tr : dtype_table)
        if (tr.type == t) return tr.block_bytes;
    return 0;
}
inline constexpr std::size_t traits_block_elems(dtype t) {
    for (const auto& tr : dtype_table)
        if (tr.type == t) return tr.block_elems;
    return 0;
}

static_assert(sizeof(block_q4_0) == 18 && traits_block_bytes(dtype::q4_0) == sizeof(block_q4_0));
static_assert(sizeof(block_q4_1) == 20 && traits_block_bytes(dtype::q4_1) == sizeof(block_q4_1));
static_assert(sizeof(block_q5_0) == 22 && traits_block_bytes(dtype::q5_0) == sizeof(block_q5_0));
static_assert(sizeof(block_q5_1) == 24 && traits_block_bytes(dtype::q5_1) == sizeof(block_q5_1));
static_assert(sizeof(block_q8_0) == 34 && traits_block_bytes(dtype::q8_0) == sizeof(block_q8_0));
static_assert(sizeof(block_q8_1) == 36 && traits_block_bytes(dtype::q8_1) == sizeof(block_q8_1));
static_assert(sizeof(block_iq4_nl) == 18 && traits_block_bytes(dtype::iq4_nl) == sizeof(block_iq4_nl));
static_assert(sizeof(block_q2_k) == 84 && traits_block_bytes(dtype::q2_k) == sizeof(block_q2_k));
static_assert(sizeof(block_q3_k) == 110 && traits_block_bytes(dtype::q3_k) == sizeof(block_q3_k));
static_assert(sizeof(block_q4_k) == 144 && traits_block_bytes(dtype::q4_k) == sizeof(block_q4_k));
static_assert(sizeof(block_q5_k) == 176 && traits_block_bytes(dtype::q5_k) == sizeof(block_q5_k));
static_assert(sizeof(block_q6_k) == 210 && traits_block_bytes(dtype::q6_k) == sizeof(block_q6_k));
static_assert(sizeof(block_q8_k) == 292 && traits_block_bytes(dtype::q8_k) == sizeof(block_q8_k));
static_assert(traits_block_elems(dtype::q4_0) == qk4_0 && traits_block_elems(dtype::q8_0) == qk8_0);
static_assert(traits_block_elems(dtype::q4_k) == qk_k && traits_block_elems(dtype::q8_k) == qk_k);

// Maps a dtype to its block struct, for generic code (SIMD kernels, tests).
template <dtype T> struct block_of;
template <> struct block_of<dtype::q4_0> { using type = block_q4_0; };
template <> struct block_of<dtype::q4_1> { using type = block_q4_1; };
template <> struct block_of<dtype::q5_0> { using type = block_q5_0; };
template <> struct block_of<dtype::q5_1> { using type = block_q5_1; };
template <> struct block_of<dtype::q8_0> { using type = block_q8_0; };
template <> struct block_of<dtype::q8_1> { using type = block_q8_1; };
template <> struct block_of<dtype::iq4_nl> { using type = block_iq4_nl; };
template <> struct block_of<dtype::q2_k> { using type = block_q2_k; };
template <> struct block_of<dtype::q3_k> { using type = block_q3_k; };
template <> struct block_of<dtype::q4_k> { using type = block_q4_k; };
template <> struct block_of<dtype::q5_k> { using type = block_q5_k; };
template <> struct block_of<dtype::q6_k> { using type = block_q6_k; };
template <> struct block_of<dtype::q8_k> { using type = block_q8_k; };
template <dtype T> using block_t = typename block_of<T>::type;

}  // namespace quant
HEARTH_NAMESPACE_END
