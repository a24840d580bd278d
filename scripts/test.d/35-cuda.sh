#!/usr/bin/env bash
# CUDA stage: configures hearth with -DHEARTH_CUDA=ON for sm_75, sm_86, sm_89 and sm_90, builds the
# CUDA test program and the CLI with --backend cuda (one .cu translation unit each: nvcc runs once
# per architecture) and runs the test program with ctest. Without a GPU or driver the program prints "SKIP: no CUDA device (...)" and ctest counts it
# as skipped; the host twins of the kernels (test_cuda_twins) run in the main build everywhere.
# Skipped with a message when nvcc is not installed. ccache caches nvcc's output too.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
nvcc=${CUDACXX:-}
if [ -z "$nvcc" ]; then
  if command -v nvcc >/dev/null; then nvcc=$(command -v nvcc)
  elif [ -x /usr/local/cuda/bin/nvcc ]; then nvcc=/usr/local/cuda/bin/nvcc
  fi
fi
if [ -z "$nvcc" ]; then
  echo "SKIP: CUDA stage: nvcc not found (install the CUDA toolkit, or set CUDACXX to its nvcc)"
  exit 0
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
build=${HEARTH_CUDA_BUILD_DIR:-build/cuda}
start=$(date +%s)

cmake -S . -B "$build" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DHEARTH_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES="75;86;89;90" \
  -DHEARTH_BUILD_EXAMPLES=ON -DHEARTH_BUILD_BENCH=OFF -DHEARTH_INSTALL=OFF \
  -DHEARTH_MODEL_CACHE="$root/build/models" >/dev/null
cmake --build "$build" --target test_cuda_device hearth_cli -j "$(nproc)"
# The CLI links (static CUDA runtime) and, without a GPU, says so instead of crashing.
if ! "$build/examples/hearth" run --backend cuda -m "$root/../shared/models/llama-2-tiny-random.gguf" -p hi -n 1 \
    2>"$build/cli-cuda.log" >/dev/null; then
  grep -q "no usable CUDA device" "$build/cli-cuda.log" || { cat "$build/cli-cuda.log"; exit 1; }
fi
# Verbose, so the SKIP line (or the name of the device tested) shows whatever the result.
ctest --test-dir "$build" -V -R '^test_cuda_device$'
echo "CUDA stage: $(( $(date +%s) - start )) s"
