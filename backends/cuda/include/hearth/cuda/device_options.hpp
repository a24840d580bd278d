#pragma once
// What a CUDA executor is opened with (plain C++: linked_exec.hpp takes it too).
#include <hearth/config.hpp>
#include <cstddef>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

struct device_options {
    int device = 0;                              // CUDA device index (after CUDA_VISIBLE_DEVICES)
    std::size_t staging_bytes = 8u << 20;        // each of the two pinned weight-upload buffers
    std::size_t ring_bytes = 1u << 20;           // pinned ring for per-op arrays (grows if needed)
};

}  // namespace cuda
HEARTH_NAMESPACE_END
