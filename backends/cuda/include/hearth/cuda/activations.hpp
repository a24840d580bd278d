#pragma once
// How this backend lays out activations for the matmul kernels, and the quantizers that fill it.
//
// The values are ggml's: before a dot product with weights of type T, an activation row is rounded
// to activation_type(T) (q8_0, q8_1, q8_K, f16, bf16 or f32) exactly as the CPU backend and ggml
// do, so the integer sums of the quant dot products are the same integers. Only the layout is
// ours: a quantized row is split into its int8 quants (16-byte aligned, read as vectors by the
// kernels) and one 32-element group record per group, instead of ggml's 34/36/292-byte blocks that
// no GPU load can read aligned:
//
//   q8_0/q8_1/q8_K row of k values:  int8 q[k] | float d[k/32] | u32 aux[k/32]   (each part 16-aligned)
//     d:   the group's scale as the CPU multiplies by it (q8_0/q8_1: the fp16 d widened;
//          q8_K: the float d of the group's 256-element block)
//     aux: q8_1: the fp16 s = d * sum(q), widened, as float bits; q8_K: the sum of the group's 32
//          quants (bsums[2j] + bsums[2j+1] of ggml's block); q8_0: 0
//   f16/bf16/f32 row: the k values in that type, packed.
//
// Every quantizer here is HEARTH_CUDA_HD: the device kernel runs one group per thread (or warp) with
// this code, the host twin runs it in a loop, and the host test checks it against hearth::quant's
// reference quantizers byte for byte.
#include <hearth/cuda/portable.hpp>
#include <hearth/dtype.hpp>
#include <hearth/error.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

enum class act_kind : std::uint8_t { f32, f16, bf16, q8_0, q8_1, q8_k };

inline constexpr std::size_t group_elems = 32;  // one activation group = one dot-product unit

HEARTH_CUDA_HD constexpr std::size_t align16(std::size_t n) { return (n + 15) / 16 * 16; }

HEARTH_CUDA_HD constexpr bool is_quantized(act_kind a) {
    return a == act_kind::q8_0 || a == act_kind::q8_1 || a == act_kind::q8_k;
}

// Elements of the block a quantizer works on (256 for q8_K: one d per 256 values).
HEARTH_CUDA_HD constexpr std::size_t act_block_elems(act_kind a) {
    return a == act_kind::q8_k ? 256 : (is_quantized(a) ? 32 : 1);
}

// Byte offsets of the parts of one activation row.
struct act_layout {
    std::size_t d_offset = 0, aux_offset = 0, row_bytes = 0;
};

HEARTH_CUDA_HD constexpr act_layout layout_of(act_kind a, std::size_t k) {
    act_layout l{};
    if (is_quantized(a)) {
        l.d_offset = align16(k);
        l.aux_offset = l.d_offset + align16(4 * (k / group_elems));
        l.row_bytes = l.aux_offset + align16(4 * (k / group_elems));
    } else {
        const std::size_t es = a == act_kind::f32 ? 4 : 2;
        l.row_bytes = align16(es * k);
    }
    return l;
}

inline const char* name_of(act_kind a) {
    switch (a) {
    case act_kind::f32: return "f32";
    case act_kind::f16: return "f16";
    case act_kind::bf16: return "bf16";
    case act_kind::q8_0: return "q8_0";
    case act_kind::q8_1: return "q8_1";
    case act_kind::q8_k: return "q8_K";
    }
    return "?";
}

// A row of k values must be whole quantizer blocks.
inline void check_act_width(act_kind a, std::size_t k, const char* what) {
    const std::size_t b = is_quantized(a) ? act_block_elems(a) : 2;
    if (k == 0 || k % b != 0)
        throw error(errc::invalid_argument, std::string(what) + ": rows of " + std::to_string(k) + " values cannot be " +
                                                name_of(a) + " activations (need a multiple of " + std::to_string(b) +
                                                ")");
}

// ---- one 32-element group of a quantized row, as the dot products read it --------------------
struct act_group {
    int q[8];           // 32 int8 quants, 4 per int, in element order
    float d;
    std::uint32_t aux;  // see the layout above
};

