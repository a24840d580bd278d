#pragma once
// Matmul tiles for float weights (f32, f16, bf16) on any SIMD arch, written once over Highway.
//
// Why Highway here: f16 and bf16 rows need a widening conversion to f32 lanes (F16C on x86, fcvtl
// on NEON) that xsimd 8 lacks; Highway's PromoteTo covers both with one statically dispatched
// code path, so AVX2, AVX-512 and NEON share these kernels. Activations have the weight's type
// (ggml converts them the same way), so both sides widen identically.
#include <hearth/dtype.hpp>
#include <hearth/fp16.hpp>
#include <hwy/highway.h>
#include <cstddef>
#include <cstring>

// Compile these functions for Highway's static target (AVX2 adds bmi/bmi2 to -mavx2 -mfma), so
// its always-inline ops inline here even when the user's flags name fewer features.
HWY_BEFORE_NAMESPACE();
HEARTH_NAMESPACE_BEGIN
namespace cpu::hwy_float {

namespace hn = hwy::HWY_NAMESPACE;

template <dtype T> struct elem_of;
template <> struct elem_of<dtype::f32> { using type = float; };
template <> struct elem_of<dtype::f16> { using type = hwy::float16_t; };
template <> struct elem_of<dtype::bf16> { using type = hwy::bfloat16_t; };

// One element (raw bits from the file) to float, for the K tail.
template <dtype T> inline float to_f32(const std::byte* row, std::size_t i) noexcept {
    if constexpr (T == dtype::f32) {
        float v;
        std::memcpy(&v, row + 4 * i, 4);
        return v;
    } else {
        std::uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        return T == dtype::f16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
    }
}

template <dtype T, class D> HWY_INLINE auto load(D d, const std::byte* row, std::size_t i) noexcept {
    using E = typename elem_of<T>::type;
    const E* p = reinterpret_cast<const E*>(row) + i;
    if constexpr (T == dtype::f32) {
        return hn::LoadU(d, p);
    } else {
        const hn::Rebind<E, D> dh;
        return hn::PromoteTo(d, hn::LoadU(dh, p));
    }
}

// y[t][r] for RM weight rows x RN activation rows over k elements.
template <dtype T, int RM, int RN>
inline void tile(const std::byte* w, std::size_t w_stride, const std::byte* a, std::size_t a_stride, std::size_t k,
                 float* y, std::size_t y_stride) {
    const hn::ScalableTag<float> d;
    const std::size_t n = hn::Lanes(d);
    using V = hn::Vec<decltype(d)>;
    V acc[RM][RN];
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t) acc[r][t] = hn::Zero(d);
    std::size_t i = 0;
    for (; i + n <= k; i += n) {
        V av[RN];
        for (int t = 0; t < RN; ++t) av[t] = load<T>(d, a + t * a_stride, i);
        for (int r = 0; r < RM; ++r) {
            const V wv = load<T>(d, w + r * w_stride, i);
            for (int t = 0; t < RN; ++t) acc[r][t] = hn::MulAdd(wv, av[t], acc[r][t]);
        }
    }
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t) {
            float s = hn::GetLane(hn::SumOfLanes(d, acc[r][t]));
            for (std::size_t j = i; j < k; ++j)
                s += to_f32<T>(w + r * w_stride, j) * to_f32<T>(a + t * a_stride, j);
            y[t * y_stride + r] = s;
        }
}

// Activation rows in the weight's float type: f16 rounds to nearest even (F16C / fcvtn, the same
// bits as fp32_to_fp16), bf16 uses hearth's scalar rounding (Highway 1.0's bf16 demotion truncates).
template <dtype T>
inline void convert_row(const float* x, std::byte* out, std::size_t k) {
    if constexpr (T == dtype::f32) {
        std::memcpy(out, x, k * sizeof(float));
    } else if constexpr (T == dtype::f16) {
        const hn::ScalableTag<float> d;
        const hn::Rebind<hwy::float16_t, decltype(d)> dh;
        auto* o = reinterpret_cast<hwy::float16_t*>(out);
        const std::size_t n = hn::Lanes(d), body = k / n * n;
        for (std::size_t i = 0; i < body; i += n) hn::StoreU(hn::DemoteTo(dh, hn::LoadU(d, x + i)), dh, o + i);
        for (std::size_t i = body; i < k; ++i) {
            const std::uint16_t h = fp32_to_fp16(x[i]);
            std::memcpy(out + 2 * i, &h, 2);
        }
    } else {
        for (std::size_t i = 0; i < k; ++i) {
            const std::uint16_t h = fp32_to_bf16(x[i]);
            std::memcpy(out + 2 * i, &h, 2);
        }
    }
}

}  // namespace cpu::hwy_float
HEARTH_NAMESPACE_END
HWY_AFTER_NAMESPACE();
