#!/usr/bin/env bash
# AArch64 stage: cross-builds the CPU kernel tests for NEON dotprod and runs them under qemu-user
# with reduced sizes (qemu runs NEON ~75x slower than native). The NEON program checks every
# kernel against the scalar twin compiled into it, so the separate scalar program is not built
# here (it runs in the x86-64 builds), which keeps the stage to ~5 compiler runs.
# Skipped with a message when the cross compiler or qemu is missing.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
for tool in aarch64-linux-gnu-g++ qemu-aarch64; do
  if ! command -v "$tool" >/dev/null; then
    echo "aarch64 stage skipped: $tool not installed (apt-get install g++-aarch64-linux-gnu qemu-user)"
    exit 0
  fi
done
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
build=${HEARTH_ARM_BUILD_DIR:-build/h-cpu-arm}

cmake -S . -B "$build" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-toolchain.cmake" \
  -DHEARTH_BUILD_EXAMPLES=OFF -DHEARTH_BUILD_BENCH=OFF -DHEARTH_INSTALL=OFF >/dev/null
cmake --build "$build" --target test_cpu_neon -j "$(nproc)"
HEARTH_TEST_SMALL=1 ctest --test-dir "$build" --output-on-failure -R '^test_cpu_neon$'
