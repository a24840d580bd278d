#!/usr/bin/env bash
# Fuzz stage: builds hearth's libFuzzer targets (fuzz/: clang, ASan + UBSan) and runs each for a
# bounded time, starting from seeds generated from the real test files (fuzz/make-seeds) plus the
# checked-in regression inputs (tests/data/fuzz/<target>/). Any finding fails the stage: a crash,
# a sanitizer report, an invariant the target checks, an exception other than hearth::error, an
# input slower than 10 s, more than 2 GB of memory, or a leak. The input is kept under
# $build/findings/ with the command that reproduces it.
#
#   HEARTH_FUZZ_SECONDS    seconds per target (default 60)
#   HEARTH_FUZZ_BUILD_DIR  build folder (default build/h-fuzz)
#   HEARTH_FUZZ_TARGETS    targets to run (default: all that were built)
# Targets run in parallel, one per core; on CI's 2 cores the five take ~3 x 60 s plus the build.
# Skipped with a message when clang or libFuzzer is missing. scripts/fuzz-long runs them longer;
# scripts/fuzz-coverage reports the lines and functions of hearth their corpora reach.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
seconds=${HEARTH_FUZZ_SECONDS:-60}
build=${HEARTH_FUZZ_BUILD_DIR:-build/h-fuzz}

if ! command -v clang++ >/dev/null; then
  echo "fuzz stage skipped: clang++ not installed (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)

CXX=clang++ cmake -S fuzz -B "$build" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
targets=${HEARTH_FUZZ_TARGETS:-$(cd "$build" && ls fuzz_* 2>/dev/null | sed 's/^fuzz_//' | tr '\n' ' ')}
if [ -z "${targets// }" ]; then
  echo "fuzz stage skipped: no fuzz targets were built (libFuzzer missing? apt-get install libclang-rt-14-dev)"
  exit 0
fi

rm -rf "$build/seeds" "$build/logs"
python3 fuzz/make-seeds "$build/seeds"
mkdir -p "$build/findings" "$build/logs"

# One target: its corpus dir (new inputs land there and are reused by later runs), the seeds,
# the checked-in regression inputs.
run_target() {
  local t=$1 max_len=4096 extra=()
  case $t in
    gguf) max_len=65536; extra=(-dict=fuzz/dict/gguf.dict) ;;
    model) max_len=65536; extra=(-dict=fuzz/dict/gguf.dict) ;;
    chat) max_len=8192 ;;
    sampler) max_len=16384 ;;
  esac
  mkdir -p "$build/corpus/$t" "$build/seeds/$t"
  local regress=()
  [ -d "tests/data/fuzz/$t" ] && regress=("tests/data/fuzz/$t")
  "$build/fuzz_$t" "$build/corpus/$t" "$build/seeds/$t" "${regress[@]}" "${extra[@]}" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/findings/$t-" -print_final_stats=1 >"$build/logs/$t.log" 2>&1
}

jobs=$(nproc); [ "$jobs" -gt 4 ] && jobs=4
running=0
for t in $targets; do
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  { run_target "$t" && echo 0 || echo $?; } >"$build/logs/$t.rc" &
  running=$((running + 1))
done
wait
failed=()
for t in $targets; do
  [ "$(cat "$build/logs/$t.rc")" = 0 ] || failed+=("$t")
done

printf '%-10s %10s %8s %8s %10s  %s\n' target executions cov ft corpus result
for t in $targets; do
  log="$build/logs/$t.log"
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  last=$(grep -E '#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
  corp=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
  result=ok
  [ "$(cat "$build/logs/$t.rc")" = 0 ] || result=FINDING
  printf '%-10s %10s %8s %8s %10s  %s\n' "$t" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done

if [ ${#failed[@]} -ne 0 ]; then
  for t in "${failed[@]}"; do
    echo
    echo "==== fuzz_$t: finding (full log: $build/logs/$t.log) ===="
    grep -E 'ERROR|SUMMARY|what\(\)|runtime error|Test unit written' "$build/logs/$t.log" | head -20 || true
    for a in "$build/findings/$t-"*; do
      [ -e "$a" ] || continue
      echo "reproduce: $build/fuzz_$t $a"
      echo "minimize:  $build/fuzz_$t -minimize_crash=1 -runs=100000 $a   (then check it in under tests/data/fuzz/$t/)"
    done
  done
  exit 1
fi
