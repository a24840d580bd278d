// Exits 77 (ctest SKIP) before any test runs when this machine has no Vulkan device, and says
// which device the tests run on otherwise.
#include "vulkan_test_device.hpp"

namespace {
struct device_guard {
    device_guard() {
        auto& b = vk_test::gpu();
        std::fprintf(stderr, "testing on %s, %s storage, %s matmul kernels, validation layer %s\n", b.name(),
                     b.device().storage8 ? "8/16-bit" : "32-bit word", b.device().lane_kernels ? "simd-lane" : "gpu",
                     b.device().validation_enabled() ? "on" : "NOT INSTALLED");
    }
} guard;
}  // namespace
