// Device memory failures: a hearth::error (errc::device) that says what ran out and what to do,
// after which the Vulkan backend and the CPU backend both keep working.
#include "vulkan_test_support.hpp"

using namespace vk_test;
using hearth::dtype;

namespace {
void check_device_error(const hearth::error& e, std::initializer_list<const char*> must_say) {
    INFO(e.what());
    CHECK(e.kind() == hearth::errc::device);
    for (const char* s : must_say) CHECK_THAT(e.what(), Catch::Contains(s));
}
}  // namespace

TEST_CASE("vulkan: out of device memory and oversized buffers give errors that say what to do", "[vulkan][errors]") {
    // Its own device without the validation layer: a 1 TiB request may exceed maxBufferSize, which
    // the layer reports as a usage error; the driver's answer is what is tested here.
    auto g = make_gpu({}, false);
    // More than any device holds: the driver answers VK_ERROR_OUT_OF_DEVICE_MEMORY (at buffer
    // creation or at allocation, depending on the driver).
    try {
        hearth::vulkan::make_buffer(g->device(), std::size_t{1} << 40, hearth::vulkan::memory_home::upload, "a test buffer");
        FAIL("a 1 TiB buffer was allocated");
    } catch (const hearth::error& e) {
        check_device_error(e, {"out of memory", "use a smaller model"});
    }
    // A KV cache larger than one shader binding addresses: refused before asking the driver.
    const std::uint32_t cells = static_cast<std::uint32_t>(g->device().properties.limits.maxStorageBufferRange / 1024 + 1);
    try {
        g->alloc_kv(dtype::f32, dtype::f32, cells, 1, 256, 256);  // 1 KiB of K per cell
        FAIL("a K cache past maxStorageBufferRange was allocated");
    } catch (const hearth::error& e) {
        check_device_error(e, {"the K cache", "MiB", "maxStorageBufferRange", "smaller context"});
    }

    // Both backends still compute.
    auto a = g->alloc(3, 40), b = g->alloc(3, 40);
    const auto av = random_floats(3 * 40, 11), bv = random_floats(3 * 40, 12);
    g->write(a, av), g->write(b, bv);
    g->add(a, b);
    std::vector<float> got(3 * 40);
    g->read(a, got);
    auto c = make_both(3, 40, av);
    auto d = make_both(3, 40, bv);
    cpu().add(c.c, d.c);
    CHECK(got == read_cpu(c.c));
}
