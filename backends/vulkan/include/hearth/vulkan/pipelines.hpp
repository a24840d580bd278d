#pragma once
// Compute pipelines, created once per (shader, specialization) on first use and kept for the
// backend's lifetime. Pipelines share one of two layouts: up to 6 storage buffers in set 0, or
// (the SIMD-lane matmul) two uniform texel buffers then 4 storage buffers; both with 128 bytes of
// push constants (the minimum every device offers), so the recorder binds any op the same way. Types (weight dtype, cache dtypes, element-wise op) are specialization
// constants: one SPIR-V module per shader, folded by the driver into one pipeline per type.
#include <hearth/config.hpp>
#include <hearth/vulkan/check.hpp>
#include <hearth/vulkan/context.hpp>
#include <hearth/vulkan/spirv.hpp>
#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <tuple>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

enum class shader { matvec, matvec_rows, matmat, get_rows, attention, act_round, eltwise, rms_norm, rope, kv_store, hadamard };

inline constexpr std::uint32_t max_bindings = 6;
inline constexpr std::uint32_t push_constant_bytes = 128;

// How a shader sees its bindings: all storage buffers, or bindings 0 and 1 as uniform texel
// buffers of 32-bit words (raw_buffer.glsl, TEXEL) and the rest storage buffers.
enum class binding_kinds { storage, texels01 };
inline constexpr std::uint32_t texel_bindings = 2;  // of binding_kinds::texels01
inline binding_kinds kinds_of(shader s) { return s == shader::matvec_rows ? binding_kinds::texels01 : binding_kinds::storage; }

struct pipeline_ref {
    VkPipeline handle = VK_NULL_HANDLE;
    binding_kinds kinds = binding_kinds::storage;
};

// The SPIR-V of a shader: the 8/16-bit storage build where the device has it, else the build that
// reads 32-bit words only (shaders that never read raw blocks have just one build).
inline std::span<const std::uint32_t> shader_code(shader s, bool storage8) {
    switch (s) {
    case shader::matvec: return storage8 ? std::span<const std::uint32_t>(spirv::matvec_s8) : spirv::matvec_u32;
    case shader::matvec_rows: return spirv::matvec_rows;  // texel fetches: one build for every device
    case shader::matmat: return storage8 ? std::span<const std::uint32_t>(spirv::matmat_s8) : spirv::matmat_u32;
    case shader::get_rows: return storage8 ? std::span<const std::uint32_t>(spirv::get_rows_s8) : spirv::get_rows_u32;
    case shader::attention: return storage8 ? std::span<const std::uint32_t>(spirv::attention_s8) : spirv::attention_u32;
    case shader::act_round: return spirv::act_round;
    case shader::eltwise: return spirv::eltwise;
    case shader::rms_norm: return spirv::rms_norm;
    case shader::rope: return spirv::rope;
    case shader::kv_store: return spirv::kv_store;
    case shader::hadamard: return spirv::hadamard;
    }
    return {};
}

