#pragma once
// The Vulkan loader, opened at run time. Linking libvulkan directly would make every program
// that includes this backend fail to start on a machine without it; opening it here turns "no
// loader" into a hearth::error the program can catch (and fall back to the CPU). Functions are
// called through tables filled from vkGetInstanceProcAddr / vkGetDeviceProcAddr.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <vulkan/vulkan.h>
#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

// Every entry point the backend uses, by the level it is loaded at.
#define HEARTH_VK_GLOBAL_FUNCTIONS(X) \
    X(vkCreateInstance) X(vkEnumerateInstanceLayerProperties) X(vkEnumerateInstanceExtensionProperties)
#define HEARTH_VK_INSTANCE_FUNCTIONS(X)                                                               \
    X(vkDestroyInstance) X(vkEnumeratePhysicalDevices) X(vkGetPhysicalDeviceProperties)               \
    X(vkGetPhysicalDeviceProperties2)                                                                 \
    X(vkGetPhysicalDeviceFeatures2) X(vkGetPhysicalDeviceQueueFamilyProperties)                       \
    X(vkGetPhysicalDeviceMemoryProperties) X(vkEnumerateDeviceExtensionProperties) X(vkCreateDevice)   \
    X(vkGetDeviceProcAddr)
#define HEARTH_VK_DEVICE_FUNCTIONS(X)                                                                 \
    X(vkDestroyDevice) X(vkGetDeviceQueue) X(vkCreateBuffer) X(vkDestroyBuffer)                       \
    X(vkGetBufferMemoryRequirements) X(vkAllocateMemory) X(vkFreeMemory) X(vkBindBufferMemory)        \
    X(vkMapMemory) X(vkUnmapMemory) X(vkCreateShaderModule) X(vkDestroyShaderModule)                  \
    X(vkCreateDescriptorSetLayout) X(vkDestroyDescriptorSetLayout) X(vkCreatePipelineLayout)          \
    X(vkDestroyPipelineLayout) X(vkCreateComputePipelines) X(vkDestroyPipeline)                       \
    X(vkCreatePipelineCache) X(vkDestroyPipelineCache) X(vkCreateDescriptorPool)                      \
    X(vkDestroyDescriptorPool) X(vkResetDescriptorPool) X(vkAllocateDescriptorSets)                   \
    X(vkUpdateDescriptorSets) X(vkCreateCommandPool) X(vkDestroyCommandPool)                          \
    X(vkAllocateCommandBuffers) X(vkResetCommandPool) X(vkBeginCommandBuffer) X(vkEndCommandBuffer)   \
    X(vkCmdBindPipeline) X(vkCmdBindDescriptorSets) X(vkCmdPushConstants) X(vkCmdDispatch)            \
    X(vkCmdPipelineBarrier) X(vkCmdCopyBuffer) X(vkCmdFillBuffer) X(vkCreateFence) X(vkDestroyFence)  \
    X(vkCreateBufferView) X(vkDestroyBufferView)                                                      \
    X(vkResetFences) X(vkWaitForFences) X(vkQueueSubmit) X(vkDeviceWaitIdle)

#define HEARTH_VK_MEMBER(name) PFN_##name name = nullptr;
struct functions {
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
    HEARTH_VK_GLOBAL_FUNCTIONS(HEARTH_VK_MEMBER)
    HEARTH_VK_INSTANCE_FUNCTIONS(HEARTH_VK_MEMBER)
    HEARTH_VK_DEVICE_FUNCTIONS(HEARTH_VK_MEMBER)
    PFN_vkCreateDebugUtilsMessengerEXT vkCreateDebugUtilsMessengerEXT = nullptr;    // optional
    PFN_vkDestroyDebugUtilsMessengerEXT vkDestroyDebugUtilsMessengerEXT = nullptr;  // optional
};
#undef HEARTH_VK_MEMBER

// The process-wide loader library, opened once and never closed (drivers keep threads and
// atexit handlers that must not outlive their code).
inline PFN_vkGetInstanceProcAddr open_loader() {
    static const PFN_vkGetInstanceProcAddr entry = [] () -> PFN_vkGetInstanceProcAddr {
#if defined(_WIN32)
        HMODULE lib = LoadLibraryA("vulkan-1.dll");
        return lib ? reinterpret_cast<PFN_vkGetInstanceProcAddr>(GetProcAddress(lib, "vkGetInstanceProcAddr")) : nullptr;
#else
        void* lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!lib) lib = dlopen("libvulkan.so", RTLD_NOW | RTLD_LOCAL);
        return lib ? reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr")) : nullptr;
#endif
    }();
    if (!entry)
        throw error(errc::device,
                    "vulkan: the Vulkan loader (libvulkan.so.1 / vulkan-1.dll) could not be opened: install it "
                    "(Debian: libvulkan1 and a driver such as mesa-vulkan-drivers) or use the CPU backend");
    return entry;
}

inline void load_global(functions& f) {
    f.vkGetInstanceProcAddr = open_loader();
#define HEARTH_VK_LOAD(name) f.name = reinterpret_cast<PFN_##name>(f.vkGetInstanceProcAddr(nullptr, #name));
    HEARTH_VK_GLOBAL_FUNCTIONS(HEARTH_VK_LOAD)
#undef HEARTH_VK_LOAD
    if (!f.vkCreateInstance)
        throw error(errc::device, "vulkan: the loader has no vkCreateInstance: reinstall the Vulkan loader (libvulkan1)");
}

inline void load_instance(functions& f, VkInstance instance) {
#define HEARTH_VK_LOAD(name)                                                                         \
    f.name = reinterpret_cast<PFN_##name>(f.vkGetInstanceProcAddr(instance, #name));                 \
    if (!f.name) throw error(errc::device, "vulkan: the loader lacks " #name ": update the Vulkan loader");
    HEARTH_VK_INSTANCE_FUNCTIONS(HEARTH_VK_LOAD)
#undef HEARTH_VK_LOAD
    f.vkCreateDebugUtilsMessengerEXT = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        f.vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
    f.vkDestroyDebugUtilsMessengerEXT = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        f.vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT"));
}

inline void load_device(functions& f, VkDevice device) {
#define HEARTH_VK_LOAD(name)                                                                         \
    f.name = reinterpret_cast<PFN_##name>(f.vkGetDeviceProcAddr(device, #name));                     \
    if (!f.name) throw error(errc::device, "vulkan: the driver lacks " #name ": update the GPU driver");
    HEARTH_VK_DEVICE_FUNCTIONS(HEARTH_VK_LOAD)
#undef HEARTH_VK_LOAD
}

}  // namespace vulkan
HEARTH_NAMESPACE_END