HEARTH_CUDA_HD act_group load_act_group(const std::uint8_t* row, const act_layout& l, std::size_t g) {
    act_group a;
    std::uint32_t w[4];
    load_u32x4_aligned(row + 32 * g, w);
    for (int i = 0; i < 4; ++i) a.q[i] = static_cast<int>(w[i]);
    load_u32x4_aligned(row + 32 * g + 16, w);
    for (int i = 0; i < 4; ++i) a.q[4 + i] = static_cast<int>(w[i]);
    a.d = load_f32(row + l.d_offset + 4 * g);
    a.aux = load_u32_aligned(row + l.aux_offset + 4 * g);
    return a;
}

// ---- quantizers: x (the block's floats) -> the row's parts ------------------------------------
// q8_0 / q8_1 (ggml's quantize_row_q8_0_ref / q8_1_ref): d = amax / 127, q = round(x / d).
// `g` is the group index in the row; writes q[32g..], d[g], aux[g].
template <bool with_sum>
HEARTH_CUDA_HD void quantize_group_q8(const float* x, std::uint8_t* row, const act_layout& l, std::size_t g) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = ::fmaxf(amax, abs_f(x[j]));
    const float d = fdiv(amax, 127.0f);
    const float id = d != 0.0f ? fdiv(1.0f, d) : 0.0f;
    int sum = 0;
    std::uint8_t* q = row + 32 * g;
    for (int j = 0; j < 32; ++j) {
        const int v = round_away(fmul(x[j], id));
        q[j] = static_cast<std::uint8_t>(static_cast<std::int8_t>(v));
        sum += v;
    }
    store_f32(row + l.d_offset + 4 * g, half_to_float(float_to_half(d)));
    // s uses the unrounded d (ggml), then is stored as fp16.
    const std::uint32_t aux = with_sum ? float_to_bits(half_to_float(float_to_half(fmul(static_cast<float>(sum), d)))) : 0u;
    store_u32_aligned(row + l.aux_offset + 4 * g, aux);
}

// q8_K (ggml's quantize_row_q8_K_ref) over one 256-value block starting at group g (a multiple of
// 8): the signed value of largest magnitude (the first on a tie) maps to -127, q = nearest(x * iscale)
// capped at 127, d = 1 / iscale; an all-zero block has d = 0 and zero quants.
HEARTH_CUDA_HD void quantize_block_q8_k(const float* x, std::uint8_t* row, const act_layout& l, std::size_t g) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 256; ++j) {
        const float ax = abs_f(x[j]);
        if (ax > amax) amax = ax, max = x[j];
    }
    std::uint8_t* q = row + 32 * g;
    if (amax == 0.0f) {
        for (int j = 0; j < 256; ++j) q[j] = 0;
        for (int s = 0; s < 8; ++s) {
            store_f32(row + l.d_offset + 4 * (g + s), 0.0f);
            store_u32_aligned(row + l.aux_offset + 4 * (g + s), 0u);
        }
        return;
    }
    const float iscale = fdiv(-127.0f, max);
    const float d = fdiv(1.0f, iscale);
    for (int s = 0; s < 8; ++s) {
        int sum = 0;
        for (int j = 32 * s; j < 32 * s + 32; ++j) {
            int v = round_even(fmul(iscale, x[j]));
            v = v < 127 ? v : 127;
            q[j] = static_cast<std::uint8_t>(static_cast<std::int8_t>(v));
            sum += v;
        }
        store_f32(row + l.d_offset + 4 * (g + s), d);
        store_u32_aligned(row + l.aux_offset + 4 * (g + s), static_cast<std::uint32_t>(sum));
    }
}

// Float kinds: element i of the row.
HEARTH_CUDA_HD void store_act_float(act_kind a, std::uint8_t* row, std::size_t i, float x) {
    if (a == act_kind::f32) store_f32(row + 4 * i, x);
    else store_u16(row + 2 * i, a == act_kind::f16 ? float_to_half(x) : float_to_bf16(x));
}

}  // namespace cuda
HEARTH_NAMESPACE_END
