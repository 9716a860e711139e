#!/usr/bin/env bash
# Fuzzes every libFuzzer target (tests/fuzz/fuzz_*.c) for a bounded time, one after the other.
#   scripts/fuzz.sh                    every target, 60 s each
#   scripts/fuzz.sh --seconds 20 rtp   only rtp, 20 s
# Builds with clang into build-fuzz/ (the libraries too are instrumented for coverage, and
# everything runs under AddressSanitizer + UBSan), seeds each target with its corpus
# tests/fuzz/corpus/NAME/ (read only) and writes what it finds into build-fuzz/fuzz-work/NAME/:
# corpus/ for new inputs, crash-*, leak-*, timeout-* and oom-* for failures (an earlier run's
# move to previous/). Prints a table (target, execs, new corpus entries, crashes) and exits 1
# if any target failed. Replay a saved
# input with `build-fuzz/bin/fuzz_NAME FILE`; fold new inputs into the seeds with
# `build-fuzz/bin/fuzz_NAME -merge=1 tests/fuzz/corpus/NAME build-fuzz/fuzz-work/NAME/corpus`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --seconds wants a whole number" >&2; exit 2; }
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/fuzz_*.c; do
    n=${f##*/fuzz_}
    targets+=("${n%.c}")
  done
fi

# clang and its libFuzzer runtime (Debian 12: clang 14, the runtime in libclang-rt-14-dev),
# installed the way scripts/setup.sh installs the rest.
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz: installing ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "fuzz: run as root, or install: apt-get install ${missing[*]}" >&2; exit 1
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# -fsanitize=fuzzer-no-link puts coverage counters into the libraries the targets link: without
# it libFuzzer would see only the few lines of each fuzz_*.c and mutate blind.
BUILD_DIR=build-fuzz
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
  CC=clang cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCU_FUZZ=ON \
    -DMCU_SANITIZE=ON -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null ||
    { echo "fuzz: configure failed; scripts/setup.sh installs every dependency" >&2; exit 1; }
fi
build=()
for t in "${targets[@]}"; do
  [[ -f tests/fuzz/fuzz_$t.c ]] || { echo "fuzz: no target $t (tests/fuzz/fuzz_$t.c)" >&2; exit 2; }
  build+=("fuzz_$t")
done
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${build[@]}"

work=$BUILD_DIR/fuzz-work
failed=0
rows=()
for t in "${targets[@]}"; do
  dir=$work/$t
  mkdir -p "$dir/corpus" "$dir/previous"
  # Failures of an earlier run are kept, out of the way of this run's count.
  find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) -exec mv -t "$dir/previous" {} +
  log=$dir/fuzz.log
  echo "fuzz: $t for ${seconds}s (log: $log)"
  set +e
  # One process, one job: the machine's cores are shared. -timeout flags an input stuck for
  # 10 s, -rss_limit_mb one that balloons; both count as failures like a crash.
  "$BUILD_DIR/bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" "tests/fuzz/corpus/$t" \
    >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  crashes=$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | wc -l)
  if ((rc != 0 && crashes == 0)); then
    crashes=1 # died without an artifact (e.g. in start-up): the log says why
  fi
  if ((crashes)); then
    failed=1
    echo "fuzz: $t FAILED (exit $rc); inputs saved in $dir/, last lines of the log:" >&2
    grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" | tail -5 >&2 || true
  fi
  rows+=("$(printf '%-12s %12s %12s %8s' "$t" "${execs:-?}" "${added:-?}" "$crashes")")
done

echo
printf '%-12s %12s %12s %8s\n' target execs "new corpus" crashes
for r in "${rows[@]}"; do echo "$r"; done
exit "$failed"
