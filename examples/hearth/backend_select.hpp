#pragma once
// `--backend cpu|vulkan|cuda` and `--device N` for the subcommands that run a model. The model
// graph is a template over the backend type, so a subcommand writes its body once, as a generic
// lambda taking the backend, and with_backend() calls it with the backend the options pick. The
// Vulkan backend is offered when the CLI is built with -DHEARTH_VULKAN=ON, the CUDA backend with
// -DHEARTH_CUDA=ON: the target then links hearth::vulkan or hearth::cuda, whose headers are on the
// include path (for CUDA, the CLI's one nvcc unit cuda_exec.cu defines hearth::cuda::linked_exec).
// That is the one place the CLI asks which backends exist (the edge where a backend is chosen),
// hence the __has_include.
#include "cli_common.hpp"
#include <hearth/error.hpp>
#include <memory>
#include <string>
#include <type_traits>
#if __has_include(<hearth/vulkan.hpp>)
#include <hearth/vulkan.hpp>
#define HEARTH_CLI_VULKAN 1
#else
#define HEARTH_CLI_VULKAN 0
#endif
#if __has_include(<hearth/cuda/linked_exec.hpp>)
#include <hearth/cuda/linked_exec.hpp>
#define HEARTH_CLI_CUDA 1
#else
#define HEARTH_CLI_CUDA 0
#endif

namespace hearth_cli {

inline constexpr bool vulkan_available = HEARTH_CLI_VULKAN != 0;
inline constexpr bool cuda_available = HEARTH_CLI_CUDA != 0;

// "cpu or vulkan", "cpu or cuda" ...: the backends this build offers, for --help.
inline std::string offered_backends() {
    std::string s = "cpu";
    if (vulkan_available) s += cuda_available ? ", vulkan" : " or vulkan";
    if (cuda_available) s += " or cuda";
    return s;
}

struct backend_options {
    std::string name = "cpu";
    int device = -1;  // GPU index; -1: Vulkan's first discrete GPU (else its first device), CUDA's device 0

    void add_to(CLI::App& cmd) {
        cmd.add_option("--backend", name,
                       "where the model runs: " + offered_backends() +
                           (vulkan_available || cuda_available ? "" : " (this build has no GPU backend)"))
            ->check(CLI::IsMember({"cpu", "vulkan", "cuda"}))
            ->capture_default_str();
        cmd.add_option("--device", device,
                       "GPU index (with --backend vulkan: default a discrete GPU if there is one; "
                       "with --backend cuda: default device 0)");
    }
};

// What the stats line and `hearth bench` say about a backend: its name with the CPU's thread
// count, the host threads it computes on, and the GPU it drives (empty for the CPU).
inline std::string describe(const cpu_backend& b) { return std::string(b.name()) + " x" + std::to_string(b.threads()); }
inline unsigned host_threads(const cpu_backend& b) { return b.threads(); }
inline std::string gpu_name(const cpu_backend&) { return {}; }

// A GPU backend lives as long as the process, like the CPU backend: models keep a reference to it
// (the first call's options open it). Without a usable device the library's error (what is
// missing, what to install) gains the CLI's way out.
template <class B, class Options>
B& gpu_backend_for(const Options& o) {
    static std::unique_ptr<B> b;
    if (!b) {
        try {
            b = std::make_unique<B>(o);
        } catch (const hearth::error& e) {
            if (e.kind() != hearth::errc::device) throw;
            throw hearth::error(e.kind(), std::string(e.what()) + " (--backend cpu runs the model on the CPU)");
        }
    }
    return *b;
}

#if HEARTH_CLI_VULKAN
inline std::string describe(const hearth::vulkan::backend& b) { return b.name(); }
// One host thread records and submits; the device does the arithmetic.
inline unsigned host_threads(const hearth::vulkan::backend&) { return 1; }
inline std::string gpu_name(const hearth::vulkan::backend& b) { return b.device().properties.deviceName; }

inline hearth::vulkan::backend& vulkan_backend_for(int device) {
    hearth::vulkan::backend_options o;
    o.device = device;
    return gpu_backend_for<hearth::vulkan::backend>(o);
}
#endif

#if HEARTH_CLI_CUDA
inline std::string describe(const hearth::cuda::linked_backend& b) { return b.name(); }
inline unsigned host_threads(const hearth::cuda::linked_backend&) { return 1; }
inline std::string gpu_name(const hearth::cuda::linked_backend& b) { return b.name(); }

inline hearth::cuda::linked_backend& cuda_backend_for(int device) {
    hearth::cuda::device_options o;
    o.device = device < 0 ? 0 : device;
    return gpu_backend_for<hearth::cuda::linked_backend>(o);
}
#endif

// Calls f(backend&) with the backend `bo` picks; f is a generic lambda (one body, any backend).
template <class F>
void with_backend(const backend_options& bo, const model_options& mo, F&& f) {
    if (bo.name == "vulkan") {
#if HEARTH_CLI_VULKAN
        f(vulkan_backend_for(bo.device));
        return;
#else
        throw hearth::error(hearth::errc::unsupported,
                            "--backend vulkan: this hearth was built without the Vulkan backend "
                            "(configure with -DHEARTH_VULKAN=ON)");
#endif
    }
    if (bo.name == "cuda") {
#if HEARTH_CLI_CUDA
        f(cuda_backend_for(bo.device));
        return;
#else
        throw hearth::error(hearth::errc::unsupported,
                            "--backend cuda: this hearth was built without the CUDA backend "
                            "(configure with -DHEARTH_CUDA=ON; it needs nvcc)");
#endif
    }
    if (bo.device >= 0)
        throw hearth::error(hearth::errc::invalid_argument,
                            "--device picks a GPU: use it with --backend vulkan or --backend cuda");
    f(backend_for(mo));
}

// open_model() for any backend: the model on `b`, with a progress bar while the weights load.
template <class B>
std::shared_ptr<const hearth::model<B>> open_model_on(B& b, const model_options& o) {
    progress_bar bar("loading " + std::filesystem::path(o.model).filename().string());
    auto m = hearth::model<B>::open(b, o.model, [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
    bar.finish();
    return m;
}

}  // namespace hearth_cli
