// The CLI's one nvcc translation unit (built with -DHEARTH_CUDA=ON): the definitions of
// hearth::cuda::linked_exec, which instantiate the CUDA kernels. Everything else in the CLI is
// C++ for the host compiler and uses hearth::cuda::linked_backend (backend_select.hpp).
#include <hearth/cuda/linked_exec.cuh>
