#pragma once
// CUDA runtime errors as hearth::error(errc::device): what failed, the runtime's name and words
// for the error. Kernel launches are checked right after the launch (configuration errors); errors
// inside kernels surface at the next synchronisation (read()), where they are reported too.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <cuda_runtime.h>
#include <string>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

inline void check_cuda(cudaError_t e, const char* what) {
    if (e != cudaSuccess)
        throw error(errc::device, std::string("cuda: ") + what + " failed: " + cudaGetErrorName(e) + " (" +
                                      cudaGetErrorString(e) + ")");
}

inline void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel); }

}  // namespace cuda
HEARTH_NAMESPACE_END
