#pragma once
// The KV cache's storage formats on the device: rows in GGUF's own layouts (f32, f16, q8_0, q4_0),
// so a cache can be compared byte for byte with the CPU backend's. The quantizers are ggml's
// reference quantizers (quantize_row_q8_0_ref / q4_0_ref) step by step; the element readers are
// the dequantizers. HEARTH_CUDA_HD: the store kernel and the host twin run this code.
#include <hearth/cuda/portable.hpp>
#include <hearth/cuda/weights.hpp>
#include <hearth/dtype.hpp>
#include <cstddef>
#include <cstdint>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

inline constexpr bool kv_type_supported(dtype t) {
    return t == dtype::f32 || t == dtype::f16 || t == dtype::q8_0 || t == dtype::q4_0;
}

// Elements one store step writes: a whole block for the quantized types.
HEARTH_CUDA_HD constexpr std::size_t kv_block_elems(dtype t) {
    return t == dtype::q8_0 || t == dtype::q4_0 ? 32 : 1;
}
HEARTH_CUDA_HD constexpr std::size_t kv_block_bytes(dtype t) {
    return t == dtype::q8_0 ? 34 : t == dtype::q4_0 ? 18 : t == dtype::f16 ? 2 : 4;
}

// q8_0: d = amax / 127, q = round(x / d) (halves away from zero).
HEARTH_CUDA_HD void quantize_kv_q8_0(const float* x, std::uint8_t* dst) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = ::fmaxf(amax, abs_f(x[j]));
    const float d = fdiv(amax, 127.0f);
    const float id = d != 0.0f ? fdiv(1.0f, d) : 0.0f;
    store_u16(dst, float_to_half(d));
    for (int j = 0; j < 32; ++j) dst[2 + j] = static_cast<std::uint8_t>(static_cast<std::int8_t>(round_away(fmul(x[j], id))));
}

// q4_0: the signed extreme (first on a tie) maps to -8; q = min(15, trunc(x / d + 8.5)).
HEARTH_CUDA_HD void quantize_kv_q4_0(const float* x, std::uint8_t* dst) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j)
        if (amax < abs_f(x[j])) amax = abs_f(x[j]), max = x[j];
    const float d = fdiv(max, -8.0f);
    const float id = d != 0.0f ? fdiv(1.0f, d) : 0.0f;
    store_u16(dst, float_to_half(d));
    for (int j = 0; j < 16; ++j) {
        int q0 = static_cast<int>(fadd(fmul(x[j], id), 8.5f));
        int q1 = static_cast<int>(fadd(fmul(x[16 + j], id), 8.5f));
        q0 = q0 < 15 ? q0 : 15;
        q1 = q1 < 15 ? q1 : 15;
        dst[2 + j] = static_cast<std::uint8_t>(q0 | q1 << 4);
    }
}

// Block b of a row (b counts blocks of kv_block_elems(t) values).
HEARTH_CUDA_HD void store_kv_block(dtype t, const float* x, std::uint8_t* row, std::size_t b) {
    std::uint8_t* dst = row + kv_block_bytes(t) * b;
    switch (t) {
    case dtype::q8_0: quantize_kv_q8_0(x, dst); break;
    case dtype::q4_0: quantize_kv_q4_0(x, dst); break;
    case dtype::f16: store_u16(dst, float_to_half(x[0])); break;
    default: store_f32(dst, x[0]); break;  // f32 (4-byte aligned: rows are whole floats)
    }
}

// Element i of a cache row (one head) of type T, as the dequantizers compute it.
template <dtype T>
HEARTH_CUDA_HD float kv_element_of(const std::uint8_t* row, std::size_t i) {
    if constexpr (T == dtype::q8_0) {
        const std::uint8_t* b = row + 34 * (i / 32);
        return fmul(static_cast<float>(static_cast<std::int8_t>(b[2 + i % 32])), half_to_float(load_u16(b)));
    } else if constexpr (T == dtype::q4_0) {
        const std::uint8_t* b = row + 18 * (i / 32);
        const int j = static_cast<int>(i % 32);
        const int q = j < 16 ? (b[2 + j] & 0x0F) : (b[2 + j - 16] >> 4);
        return fmul(static_cast<float>(q - 8), half_to_float(load_u16(b)));
    } else if constexpr (T == dtype::f16) {
        return half_to_float(load_u16(row + 2 * i));
    } else {
        return load_f32(row + 4 * i);
    }
}

