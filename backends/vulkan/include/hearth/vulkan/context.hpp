#pragma once
// One Vulkan instance + one logical device with one compute queue: everything the backend needs
// from the driver. Picks a discrete GPU unless told otherwise, enables 8/16-bit storage when the
// device has it, and, when asked, the Khronos validation layer with a messenger that counts its
// errors (tests fail on any).
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/vulkan/check.hpp>
#include <hearth/vulkan/loader.hpp>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace vulkan {

struct options {
    int device = -1;                // index among the devices with a compute queue; -1: prefer a discrete GPU
    bool validation = false;        // enable VK_LAYER_KHRONOS_validation when installed, count its errors
    bool portable_storage = false;  // read raw blocks as 32-bit words even when 8/16-bit storage exists
    // Matmul kernels for SIMD-lane devices (matvec_rows.comp): -1 on CPU implementations such as
    // lavapipe, 0 never, 1 wherever subgroup broadcast allows (tests run both kinds on one device).
    int lane_kernels = -1;
};

struct device_info {
    std::string name;
    VkPhysicalDeviceType type;
    std::uint32_t api_version;
};

inline const char* device_type_name(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
    }
}

class context {
public:
    explicit context(const options& o = {}) {
        load_global(vk);
        create_instance(o.validation || env_flag("HEARTH_VULKAN_VALIDATION"));
        pick_device(o.device >= 0 ? o.device : env_int("HEARTH_VULKAN_DEVICE", -1));
        create_device(o.portable_storage || env_flag("HEARTH_VULKAN_PORTABLE"));
        const std::uint32_t sg = broadcast_subgroup;
        const bool lanes_possible = sg == 4 || sg == 8 || sg == 16 || sg == 32;
        lane_kernels = lanes_possible &&
                       (o.lane_kernels > 0 || (o.lane_kernels < 0 && properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU));
    }
    context(const context&) = delete;
    context& operator=(const context&) = delete;
    ~context() {
        if (device) vk.vkDeviceWaitIdle(device), vk.vkDestroyDevice(device, nullptr);
        if (messenger) vk.vkDestroyDebugUtilsMessengerEXT(instance, messenger, nullptr);
        if (instance) vk.vkDestroyInstance(instance, nullptr);
    }

    functions vk;
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physical = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    VkQueue queue = VK_NULL_HANDLE;
    std::uint32_t queue_family = 0;
    VkPhysicalDeviceProperties properties{};
    VkPhysicalDeviceMemoryProperties memory{};
    bool storage8 = false;  // the raw-block shaders may use 8/16-bit storage ("s8" builds)
    // Compute shaders may broadcast within a subgroup of this many invocations (0: they may not).
    std::uint32_t broadcast_subgroup = 0;
    bool lane_kernels = false;  // matmuls run matvec_rows.comp (see options::lane_kernels)
    std::vector<device_info> devices;  // every device with a compute queue, in selection-index order
    int device_index = -1;

    // Integrated GPUs and CPU implementations share the host's memory: device-local memory is
    // host-visible there, so buffers are written in place instead of through a staging copy.
    bool unified_memory() const {
        return properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU ||
               properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    }

    bool validation_enabled() const { return messenger != VK_NULL_HANDLE; }
    int validation_errors() const { return errors_.load(); }
    std::string last_validation_error() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return last_error_;
    }

    // A memory type allowed by `bits` with all of `required`, preferring one that also has `preferred`.
    std::uint32_t memory_type(std::uint32_t bits, VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred) const {
        int fallback = -1;
        for (std::uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
            if (!(bits & (1u << i))) continue;
            const VkMemoryPropertyFlags f = memory.memoryTypes[i].propertyFlags;
            if ((f & required) != required) continue;
            if ((f & preferred) == preferred) return i;
            if (fallback < 0) fallback = static_cast<int>(i);
        }
        if (fallback < 0)
            throw error(errc::device, "vulkan: " + std::string(properties.deviceName) +
                                          " has no memory type with the properties a buffer needs (flags " +
                                          std::to_string(required) + ")");
        return static_cast<std::uint32_t>(fallback);
    }

