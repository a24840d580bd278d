#pragma once
// The definitions of linked_exec (linked_exec.hpp): each function forwards to device_exec. Include
// this in exactly one .cu translation unit of a program (a second one would define the functions
// twice); that unit instantiates the kernels for the program's CUDA architectures.
#include <hearth/cuda/device_exec.cuh>
#include <hearth/cuda/linked_exec.hpp>

HEARTH_NAMESPACE_BEGIN
namespace cuda {

struct linked_exec::impl {
    explicit impl(const device_options& o) : e(o) {}
    device_exec e;
};

linked_exec::linked_exec(const device_options& o) : impl_(std::make_unique<impl>(o)) {}
linked_exec::~linked_exec() = default;
const char* linked_exec::name() const { return impl_->e.name(); }
memory linked_exec::alloc(std::size_t bytes) { return impl_->e.alloc(bytes); }
void linked_exec::upload(void* dst, const void* src, std::size_t bytes) { impl_->e.upload(dst, src, bytes); }
const void* linked_exec::stage_bytes(const void* data, std::size_t bytes) {
    return impl_->e.stage(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data), bytes));
}
void linked_exec::read_rows(float* out, const float* src, std::size_t rows, std::size_t cols, std::size_t stride) {
    impl_->e.read_rows(out, src, rows, cols, stride);
}
void linked_exec::write_rows(float* dst, std::size_t stride, const float* in, std::size_t rows, std::size_t cols) {
    impl_->e.write_rows(dst, stride, in, rows, cols);
}
void linked_exec::read_bytes(void* out, const void* src, std::size_t bytes) { impl_->e.read_bytes(out, src, bytes); }
void linked_exec::quantize(const quantize_args& a) { impl_->e.quantize(a); }
void linked_exec::matmul(const matmul_args& a) { impl_->e.matmul(a); }
void linked_exec::get_rows(const get_rows_args& a) { impl_->e.get_rows(a); }
void linked_exec::eltwise(const eltwise_args& a) { impl_->e.eltwise(a); }
void linked_exec::rms_norm(const rms_norm_args& a) { impl_->e.rms_norm(a); }
void linked_exec::rope(const rope_args& a) { impl_->e.rope(a); }
void linked_exec::hadamard(const hadamard_args& a) { impl_->e.hadamard(a); }
void linked_exec::kv_store(const kv_store_args& k, const kv_store_args& v) { impl_->e.kv_store(k, v); }
void linked_exec::attention(const attention_args& a) { impl_->e.attention(a); }
void* linked_exec::stream() { return impl_->e.stream(); }

}  // namespace cuda
HEARTH_NAMESPACE_END
