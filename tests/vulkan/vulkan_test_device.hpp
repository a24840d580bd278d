#pragma once
// The Vulkan device of a test program: one backend per program, with the validation layer when
// it is installed, or exit 77 (ctest SKIP) when the machine has no Vulkan device. Light on
// purpose (no CPU backend), so guard.cpp compiles fast.
#include <hearth/vulkan.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace vk_test {

using gpu_backend = hearth::vulkan::backend;

// Creates a backend, or exits 77 (ctest SKIP) when this machine has no Vulkan device.
inline std::unique_ptr<gpu_backend> make_gpu(hearth::vulkan::backend_options o = {}, bool validation = true) {
    o.validation = validation;
    try {
        return std::make_unique<gpu_backend>(o);
    } catch (const hearth::error& e) {
        if (e.kind() != hearth::errc::device) throw;
        std::fprintf(stderr, "SKIP: no Vulkan device: %s\n", e.what());
        std::exit(77);
    }
}

// Never destroyed, on purpose: destroying the last Vulkan instance unloads the driver, and
// LeakSanitizer then reports the driver's one-time allocations as leaks of an unknown module
// that no suppression can name. Kept alive, the driver stays loaded until exit and its own
// allocations are suppressed by module name (lsan.supp).
inline gpu_backend& gpu() {
    static gpu_backend* b = make_gpu().release();
    return *b;
}

inline int validation_errors() { return gpu().device().validation_errors(); }

}  // namespace vk_test
