// Without a Vulkan driver (the loader pointed at a driver list that does not exist, as on a
// machine with no GPU driver installed), creating the backend gives errc::device saying what is
// missing and what to do, and the CPU backend runs a model in the same program as before. Needs
// no Vulkan device, so it runs (and is not skipped) wherever the Vulkan backend is built.
#include <hearth/cpu.hpp>
#include <hearth/session.hpp>
#include <hearth/vulkan.hpp>
#include <catch2/catch.hpp>
#include <test_paths.hpp>
#include <algorithm>
#include <cstdlib>
#include <vector>

TEST_CASE("vulkan: no driver gives an error that says what to do; the CPU backend keeps working", "[vulkan][errors]") {
    // The loader reads these when an instance is created: no driver manifest is found there.
    setenv("VK_DRIVER_FILES", "/nonexistent/hearth-no-driver.json", 1);
    setenv("VK_ICD_FILENAMES", "/nonexistent/hearth-no-driver.json", 1);

    using cpu_backend = hearth::cpu::backend<>;
    cpu_backend cpu(hearth::cpu::options{2});
    auto m = hearth::model<cpu_backend>::open(cpu, hearth_test::shared_dir() / "models" / "llama-2-tiny-random.gguf");
    auto greedy = [&] {
        hearth::session<cpu_backend> s(m, {.context = 64, .cache = {hearth::dtype::f16, hearth::dtype::f16}});
        std::vector<int> out;
        auto l = s.decode(m->vocab().encode("The capital of France is", true, false));
        for (int i = 0; i < 8; ++i) {
            out.push_back(static_cast<int>(std::max_element(l.begin(), l.end()) - l.begin()));
            l = s.decode(std::span<const int>(&out.back(), 1));
        }
        return out;
    };
    const auto before = greedy();

    bool created = false;
    try {
        hearth::vulkan::backend b;
        created = true;
    } catch (const hearth::error& e) {
        INFO(e.what());
        CHECK(e.kind() == hearth::errc::device);
        // No driver: "no usable Vulkan driver: install ..."; no loader at all: "the Vulkan loader
        // ... could not be opened: install it ...". Either way: what is missing, what to install,
        // and that the CPU backend is the way out.
        CHECK_THAT(e.what(), Catch::Contains("vulkan: "));
        CHECK_THAT(e.what(), Catch::Contains("driver") || Catch::Contains("loader"));
        CHECK_THAT(e.what(), Catch::Contains("install"));
        CHECK_THAT(e.what(), Catch::Contains("use the CPU backend"));
    }
    CHECK_FALSE(created);
    CHECK(greedy() == before);
}
