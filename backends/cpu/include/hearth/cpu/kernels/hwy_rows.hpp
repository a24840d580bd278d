#pragma once
// Row kernels over Highway for the SIMD archs (AVX2, AVX-512, NEON): y += s * row for the KV-cache
// value types, widening int8 -> int32 -> float (PromoteTo + ConvertTo) and f16/bf16 -> float.
// Only included by the per-arch kernel headers (the instruction-set edge).
#include <hearth/dtype.hpp>
#include <hearth/fp16.hpp>
#include <hearth/quant/blocks.hpp>
#include <hwy/highway.h>
#include <cstddef>
#include <type_traits>

// Highway: one body for AVX2, AVX-512 and NEON (int8 -> int32 -> float widening plus FMA).
HWY_BEFORE_NAMESPACE();
HEARTH_NAMESPACE_BEGIN
namespace cpu::hwy_rows {
namespace hn = hwy::HWY_NAMESPACE;

// The q4_0 nibbles of one block as signed levels q - 8, element order.
inline void q4_0_levels(const quant::block_q4_0& b, std::int8_t out[32]) noexcept {
    for (int j = 0; j < 16; ++j) {
        out[j] = static_cast<std::int8_t>((b.qs[j] & 0x0f) - 8);
        out[j + 16] = static_cast<std::int8_t>((b.qs[j] >> 4) - 8);
    }
}


// y[0..32) += scale * q[0..32)
inline void axpy_levels32(const std::int8_t* q, float scale, float* y) {
    const hn::ScalableTag<float> df;
    const hn::Rebind<std::int32_t, decltype(df)> di32;
    const hn::Rebind<std::int8_t, decltype(df)> di8;
    const std::size_t lanes = hn::Lanes(df);
    const auto vs = hn::Set(df, scale);
    for (std::size_t j = 0; j < 32; j += lanes) {
        const auto v = hn::ConvertTo(df, hn::PromoteTo(di32, hn::LoadU(di8, q + j)));
        hn::StoreU(hn::MulAdd(vs, v, hn::LoadU(df, y + j)), df, y + j);
    }
}

template <class E> inline void axpy_float_row(const E* row, float s, float* y, std::size_t n) {
    const hn::ScalableTag<float> df;
    const std::size_t lanes = hn::Lanes(df), body = n / lanes * lanes;
    const auto vs = hn::Set(df, s);
    for (std::size_t i = 0; i < body; i += lanes) {
        hn::Vec<decltype(df)> v;
        if constexpr (std::is_same_v<E, float>) v = hn::LoadU(df, row + i);
        else v = hn::PromoteTo(df, hn::LoadU(hn::Rebind<E, decltype(df)>(), row + i));
        hn::StoreU(hn::MulAdd(vs, v, hn::LoadU(df, y + i)), df, y + i);
    }
    for (std::size_t i = body; i < n; ++i) {
        float v;
        if constexpr (std::is_same_v<E, float>) v = row[i];
        else if constexpr (std::is_same_v<E, hwy::float16_t>) v = fp16_to_fp32(reinterpret_cast<const std::uint16_t*>(row)[i]);
        else v = bf16_to_fp32(reinterpret_cast<const std::uint16_t*>(row)[i]);
        y[i] += s * v;
    }
}

inline bool axpy_row(dtype type, const std::byte* row, float s, float* y, std::size_t n) {
    switch (type) {
    case dtype::f32: axpy_float_row(reinterpret_cast<const float*>(row), s, y, n); return true;
    case dtype::f16: axpy_float_row(reinterpret_cast<const hwy::float16_t*>(row), s, y, n); return true;
    case dtype::bf16: axpy_float_row(reinterpret_cast<const hwy::bfloat16_t*>(row), s, y, n); return true;
    case dtype::q8_0: {
        const auto* b = reinterpret_cast<const quant::block_q8_0*>(row);
        for (std::size_t i = 0; i < n / 32; ++i) axpy_levels32(b[i].qs, s * fp16_to_fp32(b[i].d), y + 32 * i);
        return true;
    }
    case dtype::q4_0: {
        const auto* b = reinterpret_cast<const quant::block_q4_0*>(row);
        std::int8_t q[32];
        for (std::size_t i = 0; i < n / 32; ++i) {
            q4_0_levels(b[i], q);
            axpy_levels32(q, s * fp16_to_fp32(b[i].d), y + 32 * i);
        }
        return true;
    }
    default: return false;
    }
}

}  // namespace cpu::hwy_rows
HEARTH_NAMESPACE_END
HWY_AFTER_NAMESPACE();
