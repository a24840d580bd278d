#pragma once
// A 64-byte aligned byte buffer that grows on demand and never shrinks: per-op scratch (quantized
// activations) reused across every matmul of a forward pass, so decoding allocates nothing.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <cstddef>
#include <new>
#include <string>

HEARTH_NAMESPACE_BEGIN
namespace cpu {

class scratch_buffer {
public:
    static constexpr std::size_t alignment = 64;

    scratch_buffer() = default;
    scratch_buffer(const scratch_buffer&) = delete;
    scratch_buffer& operator=(const scratch_buffer&) = delete;
    scratch_buffer(scratch_buffer&& o) noexcept : data_(o.data_), size_(o.size_) {
        o.data_ = nullptr;
        o.size_ = 0;
    }
    scratch_buffer& operator=(scratch_buffer&& o) noexcept {
        if (this != &o) {
            release();
            data_ = o.data_;
            size_ = o.size_;
            o.data_ = nullptr;
            o.size_ = 0;
        }
        return *this;
    }
    ~scratch_buffer() { release(); }

    // At least `bytes` bytes; previous contents are not kept when it grows.
    std::byte* get(std::size_t bytes) {
        if (bytes > size_) {
            release();
            const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
            try {
                data_ = static_cast<std::byte*>(::operator new(rounded, std::align_val_t{alignment}));
            } catch (const std::bad_alloc&) {
                throw error(errc::out_of_memory, "cpu scratch: cannot allocate " + std::to_string(rounded) + " bytes");
            }
            size_ = rounded;
        }
        return data_;
    }
    std::size_t capacity() const noexcept { return size_; }

private:
    void release() noexcept {
        if (data_) ::operator delete(data_, std::align_val_t{alignment});
        data_ = nullptr;
        size_ = 0;
    }
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace cpu
HEARTH_NAMESPACE_END
