#pragma once
// hearth::cuda::backend: the model graph on an NVIDIA GPU (compute capability 7.5 or newer).
// Weights stay in their GGUF blocks in device memory and are decoded in the kernels; activations
// and the KV cache (in the session's K and V types) live on the device; every op is a kernel on
// one stream, and the host waits only when it reads logits. Instantiate it in a .cu translation
// unit (nvcc, -std=c++20) and link CUDA::cudart; the CMake target hearth::cuda does both.
#include <hearth/cuda/basic_backend.hpp>
#include <hearth/cuda/device_exec.cuh>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

using backend = basic_backend<device_exec>;
static_assert(hearth::backend<backend>);

}  // namespace cuda
HEARTH_NAMESPACE_END
