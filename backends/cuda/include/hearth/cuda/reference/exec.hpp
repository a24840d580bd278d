#pragma once
// reference_exec: the CUDA backend's executor on the host. Memory is host memory; every op runs
// at once through the kernels' host twins. hearth::cuda::reference_backend (the CUDA backend's
// glue over this executor) satisfies the backend concept, so whole models run through it on any
// machine: the tests compare it with the CPU backend there, and with the GPU where there is one.
// Single-threaded scalar code: meant for tests, not for speed.
#include <hearth/cuda/basic_backend.hpp>
#include <hearth/cuda/reference/attention.hpp>
#include <hearth/cuda/reference/matmul.hpp>
#include <hearth/cuda/reference/row_ops.hpp>
#include <hearth/cuda/tensors.hpp>
#include <cstring>
#include <memory>
#include <span>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

class reference_exec {
public:
    const char* name() const { return "cuda-reference (host twins of the CUDA kernels)"; }

    memory alloc(std::size_t bytes) {
        return memory(new std::uint8_t[bytes == 0 ? 1 : bytes](), std::default_delete<std::uint8_t[]>());
    }
    void upload(void* dst, const void* src, std::size_t bytes) { std::memcpy(dst, src, bytes); }
    template <class T>
    const T* stage(std::span<const T> host) {
        return host.data();  // ops run before the caller's span goes away
    }
    void read_rows(float* out, const float* src, std::size_t rows, std::size_t cols, std::size_t stride) {
        for (std::size_t i = 0; i < rows; ++i) std::memcpy(out + i * cols, src + i * stride, cols * sizeof(float));
    }
    void write_rows(float* dst, std::size_t stride, const float* in, std::size_t rows, std::size_t cols) {
        for (std::size_t i = 0; i < rows; ++i) std::memcpy(dst + i * stride, in + i * cols, cols * sizeof(float));
    }
    void read_bytes(void* out, const void* src, std::size_t bytes) { std::memcpy(out, src, bytes); }

    // The fused ops are their parts one after the other (the kernels compute the same values).
    void quantize(const quantize_args& a) {
        if (!a.has_glu) return reference::quantize(a);
        reference::eltwise(a.glu);
        quantize_args b = a;
        b.has_glu = false, b.x = a.glu.y, b.x_stride = a.glu.y_stride;
        reference::quantize(b);
    }
    void matmul(const matmul_args& a) { reference::matmul(a); }
    void get_rows(const get_rows_args& a) { reference::get_rows(a); }
    void eltwise(const eltwise_args& a) { reference::eltwise(a); }
    void rms_norm(const rms_norm_args& a) {
        reference::rms_norm(a);
        if (a.quant_out) reference::quantize({a.quant_act, a.y, a.y_stride, a.rows, a.width, a.quant_out});
    }
    void rope(const rope_args& a) { reference::rope(a); }
    void hadamard(const hadamard_args& a) { reference::hadamard(a); }
    void kv_store(const kv_store_args& k, const kv_store_args& v) { reference::kv_store(k), reference::kv_store(v); }
    void attention(const attention_args& a) { reference::attention(a); }
};

using reference_backend = basic_backend<reference_exec>;
static_assert(hearth::backend<reference_backend>);

}  // namespace cuda
HEARTH_NAMESPACE_END
