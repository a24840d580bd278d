#pragma once
// Vulkan results as hearth errors: every failing call becomes hearth::error(errc::device) with
// the call, the result's name and what the user can do about it.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <vulkan/vulkan.h>
#include <string>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

inline const char* result_name(VkResult r) {
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_INCOMPLETE: return "VK_INCOMPLETE";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    default: return "VkResult error";
    }
}

// What a person can do about a failure, by kind.
inline std::string result_advice(VkResult r) {
    switch (r) {
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        return "the GPU is out of memory: use a smaller model, a smaller context (-c) or a quantized KV cache";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "the host is out of memory";
    case VK_ERROR_DEVICE_LOST:
        return "the GPU driver reset the device (a hang or a driver bug): run again, or use the CPU backend";
    case VK_ERROR_INCOMPATIBLE_DRIVER:
    case VK_ERROR_INITIALIZATION_FAILED:
        return "no usable Vulkan driver: install your GPU's Vulkan driver (Debian: mesa-vulkan-drivers) or use the CPU backend";
    default: return "";
    }
}

[[noreturn]] inline void fail(VkResult r, const char* what) {
    std::string msg = std::string("vulkan: ") + what + " failed with " + result_name(r) + " (" +
                      std::to_string(static_cast<int>(r)) + ")";
    const std::string advice = result_advice(r);
    if (!advice.empty()) msg += ": " + advice;
    throw error(errc::device, msg);
}

inline void check(VkResult r, const char* what) {
    if (r != VK_SUCCESS) fail(r, what);
}

}  // namespace vulkan
HEARTH_NAMESPACE_END
