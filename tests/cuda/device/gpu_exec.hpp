#pragma once
// gpu_exec: hearth::cuda::device_exec behind a plain C++ interface, so the device tests compile
// with the host compiler and only gpu_exec.cu goes through nvcc (once per architecture, with a
// small translation unit: no Catch2, no CPU backend, no model code). Every call forwards to the
// real device executor; basic_backend<gpu_exec> is the same glue as hearth::cuda::backend.
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/tensors.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace cuda_test {

class gpu_exec {
public:
    gpu_exec();  // hearth::error(errc::device) without a usable GPU
    ~gpu_exec();
    gpu_exec(const gpu_exec&) = delete;
    gpu_exec& operator=(const gpu_exec&) = delete;

    const char* name() const;
    hearth::cuda::memory alloc(std::size_t bytes);
    void upload(void* dst, const void* src, std::size_t bytes);
    template <class T>
    const T* stage(std::span<const T> host) {
        return static_cast<const T*>(stage_bytes(host.data(), host.size_bytes()));
    }
    void read_rows(float* out, const float* src, std::size_t rows, std::size_t cols, std::size_t stride);
    void write_rows(float* dst, std::size_t stride, const float* in, std::size_t rows, std::size_t cols);
    void read_bytes(void* out, const void* src, std::size_t bytes);

    void quantize(const hearth::cuda::quantize_args& a);
    void matmul(const hearth::cuda::matmul_args& a);
    void get_rows(const hearth::cuda::get_rows_args& a);
    void eltwise(const hearth::cuda::eltwise_args& a);
    void rms_norm(const hearth::cuda::rms_norm_args& a);
    void rope(const hearth::cuda::rope_args& a);
    void hadamard(const hearth::cuda::hadamard_args& a);
    void kv_store(const hearth::cuda::kv_store_args& a);
    void attention(const hearth::cuda::attention_args& a);

    void* stream();  // the executor's cudaStream_t, for the test's own kernels

private:
    const void* stage_bytes(const void* data, std::size_t bytes);
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Device-side primitives against their host twins (kernels in gpu_exec.cu): the number of
// mismatches for fp16 rounding of `in`, fp16 widening of all 65536 halves, dp4a of a[i], b[i].
struct primitive_mismatches {
    std::size_t to_half = 0, from_half = 0, dp4a = 0;
};
primitive_mismatches check_primitives_on_device(gpu_exec& e, const std::vector<float>& in, const std::vector<int>& a,
                                                const std::vector<int>& b);

}  // namespace cuda_test
