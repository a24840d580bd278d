#pragma once
// Device memory for weights: large blocks carved into 256-byte aligned slices, so a model with
// hundreds of tensors needs a handful of allocations (drivers cap the count at a few thousand and
// allocation is slow). Blocks grow from 16 MiB up to the largest size one binding can address.
#include <hearth/config.hpp>
#include <hearth/vulkan/buffer.hpp>
#include <hearth/vulkan/context.hpp>
#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

class weight_arena {
public:
    static constexpr std::size_t alignment = 256;

    // max_slice: a smaller bound than the device's (tests use it to split small weights).
    explicit weight_arena(context& ctx, std::size_t max_slice = 0) : ctx_(ctx) {
        std::size_t range = std::min<std::size_t>(ctx.properties.limits.maxStorageBufferRange, std::size_t{1} << 30);
        // The SIMD-lane matmul views a whole block as 32-bit texels (buffer::texel_view()).
        if (ctx.lane_kernels)
            range = std::min<std::size_t>(range, std::size_t{ctx.properties.limits.maxTexelBufferElements} * 4);
        if (max_slice) range = std::min(range, std::max(max_slice, alignment));
        max_block_ = range / alignment * alignment;
    }

    // The largest slice one allocation can give (the most bytes one binding addresses).
    std::size_t max_slice() const { return max_block_; }

    std::pair<buffer_ptr, std::size_t> allocate(std::size_t bytes) {
        const std::size_t need = (bytes + alignment - 1) / alignment * alignment;
        if (!block_ || used_ + need > block_->size()) {
            next_size_ = std::min(max_block_, std::max(next_size_, need));
            block_ = make_buffer(ctx_, std::max(need, next_size_), memory_home::device, "model weights");
            next_size_ = std::min(max_block_, next_size_ * 2);
            used_ = 0;
        }
        std::pair<buffer_ptr, std::size_t> slice{block_, used_};
        used_ += need;
        return slice;
    }

private:
    context& ctx_;
    std::size_t max_block_ = 0;
    std::size_t next_size_ = std::size_t{16} << 20;
    buffer_ptr block_;
    std::size_t used_ = 0;
};

}  // namespace vulkan
HEARTH_NAMESPACE_END
