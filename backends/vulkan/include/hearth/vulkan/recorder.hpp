#pragma once
// The command buffer of one forward pass. Ops are recorded as they are called and submitted once,
// when the caller needs a result on the host (read()) or asks for it (finish()); then the recorder
// waits on its fence and starts over. It owns what the recorded work refers to until then:
// descriptor sets, small host data the ops upload (token ids, positions, cell tables, rope
// angles) and references to every buffer bound.
//
// Barriers are placed only between dependent dispatches: each buffer remembers the barrier epoch
// in which it was last written and read; a dispatch that reads what this epoch wrote, or writes
// what it read or wrote, closes the epoch with one global memory barrier. Independent work (the
// q, k and v projections of a layer) runs without barriers between it.
#include <hearth/config.hpp>
#include <hearth/vulkan/buffer.hpp>
#include <hearth/vulkan/check.hpp>
#include <hearth/vulkan/context.hpp>
#include <hearth/vulkan/pipelines.hpp>
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

// Push-constant fields are 32-bit; sizes are checked against the device's limits before use.
inline std::uint32_t u32(std::size_t v) { return static_cast<std::uint32_t>(v); }
inline std::uint32_t ceil_div(std::size_t a, std::size_t b) { return static_cast<std::uint32_t>((a + b - 1) / b); }

struct binding {
    const buffer_ptr& buf;
    bool write = false;
};

// Host data placed in an upload chunk for this forward: bind `buf`, index it from `offset` (bytes).
struct upload_slice {
    buffer_ptr buf;
    std::size_t offset = 0;
    std::uint32_t index() const { return static_cast<std::uint32_t>(offset / 4); }  // in 32-bit elements
};

class recorder {
public:
    recorder(context& ctx, pipelines& pipes) : ctx_(ctx), pipes_(pipes) {
        VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pi.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
        pi.queueFamilyIndex = ctx.queue_family;
        check(ctx.vk.vkCreateCommandPool(ctx.device, &pi, nullptr, &pool_), "vkCreateCommandPool");
        VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
        ai.commandPool = pool_;
        ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        ai.commandBufferCount = 1;
        check(ctx.vk.vkAllocateCommandBuffers(ctx.device, &ai, &cmd_), "vkAllocateCommandBuffers");
        VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        check(ctx.vk.vkCreateFence(ctx.device, &fi, nullptr, &fence_), "vkCreateFence");
        dummy_ = make_buffer(ctx, 16, memory_home::device, "an unused binding");
    }
    recorder(const recorder&) = delete;
    recorder& operator=(const recorder&) = delete;
    ~recorder() {
        if (recording_) {  // abandoned work (an exception mid-forward): end it without running it
            ctx_.vk.vkEndCommandBuffer(cmd_);
        }
        ctx_.vk.vkDeviceWaitIdle(ctx_.device);
        for (VkDescriptorPool p : desc_pools_) ctx_.vk.vkDestroyDescriptorPool(ctx_.device, p, nullptr);
        ctx_.vk.vkDestroyFence(ctx_.device, fence_, nullptr);
        ctx_.vk.vkDestroyCommandPool(ctx_.device, pool_, nullptr);
    }

    bool pending() const { return recording_; }
    std::size_t dispatches() const { return dispatches_; }
    std::size_t barriers() const { return barriers_; }

