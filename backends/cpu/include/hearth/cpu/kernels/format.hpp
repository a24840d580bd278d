#pragma once
// Which kernel computes a weight dtype on an instruction set, with fallbacks: an arch that has no
// kernel of its own for a format borrows the next arch's (AVX-512 -> AVX2 -> scalar,
// NEON -> scalar), so every computable dtype runs everywhere.
//
// format<Arch, T> is specialised by the per-arch headers with `using policy = ...;` (a tile
// policy, see tile.hpp). `activation_type(T)` is the format the activations are quantized to.
#include <hearth/cpu/arch.hpp>
#include <hearth/dtype.hpp>
#include <cstddef>
#include <string>
#include <type_traits>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

template <class Arch, dtype T> struct format {};

template <class Arch> struct fallback_arch { using type = scalar; };
template <> struct fallback_arch<avx512> { using type = avx2; };

template <class Arch, dtype T>
concept has_format = requires { typename format<Arch, T>::policy; };

template <class Arch, dtype T> struct resolve_format {
    using type = typename resolve_format<typename fallback_arch<Arch>::type, T>::type;
};
template <class Arch, dtype T>
    requires has_format<Arch, T>
struct resolve_format<Arch, T> {
    using type = format<Arch, T>;
};

template <class Arch, dtype T> using policy_of = typename resolve_format<Arch, T>::type::policy;

// The policy of attention's scores (one key row of the K cache times 1..8 queries): the matmul's,
// unless the format names a `key_policy` of its own. AVX2 q8_0 does: its matmul sums a row per
// block for speed, while its scores keep llama.cpp's order (ggml_vec_dot_q8_0_q8_0, which
// llama.cpp's flash attention calls per key), so a q8_0 K cache gives llama.cpp's scores bit for bit.
template <class Format> struct key_policy_select { using type = typename Format::policy; };
template <class Format>
    requires requires { typename Format::key_policy; }
struct key_policy_select<Format> {
    using type = typename Format::key_policy;
};
template <class Arch, dtype T>
using key_policy_of = typename key_policy_select<typename resolve_format<Arch, T>::type>::type;

// Single-row helpers an arch may accelerate (row_ops.hpp): axpy returns false when it has no
// kernel for the type, and the caller uses the reference; exp (y[i] = std::exp(x[i]) bit for
// bit, or false) likewise.
template <class Arch> struct row_kernels {
    static bool axpy(dtype, const std::byte*, float, float*, std::size_t) { return false; }
    static bool exp(const float*, float*, std::size_t) { return false; }
};

// The activation format a weight format is multiplied with (ggml's vec_dot_type).
constexpr dtype activation_type_of(dtype w) {
    switch (w) {
    case dtype::f32: return dtype::f32;
    case dtype::f16: return dtype::f16;
    case dtype::bf16: return dtype::bf16;
    case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: case dtype::iq4_nl: return dtype::q8_0;
    case dtype::q4_1: case dtype::q5_1: return dtype::q8_1;
    case dtype::q2_k: case dtype::q3_k: case dtype::q4_k: case dtype::q5_k: case dtype::q6_k: return dtype::q8_k;
    default: return w;
    }
}

// The weight dtypes matmul accepts.
constexpr bool matmul_supports(dtype w) {
    switch (w) {
    case dtype::f32: case dtype::f16: case dtype::bf16: case dtype::q4_0: case dtype::q4_1: case dtype::q5_0:
    case dtype::q5_1: case dtype::q8_0: case dtype::q2_k: case dtype::q3_k: case dtype::q4_k: case dtype::q5_k:
    case dtype::q6_k: case dtype::iq4_nl: return true;
    default: return false;
    }
}

// Calls f(std::integral_constant<dtype, T>{}) for the runtime dtype w (one of matmul_supports).
template <class F> decltype(auto) visit_weight_type(dtype w, F&& f) {
    switch (w) {
    case dtype::f32: return f(std::integral_constant<dtype, dtype::f32>{});
    case dtype::f16: return f(std::integral_constant<dtype, dtype::f16>{});
    case dtype::bf16: return f(std::integral_constant<dtype, dtype::bf16>{});
    case dtype::q4_0: return f(std::integral_constant<dtype, dtype::q4_0>{});
    case dtype::q4_1: return f(std::integral_constant<dtype, dtype::q4_1>{});
    case dtype::q5_0: return f(std::integral_constant<dtype, dtype::q5_0>{});
    case dtype::q5_1: return f(std::integral_constant<dtype, dtype::q5_1>{});
    case dtype::q8_0: return f(std::integral_constant<dtype, dtype::q8_0>{});
    case dtype::q2_k: return f(std::integral_constant<dtype, dtype::q2_k>{});
    case dtype::q3_k: return f(std::integral_constant<dtype, dtype::q3_k>{});
    case dtype::q4_k: return f(std::integral_constant<dtype, dtype::q4_k>{});
    case dtype::q5_k: return f(std::integral_constant<dtype, dtype::q5_k>{});
    case dtype::q6_k: return f(std::integral_constant<dtype, dtype::q6_k>{});
    case dtype::iq4_nl: return f(std::integral_constant<dtype, dtype::iq4_nl>{});
    default:
        throw error(errc::unsupported, "cpu matmul: no kernel for weight type " + std::string(name(w)));
    }
}

}  // namespace cpu
HEARTH_NAMESPACE_END
