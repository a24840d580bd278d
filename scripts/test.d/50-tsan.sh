#!/usr/bin/env bash
# ThreadSanitizer stage: builds the tests that run hearth from several threads with
# -fsanitize=thread and runs them; any data race, lock-order inversion or use of a freed object
# across threads fails the stage.
#   test_concurrency           sessions sharing one model (one CPU backend, one thread pool)
#                              generating at the same time; cancellation through the atomic flag
#                              from another thread
#   test_tokenizer [threads]   one tokenizer shared by concurrent encodes
#
#   HEARTH_TSAN_BUILD_DIR  build folder (default build/h-tsan)
# Sizes are reduced (HEARTH_TEST_SMALL=1): TSan makes every memory access ~10x slower.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
build=${HEARTH_TSAN_BUILD_DIR:-build/h-tsan}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)

cmake -S . -B "$build" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHEARTH_SANITIZE=thread -DHEARTH_BUILD_EXAMPLES=OFF -DHEARTH_BUILD_BENCH=OFF -DHEARTH_INSTALL=OFF \
  -DHEARTH_MODEL_CACHE="$root/build/models" >/dev/null
cmake --build "$build" --target test_concurrency test_tokenizer -j "$(nproc)"

# halt_on_error: the first report ends the run with its stacks on screen (exit 66).
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export HEARTH_TEST_SMALL=1
status=0
run() {
  local name=$1; shift
  local exe
  exe=$(find "$build/tests" -name "$name" -type f -perm -u+x | head -1)
  echo "---- $name $*"
  if ! "$exe" "$@"; then
    echo "ThreadSanitizer stage: $name FAILED (see the report above)"
    status=1
  fi
}
run test_concurrency
run test_tokenizer "[threads]"
exit $status
