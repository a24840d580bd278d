#!/usr/bin/env bash
# Vulkan stage: builds the Vulkan backend (-DHEARTH_VULKAN=ON: shaders compiled with glslc into a
# generated header) and its tests, then runs them on whatever Vulkan device the machine has; on CI
# that is lavapipe, Mesa's Vulkan driver that runs on the CPU (mesa-vulkan-drivers). The tests
# compare every op and weight type with the CPU backend, decode 32 tokens greedily with the tiny
# llama, SmolLM2 and Gemma 3 on both backends, and run `hearth run --backend vulkan` against
# `--backend cpu`; they enable the Khronos validation layer when it is installed
# (vulkan-validationlayers) and fail on any validation error. Without a Vulkan device the test
# programs exit 77 and ctest reports them skipped.
#
#   HEARTH_VULKAN_BUILD_DIR  build folder (default build/vulkan)
# Skipped with a message when the Vulkan headers or glslc are missing (scripts/install-deps).
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
build=${HEARTH_VULKAN_BUILD_DIR:-build/vulkan}

if ! command -v glslc >/dev/null; then
  echo "vulkan stage skipped: glslc not installed (apt-get install glslc)"
  exit 0
fi
if ! echo '#include <vulkan/vulkan.h>' | ${CXX:-c++} -x c++ -fsyntax-only - 2>/dev/null; then
  echo "vulkan stage skipped: the Vulkan headers are not installed (apt-get install libvulkan-dev)"
  exit 0
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)

cmake -S . -B "$build" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release -DHEARTH_VULKAN=ON \
  -DHEARTH_BUILD_EXAMPLES=ON -DHEARTH_BUILD_BENCH=OFF -DHEARTH_INSTALL=OFF \
  -DHEARTH_MODEL_CACHE="$root/build/models" >/dev/null
# hearth_cli: the CLI with --backend vulkan, for the hearth_cli_vulkan test (cli_backend.cmake).
cmake --build "$build" -j "$(nproc)" --target test_vulkan_ops test_vulkan_model test_vulkan_no_device hearth_cli
# One program at a time: lavapipe spreads each dispatch over every core already.
ctest --test-dir "$build" --output-on-failure -L vulkan
