#pragma once
// AVX2 kernels of the 32-element formats (q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl) against q8_0 / q8_1
// activation blocks.
//
// Each format unpacks a weight block into 32 int8 lanes once (`prepare`), then `dot` multiplies
// them with one activation block: 8 int32 partial sums, converted to float and scaled by
// d_w * d_a in one FMA. The tile driver (tile.hpp) reuses a prepared block across several tokens.
#include <hearth/cpu/kernels/avx2_common.hpp>
#include <hearth/dtype.hpp>
#include <hearth/quant/blocks.hpp>

HEARTH_NAMESPACE_BEGIN
namespace cpu::avx2_detail {

// Each kernel is a template over the integer primitives I (avx2_ops, or VNNI's on AVX-512).
// Common part: the accumulator is 8 float lanes, reduced once per output.
struct vec_acc {
    using acc = __m256;
    static acc zero() noexcept { return _mm256_setzero_ps(); }
    static float reduce(acc a) noexcept { return hsum(a); }
};

// Accumulator of the formats with a per-block minimum (q4_1, q5_1): the m * s_a term is one
// scalar FMA per block, cheaper than spreading it over the vector lanes.
struct vec_min_acc {
    struct acc { __m256 v; float m; };
    static acc zero() noexcept { return {_mm256_setzero_ps(), 0.0f}; }
    static float reduce(const acc& a) noexcept { return hsum(a.v) + a.m; }
};

// Weights q = nibble - 8, activations q8_0. The nibbles stay unsigned (vpmaddubsw needs one
// unsigned side, so no sign juggling per row) and the -8 becomes -8 * sum(a), computed once per
// activation block for all the rows of a tile.
template <class I = avx2_ops>
struct q4_0_kernel : vec_acc {
    using wblock = quant::block_q4_0;
    using ablock = quant::block_q8_0;
    struct prepared { __m256i q; float d; };
    struct act_prepared { __m256i bias; float d; };
    static prepared prepare(const wblock& w) noexcept { return {unpack_nibbles_16(w.qs), half(w.d)}; }
    static act_prepared prepare_act(const ablock& a) noexcept {
        const __m256i eight_sums = I::madd_u8_i8(_mm256_set1_epi8(8), load256(a.qs));
        return {_mm256_sub_epi32(_mm256_setzero_si256(), eight_sums), half(a.d)};
    }
    static acc dot(const prepared& p, const wblock&, const act_prepared& ap, const ablock& a, acc s) noexcept {
        const __m256i sum = I::madd_u8_i8_acc(ap.bias, p.q, load256(a.qs));
        return _mm256_fmadd_ps(_mm256_set1_ps(p.d * ap.d), _mm256_cvtepi32_ps(sum), s);
    }
};

// Weights q in [0, 15] with min m, activations q8_1 (s = d_a * sum(q_a) carries the min term).
template <class I = avx2_ops>
struct q4_1_kernel : vec_min_acc {
    using wblock = quant::block_q4_1;
    using ablock = quant::block_q8_1;
    struct prepared { __m256i q; float d, m; };
    struct act_prepared { float d, s; };
    static prepared prepare(const wblock& w) noexcept { return {unpack_nibbles_16(w.qs), half(w.d), half(w.m)}; }
    static act_prepared prepare_act(const ablock& a) noexcept { return {half(a.d), half(a.s)}; }
    static acc dot(const prepared& p, const wblock&, const act_prepared& ap, const ablock& a, acc s) noexcept {
        const __m256 sums = _mm256_cvtepi32_ps(I::madd_u8_i8(p.q, load256(a.qs)));
        return {_mm256_fmadd_ps(_mm256_set1_ps(p.d * ap.d), sums, s.v), p.m * ap.s + s.m};
    }
};

// Weights q = (nibble | high bit << 4) - 16, activations q8_0: unsigned 5-bit values and a
// -16 * sum(a) correction per activation block, as for q4_0.
template <class I = avx2_ops>
struct q5_0_kernel : vec_acc {
    using wblock = quant::block_q5_0;
    using ablock = quant::block_q8_0;
    struct prepared { __m256i q; float d; };
    struct act_prepared { __m256i bias; float d; };
    static prepared prepare(const wblock& w) noexcept {
        const __m256i high = _mm256_and_si256(bytes_from_bits(load_u32(w.qh)), _mm256_set1_epi8(0x10));
        return {_mm256_or_si256(unpack_nibbles_16(w.qs), high), half(w.d)};
    }
    static act_prepared prepare_act(const ablock& a) noexcept {
        const __m256i sums16 = I::madd_u8_i8(_mm256_set1_epi8(16), load256(a.qs));
        return {_mm256_sub_epi32(_mm256_setzero_si256(), sums16), half(a.d)};
    }
    static acc dot(const prepared& p, const wblock&, const act_prepared& ap, const ablock& a, acc s) noexcept {
        const __m256i sum = I::madd_u8_i8_acc(ap.bias, p.q, load256(a.qs));
        return _mm256_fmadd_ps(_mm256_set1_ps(p.d * ap.d), _mm256_cvtepi32_ps(sum), s);
    }
};

// Weights q in [0, 31] with min m, activations q8_1.
template <class I = avx2_ops>
struct q5_1_kernel : vec_min_acc {
    using wblock = quant::block_q5_1;
    using ablock = quant::block_q8_1;
    struct prepared { __m256i q; float d, m; };
    struct act_prepared { float d, s; };
    static prepared prepare(const wblock& w) noexcept {
        const __m256i high = _mm256_and_si256(bytes_from_bits(load_u32(w.qh)), _mm256_set1_epi8(0x10));
        return {_mm256_or_si256(unpack_nibbles_16(w.qs), high), half(w.d), half(w.m)};
    }
    static act_prepared prepare_act(const ablock& a) noexcept { return {half(a.d), half(a.s)}; }
    static acc dot(const prepared& p, const wblock&, const act_prepared& ap, const ablock& a, acc s) noexcept {
        const __m256 sums = _mm256_cvtepi32_ps(I::madd_u8_i8(p.q, load256(a.qs)));
        return {_mm256_fmadd_ps(_mm256_set1_ps(p.d * ap.d), sums, s.v), p.m * ap.s + s.m};
    }
};

// q8_0 in llama.cpp's order (8 float lanes per row, one FMA per 4-element chunk and block): the
// AVX-512 matmul, and attention's scores against a q8_0 K cache on AVX2. The AVX2 matmul sums
// per block instead (avx2_q8_0x16.hpp).
template <class I = avx2_ops>
struct q8_0_kernel : vec_acc {
    using wblock = quant::block_q8_0;
    using ablock = quant::block_q8_0;
    struct prepared { __m256i q; float d; };
    static prepared prepare(const wblock& w) noexcept { return {load256(w.qs), half(w.d)}; }
    // The sign trick takes |w| (not |a| once per activation block, as iq4_nl does): a file's q8_0
    // weights may hold -128 (ggml's quantizer never writes it, other writers might), whose sign
    // cannot be flipped in int8; quantized activations never do.
    static float prepare_act(const ablock& a) noexcept { return half(a.d); }
    static acc dot(const prepared& p, const wblock&, float da, const ablock& a, acc s) noexcept {
        const __m256 sums = _mm256_cvtepi32_ps(I::dot_i8(p.q, load256(a.qs)));
        return _mm256_fmadd_ps(_mm256_set1_ps(p.d * da), sums, s);
    }
};

// The same dot for GEMM tiles: |w| is taken once per weight block in prepare() instead of once
// per row x token, and the activations take w's signs (vpsignb a, w) per token. Same integer
// products (|w| * (a * sign w) = w * a), same float operations, so the same results as
// q8_0_kernel.
template <class I = avx2_ops>
struct q8_0_gemm_kernel : vec_acc {
    using wblock = quant::block_q8_0;
    using ablock = quant::block_q8_0;
    // Both scales are kept broadcast, so their product is one vmulps per row x token (the same
    // float product as p.d * da, without a scalar multiply and a broadcast).
    struct prepared { __m256i abs; __m256 d; };
    static prepared prepare(const wblock& w) noexcept {
        const __m256i q = load256(w.qs);
        return {_mm256_sign_epi8(q, q), _mm256_set1_ps(half(w.d))};
    }
    static __m256 prepare_act(const ablock& a) noexcept { return _mm256_set1_ps(half(a.d)); }
    static acc dot(const prepared& p, const wblock& w, __m256 da, const ablock& a, acc s) noexcept {
        const __m256i signed_a = _mm256_sign_epi8(load256(a.qs), load256(w.qs));
        const __m256 sums = _mm256_cvtepi32_ps(I::madd_u8_i8(p.abs, signed_a));
        return _mm256_fmadd_ps(_mm256_mul_ps(p.d, da), sums, s);
    }
};

// Non-linear 4-bit: each nibble indexes a 16-entry int8 table (one vpshufb).
template <class I = avx2_ops>
struct iq4_nl_kernel : vec_acc {
    using wblock = quant::block_iq4_nl;
    using ablock = quant::block_q8_0;
    struct prepared { __m256i q; float d; };
    static prepared prepare(const wblock& w) noexcept {
        const __m128i table = load128(quant::kvalues_iq4nl.data());
        const __m256i q = _mm256_shuffle_epi8(_mm256_set_m128i(table, table), unpack_nibbles_16(w.qs));
        return {q, half(w.d)};
    }
    // Signed x signed: the activation side gives |a| once per block, each row only flips its
    // signs with a (one vpsignb per row instead of two). Safe: no table level is -128.
    struct act_prepared { __m256i a_abs; float d; };
    static act_prepared prepare_act(const ablock& a) noexcept {
        const __m256i av = load256(a.qs);
        return {_mm256_sign_epi8(av, av), half(a.d)};
    }
    static acc dot(const prepared& p, const wblock&, const act_prepared& ap, const ablock& a, acc s) noexcept {
        const __m256i sum = I::madd_u8_i8(ap.a_abs, _mm256_sign_epi8(p.q, load256(a.qs)));
        return _mm256_fmadd_ps(_mm256_set1_ps(p.d * ap.d), _mm256_cvtepi32_ps(sum), s);
    }
};

}  // namespace cpu::avx2_detail
HEARTH_NAMESPACE_END