class pipelines {
public:
    explicit pipelines(context& ctx) : ctx_(ctx) {
        for (const binding_kinds k : {binding_kinds::storage, binding_kinds::texels01}) {
            const auto i = static_cast<std::size_t>(k);
            std::array<VkDescriptorSetLayoutBinding, max_bindings> b{};
            for (std::uint32_t j = 0; j < max_bindings; ++j) {
                const bool texel = k == binding_kinds::texels01 && j < texel_bindings;
                b[j] = {j, texel ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                        VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
            }
            VkDescriptorSetLayoutCreateInfo li{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
            li.bindingCount = max_bindings;
            li.pBindings = b.data();
            check(ctx.vk.vkCreateDescriptorSetLayout(ctx.device, &li, nullptr, &set_layouts_[i]), "vkCreateDescriptorSetLayout");
            VkPushConstantRange pc{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_constant_bytes};
            VkPipelineLayoutCreateInfo pi{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
            pi.setLayoutCount = 1;
            pi.pSetLayouts = &set_layouts_[i];
            pi.pushConstantRangeCount = 1;
            pi.pPushConstantRanges = &pc;
            check(ctx.vk.vkCreatePipelineLayout(ctx.device, &pi, nullptr, &layouts_[i]), "vkCreatePipelineLayout");
        }
        VkPipelineCacheCreateInfo ci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
        check(ctx.vk.vkCreatePipelineCache(ctx.device, &ci, nullptr, &cache_), "vkCreatePipelineCache");
    }
    pipelines(const pipelines&) = delete;
    pipelines& operator=(const pipelines&) = delete;
    ~pipelines() {
        for (auto& [k, p] : pipelines_) ctx_.vk.vkDestroyPipeline(ctx_.device, p.handle, nullptr);
        for (auto& [k, m] : modules_) ctx_.vk.vkDestroyShaderModule(ctx_.device, m, nullptr);
        ctx_.vk.vkDestroyPipelineCache(ctx_.device, cache_, nullptr);
        for (std::size_t i = 0; i < layouts_.size(); ++i) {
            if (layouts_[i]) ctx_.vk.vkDestroyPipelineLayout(ctx_.device, layouts_[i], nullptr);
            if (set_layouts_[i]) ctx_.vk.vkDestroyDescriptorSetLayout(ctx_.device, set_layouts_[i], nullptr);
        }
    }

    VkDescriptorSetLayout set_layout(binding_kinds k) const { return set_layouts_[static_cast<std::size_t>(k)]; }
    VkPipelineLayout layout(binding_kinds k) const { return layouts_[static_cast<std::size_t>(k)]; }

    // The pipeline of shader `s` with specialization constants 0, 1 and 2 set to c0, c1 and c2.
    pipeline_ref get(shader s, std::uint32_t c0 = 0, std::uint32_t c1 = 0, std::uint32_t c2 = 0) {
        const auto key = std::make_tuple(s, c0, c1, c2);
        if (auto it = pipelines_.find(key); it != pipelines_.end()) return it->second;
        const std::uint32_t constants[3] = {c0, c1, c2};
        const VkSpecializationMapEntry entries[3] = {{0, 0, 4}, {1, 4, 4}, {2, 8, 4}};
        VkSpecializationInfo spec{3, entries, sizeof constants, constants};
        VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
        ci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
        ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
        ci.stage.module = module(s);
        ci.stage.pName = "main";
        ci.stage.pSpecializationInfo = &spec;
        const binding_kinds kinds = kinds_of(s);
        ci.layout = layout(kinds);
        pipeline_ref p{VK_NULL_HANDLE, kinds};
        check(ctx_.vk.vkCreateComputePipelines(ctx_.device, cache_, 1, &ci, nullptr, &p.handle), "vkCreateComputePipelines");
        pipelines_.emplace(key, p);
        return p;
    }

private:
    VkShaderModule module(shader s) {
        if (auto it = modules_.find(s); it != modules_.end()) return it->second;
        const auto code = shader_code(s, ctx_.storage8);
        VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
        mi.codeSize = code.size_bytes();
        mi.pCode = code.data();
        VkShaderModule m = VK_NULL_HANDLE;
        check(ctx_.vk.vkCreateShaderModule(ctx_.device, &mi, nullptr, &m), "vkCreateShaderModule");
        modules_.emplace(s, m);
        return m;
    }

    context& ctx_;
    std::array<VkDescriptorSetLayout, 2> set_layouts_{};  // by binding_kinds
    std::array<VkPipelineLayout, 2> layouts_{};
    VkPipelineCache cache_ = VK_NULL_HANDLE;
    std::map<shader, VkShaderModule> modules_;
    std::map<std::tuple<shader, std::uint32_t, std::uint32_t, std::uint32_t>, pipeline_ref> pipelines_;
};

}  // namespace vulkan
HEARTH_NAMESPACE_END
