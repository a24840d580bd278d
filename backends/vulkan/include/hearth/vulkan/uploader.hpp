#pragma once
// Moves bytes from the host (the model's file mapping) into device buffers. Where device memory
// is host-visible (unified memory) it is a memcpy into the mapping. Otherwise the bytes go through
// a ring of two staging buffers: while the GPU copies one half into place, the CPU fills the
// other, so a model is never held twice in host memory and never waits for a whole-model copy.
#include <hearth/config.hpp>
#include <hearth/vulkan/buffer.hpp>
#include <hearth/vulkan/check.hpp>
#include <hearth/vulkan/context.hpp>
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

class uploader {
public:
    // force_staging: go through the staging ring even where device memory is mapped (tests).
    uploader(context& ctx, bool force_staging, std::size_t half_bytes = 16u << 20)
        : ctx_(ctx), force_staging_(force_staging), half_bytes_(half_bytes) {}
    uploader(const uploader&) = delete;
    uploader& operator=(const uploader&) = delete;
    ~uploader() {
        for (half& h : halves_) {
            if (h.submitted) ctx_.vk.vkWaitForFences(ctx_.device, 1, &h.fence, VK_TRUE, UINT64_MAX);
            if (h.fence) ctx_.vk.vkDestroyFence(ctx_.device, h.fence, nullptr);
            if (h.pool) ctx_.vk.vkDestroyCommandPool(ctx_.device, h.pool, nullptr);
        }
    }

    // Copies `bytes` bytes from `src` to `dst` at byte `offset`. The copy is complete for every
    // later submission on the queue once flush() has run (recorded work begins with a barrier).
    void write(const buffer_ptr& dst, std::size_t offset, const void* src, std::size_t bytes) {
        const auto* from = static_cast<const std::byte*>(src);
        if (dst->mapped() && !force_staging_) {
            std::memcpy(dst->mapped() + offset, from, bytes);
            return;
        }
        while (bytes > 0) {
            half& h = current();
            const std::size_t n = std::min(bytes, half_bytes_ - h.used);
            std::memcpy(h.staging->mapped() + h.used, from, n);
            h.copies.push_back({dst, VkBufferCopy{h.used, offset, n}});
            h.used += n, from += n, offset += n, bytes -= n;
            if (h.used == half_bytes_) submit(h), active_ ^= 1;
        }
    }

    // Submits what is staged (without waiting: the queue keeps it ahead of later work).
    void flush() {
        half& h = halves_[active_];
        if (h.used > 0 && !h.submitted) submit(h), active_ ^= 1;
    }

private:
    struct pending_copy {
        buffer_ptr dst;
        VkBufferCopy region;
    };
    struct half {
        buffer_ptr staging;
        VkCommandPool pool = VK_NULL_HANDLE;
        VkCommandBuffer cmd = VK_NULL_HANDLE;
        VkFence fence = VK_NULL_HANDLE;
        std::size_t used = 0;
        bool submitted = false;
        std::vector<pending_copy> copies;
    };

    // The half to fill: created on first use; waited for when the GPU still copies from it.
    half& current() {
        half& h = halves_[active_];
        if (!h.staging) {
            h.staging = make_buffer(ctx_, half_bytes_, memory_home::upload, "the staging ring");
            VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
            pi.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
            pi.queueFamilyIndex = ctx_.queue_family;
            check(ctx_.vk.vkCreateCommandPool(ctx_.device, &pi, nullptr, &h.pool), "vkCreateCommandPool");
            VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
            ai.commandPool = h.pool;
            ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
            ai.commandBufferCount = 1;
            check(ctx_.vk.vkAllocateCommandBuffers(ctx_.device, &ai, &h.cmd), "vkAllocateCommandBuffers");
            VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
            check(ctx_.vk.vkCreateFence(ctx_.device, &fi, nullptr, &h.fence), "vkCreateFence");
        }
        if (h.submitted) {
            check(ctx_.vk.vkWaitForFences(ctx_.device, 1, &h.fence, VK_TRUE, UINT64_MAX), "vkWaitForFences (upload)");
            check(ctx_.vk.vkResetFences(ctx_.device, 1, &h.fence), "vkResetFences");
            h.submitted = false;
            h.used = 0;
            h.copies.clear();
        }
        return h;
    }

    void submit(half& h) {
        check(ctx_.vk.vkResetCommandPool(ctx_.device, h.pool, 0), "vkResetCommandPool");
        VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        check(ctx_.vk.vkBeginCommandBuffer(h.cmd, &bi), "vkBeginCommandBuffer");
        for (const pending_copy& c : h.copies)
            ctx_.vk.vkCmdCopyBuffer(h.cmd, h.staging->handle(), c.dst->handle(), 1, &c.region);
        check(ctx_.vk.vkEndCommandBuffer(h.cmd), "vkEndCommandBuffer");
        VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        si.commandBufferCount = 1;
        si.pCommandBuffers = &h.cmd;
        check(ctx_.vk.vkQueueSubmit(ctx_.queue, 1, &si, h.fence), "vkQueueSubmit (upload)");
        h.submitted = true;
    }

    context& ctx_;
    bool force_staging_;
    std::size_t half_bytes_;
    std::array<half, 2> halves_;
    unsigned active_ = 0;
};

}  // namespace vulkan
HEARTH_NAMESPACE_END