private:
    static bool env_flag(const char* name) {
        const char* v = std::getenv(name);
        return v && *v && std::strcmp(v, "0") != 0;
    }
    static int env_int(const char* name, int fallback) {
        const char* v = std::getenv(name);
        return v && *v ? std::atoi(v) : fallback;
    }

    static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT,
                                                     const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
        auto* self = static_cast<context*>(user);
        if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
            self->errors_.fetch_add(1);
            std::lock_guard<std::mutex> lock(self->mutex_);
            self->last_error_ = data && data->pMessage ? data->pMessage : "(no message)";
            std::fprintf(stderr, "hearth vulkan validation error: %s\n", self->last_error_.c_str());
        }
        return VK_FALSE;
    }

    void create_instance(bool validation) {
        std::uint32_t n = 0;
        vk.vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr);
        std::vector<VkExtensionProperties> exts(n);
        vk.vkEnumerateInstanceExtensionProperties(nullptr, &n, exts.data());
        auto has_ext = [&](const char* e) {
            for (const auto& x : exts)
                if (std::strcmp(x.extensionName, e) == 0) return true;
            return false;
        };
        std::vector<const char*> layers, extensions;
        if (validation) {
            vk.vkEnumerateInstanceLayerProperties(&n, nullptr);
            std::vector<VkLayerProperties> props(n);
            vk.vkEnumerateInstanceLayerProperties(&n, props.data());
            for (const auto& l : props)
                if (std::strcmp(l.layerName, "VK_LAYER_KHRONOS_validation") == 0) layers = {"VK_LAYER_KHRONOS_validation"};
            // The layer provides debug utils even when the loader's own list lacks it.
            std::uint32_t m = 0;
            if (!layers.empty()) {
                vk.vkEnumerateInstanceExtensionProperties(layers[0], &m, nullptr);
                std::vector<VkExtensionProperties> lexts(m);
                vk.vkEnumerateInstanceExtensionProperties(layers[0], &m, lexts.data());
                exts.insert(exts.end(), lexts.begin(), lexts.end());
            }
            if (has_ext(VK_EXT_DEBUG_UTILS_EXTENSION_NAME)) extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
        }
        VkInstanceCreateFlags flags = 0;
        // Lists devices behind portability layers (MoltenVK) too; they are full compute devices.
        if (has_ext(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
            extensions.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
            flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
        }
        auto enum_version = reinterpret_cast<PFN_vkEnumerateInstanceVersion>(
            vk.vkGetInstanceProcAddr(nullptr, "vkEnumerateInstanceVersion"));
        std::uint32_t loader_version = VK_API_VERSION_1_0;
        if (enum_version) enum_version(&loader_version);
        if (loader_version < VK_API_VERSION_1_1)
            throw error(errc::device, "vulkan: the Vulkan loader supports only Vulkan 1.0; hearth needs 1.1: update it");

        VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
        app.pApplicationName = "hearth";
        app.pEngineName = "hearth";
        app.apiVersion = loader_version >= VK_API_VERSION_1_2 ? VK_API_VERSION_1_2 : VK_API_VERSION_1_1;
        VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
        ci.flags = flags;
        ci.pApplicationInfo = &app;
        ci.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
        ci.ppEnabledLayerNames = layers.data();
        ci.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
        ci.ppEnabledExtensionNames = extensions.data();
        check(vk.vkCreateInstance(&ci, nullptr, &instance), "vkCreateInstance");
        instance_version_ = app.apiVersion;
        load_instance(vk, instance);

        if (!extensions.empty() && std::strcmp(extensions[0], VK_EXT_DEBUG_UTILS_EXTENSION_NAME) == 0 &&
            vk.vkCreateDebugUtilsMessengerEXT) {
            VkDebugUtilsMessengerCreateInfoEXT mi{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
            mi.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT;
            mi.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT;
            mi.pfnUserCallback = &context::on_message;
            mi.pUserData = this;
            check(vk.vkCreateDebugUtilsMessengerEXT(instance, &mi, nullptr, &messenger), "vkCreateDebugUtilsMessengerEXT");
        }
    }

    void pick_device(int requested) {
        std::uint32_t n = 0;
        check(vk.vkEnumeratePhysicalDevices(instance, &n, nullptr), "vkEnumeratePhysicalDevices");
        std::vector<VkPhysicalDevice> all(n);
        check(vk.vkEnumeratePhysicalDevices(instance, &n, all.data()), "vkEnumeratePhysicalDevices");
        std::vector<std::pair<VkPhysicalDevice, std::uint32_t>> usable;  // device, compute queue family
        for (VkPhysicalDevice pd : all) {
            VkPhysicalDeviceProperties p;
            vk.vkGetPhysicalDeviceProperties(pd, &p);
            if (p.apiVersion < VK_API_VERSION_1_1) continue;
            std::uint32_t qn = 0;
            vk.vkGetPhysicalDeviceQueueFamilyProperties(pd, &qn, nullptr);
            std::vector<VkQueueFamilyProperties> qf(qn);
            vk.vkGetPhysicalDeviceQueueFamilyProperties(pd, &qn, qf.data());
            for (std::uint32_t i = 0; i < qn; ++i)
                if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
                    usable.push_back({pd, i});
                    devices.push_back({p.deviceName, p.deviceType, p.apiVersion});
                    break;
                }
        }
        if (usable.empty())
            throw error(errc::device, "vulkan: no Vulkan 1.1 device with a compute queue was found: install a GPU "
                                      "driver (or mesa-vulkan-drivers for the CPU rasterizer lavapipe), or use the CPU backend");
        if (requested >= static_cast<int>(usable.size())) {
            std::string list;
            for (std::size_t i = 0; i < devices.size(); ++i)
                list += (i ? ", " : "") + std::to_string(i) + ": " + devices[i].name;
            throw error(errc::invalid_argument, "vulkan: device index " + std::to_string(requested) + " does not exist; the devices are " + list);
        }
        int pick = requested;
        if (pick < 0) {  // discrete first, then integrated, virtual, anything (a CPU implementation last)
            const VkPhysicalDeviceType order[] = {VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU,
                                                  VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU, VK_PHYSICAL_DEVICE_TYPE_OTHER,
                                                  VK_PHYSICAL_DEVICE_TYPE_CPU};
            for (auto t : order) {
                for (std::size_t i = 0; i < devices.size() && pick < 0; ++i)
                    if (devices[i].type == t) pick = static_cast<int>(i);
                if (pick >= 0) break;
            }
            if (pick < 0) pick = 0;
        }
        device_index = pick;
        physical = usable[static_cast<std::size_t>(pick)].first;
        queue_family = usable[static_cast<std::size_t>(pick)].second;
        VkPhysicalDeviceSubgroupProperties sub{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
        VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
        props2.pNext = &sub;
        vk.vkGetPhysicalDeviceProperties2(physical, &props2);
        properties = props2.properties;
        if ((sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) && (sub.supportedOperations & VK_SUBGROUP_FEATURE_BALLOT_BIT))
            broadcast_subgroup = sub.subgroupSize;
        vk.vkGetPhysicalDeviceMemoryProperties(physical, &memory);
    }

    void create_device(bool portable) {
        std::uint32_t n = 0;
        vk.vkEnumerateDeviceExtensionProperties(physical, nullptr, &n, nullptr);
        std::vector<VkExtensionProperties> exts(n);
        vk.vkEnumerateDeviceExtensionProperties(physical, nullptr, &n, exts.data());
        auto has_ext = [&](const char* e) {
            for (const auto& x : exts)
                if (std::strcmp(x.extensionName, e) == 0) return true;
            return false;
        };
        const std::uint32_t api = std::min(properties.apiVersion, instance_version_);
        const bool ext8 = has_ext(VK_KHR_8BIT_STORAGE_EXTENSION_NAME);
        const bool can8 = ext8 || api >= VK_API_VERSION_1_2;

        VkPhysicalDevice16BitStorageFeatures f16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
        VkPhysicalDevice8BitStorageFeatures f8{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
        VkPhysicalDeviceFeatures2 feats{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
        feats.pNext = &f16;
        if (can8) f16.pNext = &f8;
        vk.vkGetPhysicalDeviceFeatures2(physical, &feats);
        storage8 = !portable && can8 && f8.storageBuffer8BitAccess && f16.storageBuffer16BitAccess;

        // Enable only what the shaders use: 8/16-bit storage access for the "s8" builds.
        VkPhysicalDevice16BitStorageFeatures e16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
        VkPhysicalDevice8BitStorageFeatures e8{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
        VkPhysicalDeviceFeatures2 enable{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
        std::vector<const char*> dev_exts;
        if (storage8) {
            e16.storageBuffer16BitAccess = VK_TRUE;
            e8.storageBuffer8BitAccess = VK_TRUE;
            enable.pNext = &e16;
            e16.pNext = &e8;
            if (api < VK_API_VERSION_1_2) dev_exts.push_back(VK_KHR_8BIT_STORAGE_EXTENSION_NAME);
        }
        const float priority = 1.0f;
        VkDeviceQueueCreateInfo qi{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
        qi.queueFamilyIndex = queue_family;
        qi.queueCount = 1;
        qi.pQueuePriorities = &priority;
        VkDeviceCreateInfo ci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
        ci.pNext = &enable;
        ci.queueCreateInfoCount = 1;
        ci.pQueueCreateInfos = &qi;
        ci.enabledExtensionCount = static_cast<std::uint32_t>(dev_exts.size());
        ci.ppEnabledExtensionNames = dev_exts.data();
        check(vk.vkCreateDevice(physical, &ci, nullptr, &device), "vkCreateDevice");
        load_device(vk, device);
        vk.vkGetDeviceQueue(device, queue_family, 0, &queue);
    }

    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    std::uint32_t instance_version_ = VK_API_VERSION_1_1;
    std::atomic<int> errors_{0};
    mutable std::mutex mutex_;
    std::string last_error_;
};

}  // namespace vulkan
HEARTH_NAMESPACE_END
