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
    // Capture the ops of a forward pass into CUDA graphs, in segments launched as they are
    // captured (the GPU runs one while the host captures the next) and updated in place while
    // their shape stays the same (decode). On an H100, 1.1B Q4_K_M tg128: 388 tokens/s against
    // 344 launched one by one (f16 cache), 357 against 306 (q4_0/q8_0). One graph per forward was
    // slower than no graph (277 against 314): the GPU idled while the host captured.
    // The environment variable HEARTH_CUDA_GRAPHS=0 (or 1) overrides this.
    bool graphs = true;
};

}  // namespace cuda
HEARTH_NAMESPACE_END
