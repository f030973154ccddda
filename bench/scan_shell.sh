#!/usr/bin/env bash
# `ward scan shell` with SHELL_PROCS (500) processes of the user running, each
# with a 40-variable environment (one in ten holding a planted token), beside
# the naive shell equivalent (grep over every /proc/PID/environ).
#
#   bash bench/scan_shell.sh [BUILD_DIR]     # default: build-bench (Release)
#
# Reports the median wall time of SHELL_RUNS (11) runs of each, after one
# warm-up run (which also fills ward's compiled-rules cache, kept in a
# temporary XDG_CACHE_HOME). The processes are `sleep` children, killed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
WARD=$BUILD/ward
PROCS=${SHELL_PROCS:-500}
RUNS=${SHELL_RUNS:-11}
[ -x "$WARD" ] || { echo "no $WARD: build it first (cmake --build $BUILD --target ward)" >&2; exit 2; }

TMP=$(mktemp -d)
pids=()
cleanup() {
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
export XDG_CACHE_HOME=$TMP/cache

token() { head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 36; }
for i in $(seq 1 "$PROCS"); do
  vars=()
  for v in $(seq 1 40); do vars+=("APP_SETTING_$v=value-$i-$v-$RANDOM"); done
  if (( i % 10 == 0 )); then vars+=("GITHUB_TOKEN=ghp_$(token)"); fi
  env -i PATH="$PATH" "${vars[@]}" sleep 600 &
  pids+=($!)
done
sleep 0.5
procs=$(ls -d /proc/[0-9]* | wc -l)

median_ms() {  # runs "$@" RUNS times; prints the median in ms
  local times=()
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq 1 "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

found=$("$WARD" scan shell --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' || true)
ward_ms=$(median_ms "$WARD" scan shell --json)
grep_ms=$(median_ms sh -c 'grep -a -l -E "ghp_[A-Za-z0-9]{36}" /proc/[0-9]*/environ')
echo "processes on the machine: $procs (planted: $PROCS sleep children, $((PROCS / 10)) tokens)"
echo "ward scan shell --json: ${ward_ms} ms (median of $RUNS), $found findings"
echo "grep -E one pattern over /proc/*/environ: ${grep_ms} ms (median of $RUNS)"
