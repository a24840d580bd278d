#pragma once
// Buffers: one VkBuffer bound to its own VkDeviceMemory, in one of three homes: device-local
// (weights, activations, KV cache), host-visible for uploads (written by the CPU, read by the
// GPU) and host-visible for read-back (preferring cached memory, which the CPU reads fast).
// On unified-memory devices (integrated GPUs, lavapipe) device memory is host-visible too and
// the backend writes it directly, skipping the staging copy.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/vulkan/check.hpp>
#include <hearth/vulkan/context.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

enum class memory_home { device, upload, readback };

class buffer {
public:
    buffer(context& ctx, std::size_t bytes, memory_home home, const char* what) : ctx_(ctx), size_(bytes) {
        if (bytes == 0) bytes = 4;
        if (bytes > ctx.properties.limits.maxStorageBufferRange && home == memory_home::device)
            throw error(errc::device, std::string("vulkan: ") + what + " needs " + std::to_string(bytes >> 20) +
                                          " MiB in one buffer, more than " + ctx.properties.deviceName +
                                          " can bind to a shader (maxStorageBufferRange " +
                                          std::to_string(ctx.properties.limits.maxStorageBufferRange >> 20) +
                                          " MiB): use fewer tokens per batch or a smaller context");
        VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
        bi.size = (bytes + 3) / 4 * 4;  // shaders read whole 32-bit words
        // Texel-buffer use: the SIMD-lane matmul reads weights and activations as texels (texel_view()).
        bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
                   VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
        bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
        check(ctx.vk.vkCreateBuffer(ctx.device, &bi, nullptr, &buffer_), "vkCreateBuffer");
        VkMemoryRequirements req;
        ctx.vk.vkGetBufferMemoryRequirements(ctx.device, buffer_, &req);
        VkMemoryPropertyFlags required = 0, preferred = 0;
        switch (home) {
        case memory_home::device:
            required = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
            // Host-visible device memory only where it is all the memory there is: on a discrete
            // GPU it is the small BAR window, which weights would exhaust.
            preferred = ctx.unified_memory() ? VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                                   VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
                                             : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
            break;
        case memory_home::upload:
            required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
            preferred = required;
            break;
        case memory_home::readback:
            required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
            preferred = required | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
            break;
        }
        std::uint32_t type;
        try {
            type = ctx.memory_type(req.memoryTypeBits, required, preferred);
        } catch (...) {
            ctx.vk.vkDestroyBuffer(ctx.device, buffer_, nullptr);
            throw;
        }
        VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
        ai.allocationSize = req.size;
        ai.memoryTypeIndex = type;
        const VkResult r = ctx.vk.vkAllocateMemory(ctx.device, &ai, nullptr, &memory_);
        if (r != VK_SUCCESS) {
            ctx.vk.vkDestroyBuffer(ctx.device, buffer_, nullptr);
            fail(r, (std::string("allocating ") + std::to_string(req.size >> 20) + " MiB for " + what).c_str());
        }
        check(ctx.vk.vkBindBufferMemory(ctx.device, buffer_, memory_, 0), "vkBindBufferMemory");
        const VkMemoryPropertyFlags flags = ctx.memory.memoryTypes[type].propertyFlags;
        if ((flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT))
            check(ctx.vk.vkMapMemory(ctx.device, memory_, 0, VK_WHOLE_SIZE, 0, &mapped_), "vkMapMemory");
    }
    buffer(const buffer&) = delete;
    buffer& operator=(const buffer&) = delete;
    ~buffer() {
        if (view_) ctx_.vk.vkDestroyBufferView(ctx_.device, view_, nullptr);
        if (mapped_) ctx_.vk.vkUnmapMemory(ctx_.device, memory_);
        ctx_.vk.vkDestroyBuffer(ctx_.device, buffer_, nullptr);
        ctx_.vk.vkFreeMemory(ctx_.device, memory_, nullptr);
    }

    VkBuffer handle() const { return buffer_; }
    std::size_t size() const { return size_; }
    // Host pointer when the memory is host-visible and coherent (null otherwise).
    std::byte* mapped() const { return static_cast<std::byte*>(mapped_); }

    // The whole buffer as a uniform texel buffer of 32-bit words (VK_FORMAT_R32_UINT, mandatory
    // for texel buffers on every Vulkan device), made on first use and kept with the buffer.
    VkBufferView texel_view() {
        if (view_) return view_;
        const std::size_t words = (size_ + 3) / 4;
        if (words > ctx_.properties.limits.maxTexelBufferElements)
            throw error(errc::device, "vulkan: a buffer of " + std::to_string(size_ >> 20) + " MiB is read as texels, more than " +
                                          ctx_.properties.deviceName + " allows (maxTexelBufferElements " +
                                          std::to_string(ctx_.properties.limits.maxTexelBufferElements) +
                                          " words): use fewer tokens per batch or a smaller context");
        VkBufferViewCreateInfo vi{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
        vi.buffer = buffer_;
        vi.format = VK_FORMAT_R32_UINT;
        vi.offset = 0;
        vi.range = std::max<std::size_t>(words, 1) * 4;
        check(ctx_.vk.vkCreateBufferView(ctx_.device, &vi, nullptr, &view_), "vkCreateBufferView");
        return view_;
    }

    // Hazard tracking by the recorder: the barrier epoch in which the GPU last wrote / read it.
    std::uint64_t written_in = 0, read_in = 0;
    std::uint64_t writes = 0;  // recorded writes so far: tells a cached derivative (rounded copy) is stale

private:
    context& ctx_;
    VkBuffer buffer_ = VK_NULL_HANDLE;
    VkDeviceMemory memory_ = VK_NULL_HANDLE;
    void* mapped_ = nullptr;
    std::size_t size_ = 0;
    VkBufferView view_ = VK_NULL_HANDLE;
};

using buffer_ptr = std::shared_ptr<buffer>;

inline buffer_ptr make_buffer(context& ctx, std::size_t bytes, memory_home home, const char* what) {
    return std::make_shared<buffer>(ctx, bytes, home, what);
}

}  // namespace vulkan
HEARTH_NAMESPACE_END
