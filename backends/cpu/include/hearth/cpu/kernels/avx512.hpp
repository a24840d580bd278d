#pragma once
// The AVX-512 (F/BW/VL/DQ + VNNI) kernel set. Formats without an AVX-512 kernel of their own use
// the AVX2 kernels (format.hpp's fallback chain); AVX-512 implies everything AVX2 kernels need.
#include <hearth/cpu/kernels/avx2.hpp>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

template <> struct activation_quantizer<avx512> : activation_quantizer<avx2> {};

}  // namespace cpu
HEARTH_NAMESPACE_END
