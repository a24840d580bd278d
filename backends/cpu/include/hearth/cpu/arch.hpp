#pragma once
// Instruction-set tags of the CPU backend and the ONE place where compiler macros pick among them.
//
// A build holds one instruction set, chosen by the compile flags (-march=...): `native_arch` is the
// best tag those flags allow. Kernels are templates over the tag, so a portable program can still
// instantiate several (each in a translation unit compiled with the matching flags) and pick one at
// start-up with `host_supports<Arch>()`.
#include <hearth/config.hpp>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

HEARTH_NAMESPACE_BEGIN
namespace cpu {

struct scalar {};  // portable C++, the reference twin of every kernel
struct avx2 {};    // AVX2 + FMA + F16C (x86-64-v3)
struct avx512 {};  // AVX-512 F/BW/VL/DQ + VNNI (vpdpbusd)
struct neon {};    // AArch64 Advanced SIMD + dotprod (sdot)

template <class Arch> inline constexpr const char* arch_name = "unknown";
template <> inline constexpr const char* arch_name<scalar> = "scalar";
template <> inline constexpr const char* arch_name<avx2> = "avx2";
template <> inline constexpr const char* arch_name<avx512> = "avx512";
template <> inline constexpr const char* arch_name<neon> = "neon";

// ---- compile-time choice: the edge where an instruction set is picked ----------------------------
#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512DQ__) && defined(__FMA__) && defined(__F16C__)
#define HEARTH_CPU_AVX512 1
#define HEARTH_CPU_AVX2 1
using native_arch = avx512;
#elif defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define HEARTH_CPU_AVX2 1
using native_arch = avx2;
#elif defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#define HEARTH_CPU_NEON 1
using native_arch = neon;
#else
using native_arch = scalar;
#endif

// ---- run-time check: can this machine execute code built for Arch? -------------------------------
namespace detail {
#if defined(__x86_64__) || defined(__i386__)
struct x86_features {
    bool avx2 = false, fma = false, f16c = false, bmi2 = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;
};
inline x86_features query_x86() noexcept {
    x86_features f;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    f.fma = (c >> 12) & 1;
    f.f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return f;
    // The OS must save the YMM (and for AVX-512 the opmask + ZMM) state, or the instructions fault.
    unsigned xlo = 0, xhi = 0;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    const bool ymm_os = (xlo & 0x6) == 0x6;
    const bool zmm_os = (xlo & 0xe6) == 0xe6;
    if (!ymm_os) return x86_features{};
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    f.avx2 = (b >> 5) & 1;
    f.bmi2 = (b >> 8) & 1;
    if (zmm_os) {
        f.avx512f = (b >> 16) & 1;
        f.avx512dq = (b >> 17) & 1;
        f.avx512bw = (b >> 30) & 1;
        f.avx512vl = (b >> 31) & 1;
        f.avx512vnni = (c >> 11) & 1;
    }
    return f;
}
#endif
}  // namespace detail

template <class Arch> inline bool host_supports() noexcept { return false; }
template <> inline bool host_supports<scalar>() noexcept { return true; }
template <> inline bool host_supports<avx2>() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    const auto f = detail::query_x86();
    return f.avx2 && f.fma && f.f16c && f.bmi2;
#else
    return false;
#endif
}
template <> inline bool host_supports<avx512>() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    const auto f = detail::query_x86();
    return f.avx2 && f.fma && f.f16c && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni;
#else
    return false;
#endif
}
template <> inline bool host_supports<neon>() noexcept {
#if defined(__aarch64__) && defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
    return true;  // no portable query off Linux: trust the compile flags
#else
    return false;
#endif
}

}  // namespace cpu
HEARTH_NAMESPACE_END
