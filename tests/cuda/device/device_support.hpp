#pragma once
// The GPU backend of the device tests (one per program), the host twin backend, and the exit with
// "SKIP: no CUDA device (...)" / 77 when this machine has no usable GPU.
#include "gpu_exec.hpp"
#include <hearth/cuda/basic_backend.hpp>
#include <hearth/cuda/reference/exec.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace cuda_test {

using gpu_backend = hearth::cuda::linked_backend;

inline gpu_backend& gpu() {
    static std::unique_ptr<gpu_backend> b = [] {
        try {
            return std::make_unique<gpu_backend>();
        } catch (const hearth::error& e) {
            if (e.kind() != hearth::errc::device) throw;
            std::fprintf(stderr, "SKIP: no CUDA device (%s)\n", e.what());
            std::exit(77);
        }
    }();
    return *b;
}

inline hearth::cuda::reference_backend& twin() {
    static hearth::cuda::reference_backend b;
    return b;
}

}  // namespace cuda_test
