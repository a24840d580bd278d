// The only nvcc translation unit of the device tests: the definitions of hearth::cuda::linked_exec
// (which instantiate every kernel), and the kernels that check the device primitives of
// portable.hpp against their host twins.
#include "gpu_exec.hpp"
#include <hearth/cuda/linked_exec.cuh>
#include <cstring>

namespace cuda_test {

namespace hc = hearth::cuda;

namespace {

__global__ void primitives_kernel(const float* in, std::size_t n, std::uint16_t* to_half, float* from_half, const int* a,
                                  const int* b, int* dots, std::size_t n_dots) {
    const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) to_half[i] = hc::float_to_half(in[i]);
    if (i < 65536) from_half[i] = hc::half_to_float(static_cast<std::uint16_t>(i));
    if (i < n_dots) dots[i] = hc::dp4a(a[i], b[i], static_cast<int>(i));
}

template <class T>
T* device_copy(gpu_exec& e, hc::memory& keep, const std::vector<T>& host) {
    keep = e.alloc(host.size() * sizeof(T));
    e.upload(keep.get(), host.data(), host.size() * sizeof(T));
    return reinterpret_cast<T*>(keep.get());
}

}  // namespace

primitive_mismatches check_primitives_on_device(gpu_exec& e, const std::vector<float>& in, const std::vector<int>& a,
                                                const std::vector<int>& b) {
    hc::memory m_in, m_a, m_b;
    const float* d_in = device_copy(e, m_in, in);
    const int* d_a = device_copy(e, m_a, a);
    const int* d_b = device_copy(e, m_b, b);
    hc::memory m_to = e.alloc(in.size() * 2), m_from = e.alloc(65536 * 4), m_dots = e.alloc(a.size() * 4);
    const std::size_t n = std::max<std::size_t>({in.size(), std::size_t{65536}, a.size()});
    primitives_kernel<<<static_cast<unsigned>((n + 255) / 256), 256, 0, static_cast<cudaStream_t>(e.stream())>>>(
        d_in, in.size(), reinterpret_cast<std::uint16_t*>(m_to.get()), reinterpret_cast<float*>(m_from.get()), d_a, d_b,
        reinterpret_cast<int*>(m_dots.get()), a.size());
    hc::check_launch("primitives kernel");
    std::vector<std::uint16_t> to(in.size());
    std::vector<float> from(65536);
    std::vector<int> dots(a.size());
    e.read_bytes(to.data(), m_to.get(), to.size() * 2);
    e.read_bytes(from.data(), m_from.get(), from.size() * 4);
    e.read_bytes(dots.data(), m_dots.get(), dots.size() * 4);
    primitive_mismatches r;
    for (std::size_t i = 0; i < in.size(); ++i) r.to_half += to[i] != hearth::fp32_to_fp16(in[i]);
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const float want = hearth::fp16_to_fp32(static_cast<std::uint16_t>(h));
        if (want == want) r.from_half += std::memcmp(&from[h], &want, 4) != 0;  // NaN payloads may differ
    }
    for (std::size_t i = 0; i < a.size(); ++i) r.dp4a += dots[i] != hc::dp4a(a[i], b[i], static_cast<int>(i));
    return r;
}

}  // namespace cuda_test
