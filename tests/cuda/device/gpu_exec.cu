// The only nvcc translation unit of the device tests: gpu_exec's forwarding to
// hearth::cuda::device_exec (which instantiates every kernel), and the kernels that check the
// device primitives of portable.hpp against their host twins.
#include "gpu_exec.hpp"
#include <hearth/cuda/device_exec.cuh>
#include <cstring>

namespace cuda_test {

namespace hc = hearth::cuda;

struct gpu_exec::impl {
    hc::device_exec e;
};

gpu_exec::gpu_exec() : impl_(std::make_unique<impl>()) {}
gpu_exec::~gpu_exec() = default;
const char* gpu_exec::name() const { return impl_->e.name(); }
hc::memory gpu_exec::alloc(std::size_t bytes) { return impl_->e.alloc(bytes); }
void gpu_exec::upload(void* dst, const void* src, std::size_t bytes) { impl_->e.upload(dst, src, bytes); }
const void* gpu_exec::stage_bytes(const void* data, std::size_t bytes) {
    return impl_->e.stage(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data), bytes));
}
void gpu_exec::read_rows(float* out, const float* src, std::size_t rows, std::size_t cols, std::size_t stride) {
    impl_->e.read_rows(out, src, rows, cols, stride);
}
void gpu_exec::write_rows(float* dst, std::size_t stride, const float* in, std::size_t rows, std::size_t cols) {
    impl_->e.write_rows(dst, stride, in, rows, cols);
}
void gpu_exec::read_bytes(void* out, const void* src, std::size_t bytes) { impl_->e.read_bytes(out, src, bytes); }
void gpu_exec::quantize(const hc::quantize_args& a) { impl_->e.quantize(a); }
void gpu_exec::matmul(const hc::matmul_args& a) { impl_->e.matmul(a); }
void gpu_exec::get_rows(const hc::get_rows_args& a) { impl_->e.get_rows(a); }
void gpu_exec::eltwise(const hc::eltwise_args& a) { impl_->e.eltwise(a); }
void gpu_exec::rms_norm(const hc::rms_norm_args& a) { impl_->e.rms_norm(a); }
void gpu_exec::rope(const hc::rope_args& a) { impl_->e.rope(a); }
void gpu_exec::hadamard(const hc::hadamard_args& a) { impl_->e.hadamard(a); }
void gpu_exec::kv_store(const hc::kv_store_args& a) { impl_->e.kv_store(a); }
void gpu_exec::attention(const hc::attention_args& a) { impl_->e.attention(a); }
void* gpu_exec::stream() { return impl_->e.stream(); }

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