// Calls f(dtype_tag<T>{}) for a KV cache type (f32 for any type kv_type_supported refuses). Host
// code (launch plans): nvcc warns when a host-device function calls a host lambda.
template <class F>
decltype(auto) visit_kv_type(dtype t, F&& f) {
    switch (t) {
    case dtype::q8_0: return f(dtype_tag<dtype::q8_0>{});
    case dtype::q4_0: return f(dtype_tag<dtype::q4_0>{});
    case dtype::f16: return f(dtype_tag<dtype::f16>{});
    default: return f(dtype_tag<dtype::f32>{});
    }
}

HEARTH_CUDA_HD float kv_element(dtype t, const std::uint8_t* row, std::size_t i) {
    switch (t) {
    case dtype::q8_0: return kv_element_of<dtype::q8_0>(row, i);
    case dtype::q4_0: return kv_element_of<dtype::q4_0>(row, i);
    case dtype::f16: return kv_element_of<dtype::f16>(row, i);
    default: return kv_element_of<dtype::f32>(row, i);
    }
}

// The activation kind a query is rounded to before it meets a key row of type t (ggml's pairing).
HEARTH_CUDA_HD constexpr act_kind query_kind(dtype k_type) {
    return k_type == dtype::f32 ? act_kind::f32 : k_type == dtype::f16 ? act_kind::f16 : act_kind::q8_0;
}

// Bytes of one key unit as kv_key_dot_units walks a row: a quant block, or a pair of floats.
HEARTH_CUDA_HD constexpr std::size_t kv_key_unit_bytes(dtype t) {
    return t == dtype::q8_0 ? 34 : t == dtype::q4_0 ? 18 : t == dtype::f16 ? 4 : 8;
}
HEARTH_CUDA_HD constexpr std::size_t kv_key_unit_elems(dtype t) {
    return t == dtype::q8_0 || t == dtype::q4_0 ? 32 : 2;
}

// Adds to s the shares of key units [u0, u1) of one key head row of type T, with `units` pointing
// at unit u0 (the attention kernel passes a staged slice of the row), against the query rounded to
// query_kind(T): the units' shares in order, so slices walked one after another give the same
// float as the whole row.
template <dtype T>
HEARTH_CUDA_HD float kv_key_dot_units(const std::uint8_t* units, const std::uint8_t* qrow, const act_layout& l,
                                      std::size_t u0, std::size_t u1, float s) {
    for (std::size_t u = u0; u < u1; ++u) {
        if constexpr (T == dtype::q8_0 || T == dtype::q4_0)
            s = fadd(s, wfmt<T>::dot(wfmt<T>::load(units, u - u0), load_act_group(qrow, l, u)));
        else
            s = fadd(s, wfmt<T>::dot(wfmt<T>::load(units, u - u0), wfmt<T>::load_act(qrow, u)));
    }
    return s;
}

// Dot product of one key head row (hd values of t) with the query rounded to query_kind(t) (one
// activation row of hd values), summing the units' shares in order.
HEARTH_CUDA_HD float kv_key_dot(dtype t, const std::uint8_t* krow, const std::uint8_t* qrow, const act_layout& l,
                                std::size_t hd) {
    const std::size_t units = hd / kv_key_unit_elems(t);
    switch (t) {
    case dtype::q8_0: return kv_key_dot_units<dtype::q8_0>(krow, qrow, l, 0, units, 0.0f);
    case dtype::q4_0: return kv_key_dot_units<dtype::q4_0>(krow, qrow, l, 0, units, 0.0f);
    case dtype::f16: return kv_key_dot_units<dtype::f16>(krow, qrow, l, 0, units, 0.0f);
    default: return kv_key_dot_units<dtype::f32>(krow, qrow, l, 0, units, 0.0f);
    }
}

}  // namespace cuda
HEARTH_NAMESPACE_END
