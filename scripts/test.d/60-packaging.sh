#!/usr/bin/env bash
# Packaging stage: the Conan 2 recipe is created and its test_package built and run fully
# offline (dependencies from packaging/conan/system-recipes/, which wrap Debian's packages), and
# pkg-config compiles a program against an install tree. The install-tree and add_subdirectory
# routes and the vcpkg port layout are ctests in tests/packaging/ (main build).
# Conan comes from PyPI into build/; CONAN_HOME is under build/ so ~/.conan2 is never touched.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
model="$root/../shared/models/llama-2-tiny-random.gguf"
venv=build/conan-venv
export CONAN_HOME="$root/build/conan-home"
export PIP_CACHE_DIR="$root/build/pip-cache"

if [ ! -x "$venv/bin/conan" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "conan>=2,<3"
fi
conan="$venv/bin/conan"
"$conan" --version

# No remote at all: everything must come from the local cache.
"$conan" remote list | awk -F: '{print $1}' | while read -r r; do
  [ -n "$r" ] && "$conan" remote remove "$r" >/dev/null
done
"$conan" profile detect --exist-ok >/dev/null
# C++20 for the consumer; Ninja and ccache when present, as in the rest of the build.
conf=(-s compiler.cppstd=20)
command -v ninja >/dev/null && conf+=(-c tools.cmake.cmaketoolchain:generator=Ninja)
command -v ccache >/dev/null && conf+=(-c "tools.build:compiler_executables={'cpp': 'g++', 'c': 'gcc'}" \
  -c "tools.cmake.cmaketoolchain:extra_variables={'CMAKE_CXX_COMPILER_LAUNCHER': 'ccache'}")

for dep in packaging/conan/system-recipes/*/; do
  "$conan" export "$dep" >/dev/null
done
HEARTH_TEST_MODEL="$model" "$conan" create packaging/conan "${conf[@]}" --build=missing

# Asking for a backend the recipe cannot give must fail with its message, not half-package.
if "$conan" create packaging/conan "${conf[@]}" -o "hearth/*:vulkan=True" --build=missing >build/conan-vulkan.log 2>&1; then
  echo "60-packaging: hearth:vulkan=True was accepted by the recipe" >&2; exit 1
fi
grep -q "vulkan=True is not packaged" build/conan-vulkan.log

# pkg-config route: install the headers and compile + run the generating program with the flags
# hearth-cpu.pc gives (no CMake on the consumer side).
cmake -S . -B build/pkgconfig -DHEARTH_BUILD_TESTS=OFF -DHEARTH_BUILD_EXAMPLES=OFF \
  -DHEARTH_BUILD_BENCH=OFF -DHEARTH_INSTALL=ON >/dev/null
rm -rf build/pkgconfig-install
cmake --install build/pkgconfig --prefix build/pkgconfig-install >/dev/null
pc_flags=$(PKG_CONFIG_PATH="$root/build/pkgconfig-install/share/pkgconfig" pkg-config --cflags --libs hearth-cpu)
echo "pkg-config --cflags --libs hearth-cpu: $pc_flags"
cxx=g++; command -v ccache >/dev/null && cxx="ccache g++"
# shellcheck disable=SC2086  # pc_flags is a list of flags
$cxx -march=native -O2 tests/packaging/generate/generate.cpp -o build/pkgconfig/hearth_generate $pc_flags
build/pkgconfig/hearth_generate "$model"
