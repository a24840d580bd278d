#pragma once
// The device tests drive the GPU through hearth::cuda::linked_exec (the library's forwarding
// executor), so the tests compile with the host compiler and only gpu_exec.cu goes through nvcc
// (once per architecture, with a small translation unit: no Catch2, no CPU backend, no model code).
// basic_backend<gpu_exec> is hearth::cuda::linked_backend, the glue a C++ application uses.
#include <hearth/cuda/linked_exec.hpp>
#include <vector>

namespace cuda_test {

using gpu_exec = hearth::cuda::linked_exec;

// Device-side primitives against their host twins (kernels in gpu_exec.cu): the number of
// mismatches for fp16 rounding of `in`, fp16 widening of all 65536 halves, dp4a of a[i], b[i].
struct primitive_mismatches {
    std::size_t to_half = 0, from_half = 0, dp4a = 0;
};
primitive_mismatches check_primitives_on_device(gpu_exec& e, const std::vector<float>& in, const std::vector<int>& a,
                                                const std::vector<int>& b);

}  // namespace cuda_test
