#pragma once
// hearth::cuda::linked_backend: the CUDA backend for programs whose code is not compiled by nvcc.
// hearth::cuda::backend (backend.cuh) is a template over the device executor, so every translation
// unit that names it must go through nvcc. linked_exec is that executor behind a plain C++
// interface (pointer to implementation): the application's C++ files (model code, CLI, server)
// use linked_backend with their usual compiler, and exactly one .cu file of the program includes
// <hearth/cuda/linked_exec.cuh>, which defines linked_exec's functions over device_exec and so
// instantiates every kernel once. The model graph runs the same glue (basic_backend) either way.
//
//   // gpu.cu, the one file nvcc compiles (target links hearth::cuda)
//   #include <hearth/cuda/linked_exec.cuh>
//
//   // app.cpp
//   #include <hearth/cuda/linked_exec.hpp>
//   hearth::cuda::linked_backend gpu;   // hearth::error(errc::device) without a usable GPU
#include <hearth/cuda/basic_backend.hpp>
#include <hearth/cuda/device_options.hpp>
#include <hearth/cuda/op_args.hpp>
#include <hearth/cuda/tensors.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

class linked_exec {
public:
    explicit linked_exec(const device_options& o = {});  // hearth::error(errc::device) without a usable GPU or driver
    ~linked_exec();
    linked_exec(const linked_exec&) = delete;
    linked_exec& operator=(const linked_exec&) = delete;

    const char* name() const;
    memory alloc(std::size_t bytes);
    void upload(void* dst, const void* src, std::size_t bytes);
    template <class T>
    const T* stage(std::span<const T> host) {
        return static_cast<const T*>(stage_bytes(host.data(), host.size_bytes()));
    }
    void read_rows(float* out, const float* src, std::size_t rows, std::size_t cols, std::size_t stride);
    void write_rows(float* dst, std::size_t stride, const float* in, std::size_t rows, std::size_t cols);
    void read_bytes(void* out, const void* src, std::size_t bytes);

    void quantize(const quantize_args& a);
    void matmul(const matmul_args& a);
    void get_rows(const get_rows_args& a);
    void eltwise(const eltwise_args& a);
    void rms_norm(const rms_norm_args& a);
    void rope(const rope_args& a);
    void hadamard(const hadamard_args& a);
    void kv_store(const kv_store_args& k, const kv_store_args& v);
    void attention(const attention_args& a);

    void* stream();  // the executor's cudaStream_t, for a program's own kernels

private:
    const void* stage_bytes(const void* data, std::size_t bytes);
    struct impl;
    std::unique_ptr<impl> impl_;
};

using linked_backend = basic_backend<linked_exec>;
static_assert(hearth::backend<linked_backend>);

}  // namespace cuda
HEARTH_NAMESPACE_END