    // Records one dispatch of `pipeline` over `groups` workgroups with the given buffers bound to
    // bindings 0.. in order (as texel buffers where the pipeline's layout says so) and `push` as
    // push constants.
    template <class Push>
    void dispatch(const pipeline_ref& pipeline, std::initializer_list<binding> bindings, const Push& push,
                  std::uint32_t gx, std::uint32_t gy = 1, std::uint32_t gz = 1) {
        static_assert(sizeof(Push) <= push_constant_bytes && sizeof(Push) % 4 == 0);
        if (gx == 0 || gy == 0 || gz == 0) return;
        const auto& lim = ctx_.properties.limits.maxComputeWorkGroupCount;
        if (gx > lim[0] || gy > lim[1] || gz > lim[2])
            throw error(errc::device, "vulkan: a dispatch of " + std::to_string(gx) + "x" + std::to_string(gy) + "x" +
                                          std::to_string(gz) + " workgroups exceeds the device's limit " +
                                          std::to_string(lim[0]) + "x" + std::to_string(lim[1]) + "x" +
                                          std::to_string(lim[2]) + ": use fewer tokens per batch");
        begin();
        order(bindings);
        VkDescriptorSet set = allocate_set(pipeline.kinds);
        std::array<VkDescriptorBufferInfo, max_bindings> infos{};
        std::array<VkBufferView, max_bindings> views{};
        std::array<VkWriteDescriptorSet, max_bindings> writes{};
        const std::uint32_t n_texels = pipeline.kinds == binding_kinds::texels01 ? texel_bindings : 0;
        std::uint32_t i = 0;
        for (const binding& b : bindings) {
            if (i < n_texels) views[i] = b.buf->texel_view();
            infos[i] = {b.buf->handle(), 0, VK_WHOLE_SIZE};
            keep_.push_back(b.buf);
            ++i;
        }
        for (; i < max_bindings; ++i) {
            if (i < n_texels) views[i] = dummy_->texel_view();
            infos[i] = {dummy_->handle(), 0, VK_WHOLE_SIZE};
        }
        for (i = 0; i < max_bindings; ++i) {
            writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
            writes[i].dstSet = set;
            writes[i].dstBinding = i;
            writes[i].descriptorCount = 1;
            if (i < n_texels) {
                writes[i].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
                writes[i].pTexelBufferView = &views[i];
            } else {
                writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
                writes[i].pBufferInfo = &infos[i];
            }
        }
        ctx_.vk.vkUpdateDescriptorSets(ctx_.device, max_bindings, writes.data(), 0, nullptr);
        const VkPipelineLayout layout = pipes_.layout(pipeline.kinds);
        ctx_.vk.vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle);
        ctx_.vk.vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, nullptr);
        ctx_.vk.vkCmdPushConstants(cmd_, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(Push), &push);
        ctx_.vk.vkCmdDispatch(cmd_, gx, gy, gz);
        ++dispatches_;
    }

    // Records a buffer-to-buffer copy (regions in bytes).
    void copy(const buffer_ptr& src, const buffer_ptr& dst, std::span<const VkBufferCopy> regions) {
        if (regions.empty()) return;
        begin();
        order({{src, false}, {dst, true}});
        keep_.push_back(src);
        keep_.push_back(dst);
        ctx_.vk.vkCmdCopyBuffer(cmd_, src->handle(), dst->handle(), static_cast<std::uint32_t>(regions.size()),
                                regions.data());
    }

    // Records filling `bytes` bytes (a multiple of 4) of `dst` at `offset` with zeros.
    void zero(const buffer_ptr& dst, std::size_t offset, std::size_t bytes) {
        begin();
        order({{dst, true}});
        keep_.push_back(dst);
        ctx_.vk.vkCmdFillBuffer(cmd_, dst->handle(), offset, (bytes + 3) / 4 * 4, 0);
    }

    // Copies host data into this forward's upload memory (kept until the forward has run).
    upload_slice upload(const void* data, std::size_t bytes) {
        const std::size_t need = (bytes + 15) / 16 * 16;
        if (chunk_ >= chunks_.size() || chunk_used_ + need > chunks_[chunk_]->size()) {
            if (chunk_ < chunks_.size()) ++chunk_;
            while (chunk_ < chunks_.size() && chunks_[chunk_]->size() < need) ++chunk_;
            if (chunk_ >= chunks_.size()) {
                chunks_.push_back(make_buffer(ctx_, std::max<std::size_t>(need, 1u << 20), memory_home::upload,
                                              "per-forward uploads"));
                chunk_ = chunks_.size() - 1;
            }
            chunk_used_ = 0;
        }
        upload_slice s{chunks_[chunk_], chunk_used_};
        if (bytes) std::memcpy(s.buf->mapped() + chunk_used_, data, bytes);
        chunk_used_ += need;
        return s;
    }

    // Runs everything recorded so far and waits for it. Afterwards the host sees all results.
    void submit_and_wait() {
        if (!recording_) return;
        // Results read back by vkCmdCopyBuffer or through a mapping must be visible to the host.
        VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
        mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
        ctx_.vk.vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                                     VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
        recording_ = false;
        check(ctx_.vk.vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
        VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        si.commandBufferCount = 1;
        si.pCommandBuffers = &cmd_;
        check(ctx_.vk.vkQueueSubmit(ctx_.queue, 1, &si, fence_), "vkQueueSubmit");
        VkResult r;
        do {
            r = ctx_.vk.vkWaitForFences(ctx_.device, 1, &fence_, VK_TRUE, 10'000'000'000ull);
        } while (r == VK_TIMEOUT);
        check(r, "vkWaitForFences (running a forward pass)");
        reset();
    }

private:
    void begin() {
        if (recording_) return;
        check(ctx_.vk.vkResetCommandPool(ctx_.device, pool_, 0), "vkResetCommandPool");
        VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        check(ctx_.vk.vkBeginCommandBuffer(cmd_, &bi), "vkBeginCommandBuffer");
        recording_ = true;
        ++epoch_;
        // Weights uploaded by earlier submissions (staging copies) and host writes to mapped
        // buffers become visible to this forward's shaders.
        VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        mb.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT;
        mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT;
        ctx_.vk.vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                                     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0,
                                     nullptr, 0, nullptr);
    }

    // Closes the barrier epoch when this command depends on, or overwrites, work of the current one.
    void order(std::initializer_list<binding> bindings) {
        bool hazard = false;
        for (const binding& b : bindings)
            hazard |= b.buf->written_in == epoch_ || (b.write && b.buf->read_in == epoch_);
        if (hazard) {
            VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
            mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
            mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                               VK_ACCESS_TRANSFER_WRITE_BIT;
            const VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
            ctx_.vk.vkCmdPipelineBarrier(cmd_, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
            ++epoch_;
            ++barriers_;
        }
        for (const binding& b : bindings) {
            (b.write ? b.buf->written_in : b.buf->read_in) = epoch_;
            if (b.write) ++b.buf->writes;
        }
    }

    VkDescriptorSet allocate_set(binding_kinds kinds) {
        for (;;) {
            if (pool_index_ >= desc_pools_.size()) {
                // Room for every set being of either kind.
                const VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, sets_per_pool * max_bindings},
                                                       {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, sets_per_pool * texel_bindings}};
                VkDescriptorPoolCreateInfo ci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
                ci.maxSets = sets_per_pool;
                ci.poolSizeCount = 2;
                ci.pPoolSizes = sizes;
                VkDescriptorPool p;
                check(ctx_.vk.vkCreateDescriptorPool(ctx_.device, &ci, nullptr, &p), "vkCreateDescriptorPool");
                desc_pools_.push_back(p);
                pool_sets_ = 0;
            }
            if (pool_sets_ < sets_per_pool) {
                VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
                ai.descriptorPool = desc_pools_[pool_index_];
                ai.descriptorSetCount = 1;
                VkDescriptorSetLayout layout = pipes_.set_layout(kinds);
                ai.pSetLayouts = &layout;
                VkDescriptorSet set;
                check(ctx_.vk.vkAllocateDescriptorSets(ctx_.device, &ai, &set), "vkAllocateDescriptorSets");
                ++pool_sets_;
                return set;
            }
            ++pool_index_;
            pool_sets_ = 0;
        }
    }

    void reset() {
        check(ctx_.vk.vkResetFences(ctx_.device, 1, &fence_), "vkResetFences");
        for (VkDescriptorPool p : desc_pools_) ctx_.vk.vkResetDescriptorPool(ctx_.device, p, 0);
        pool_index_ = 0;
        pool_sets_ = 0;
        keep_.clear();
        chunk_ = 0;
        chunk_used_ = 0;
    }

    static constexpr std::uint32_t sets_per_pool = 256;

    context& ctx_;
    pipelines& pipes_;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    bool recording_ = false;
    std::uint64_t epoch_ = 0;
    std::size_t dispatches_ = 0, barriers_ = 0;
    std::vector<VkDescriptorPool> desc_pools_;
    std::size_t pool_index_ = 0;
    std::uint32_t pool_sets_ = 0;
    std::vector<buffer_ptr> keep_;
    std::vector<buffer_ptr> chunks_;
    std::size_t chunk_ = 0, chunk_used_ = 0;
    buffer_ptr dummy_;
};

}  // namespace vulkan
HEARTH_NAMESPACE_END
