#!/usr/bin/env bash
# ward's benchmarks: whole-process timings of the CLI with hyperfine, and the
# Argon2id / sealing micro-benchmarks with Google Benchmark (ward_bench).
#
#   bash bench/run.sh [BUILD_DIR]        # `make bench` runs it on build/
#
# Everything happens on a throwaway vault in a mktemp -d directory (WARD_HOME,
# XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME all point inside it); the
# agent it starts is locked and the directory removed on exit. Nothing of the
# user's own vault or agent is touched.
#
# Figures (docs/performance.md records them):
#   1. `ward get PATH` (masked, agent unlocked), next to /bin/true and
#      `ward --version` (process start-up alone)
#   2. `ward ls` and `ward ls --json` on a vault of BENCH_SECRETS secrets
#   3. `ward unlock` as a whole process (interactive KDF), and the Argon2id
#      cost of each profile from ward_bench
#   4. `ward run` against its physical floor, and dotenvx: bench/run_bench.sh,
#      run at the end on the same BUILD_DIR (its own throwaway vault)
#
# Knobs (environment):
#   BENCH_RUNS=200 BENCH_WARMUP=20      runs of the short commands (get)
#   BENCH_LS_RUNS=50 BENCH_LS_WARMUP=5  runs of ls / ls --json
#   BENCH_UNLOCK_RUNS=20                runs of the whole-process unlock
#   BENCH_SECRETS=10000                 size of the vault for ls
#   BENCH_KDF=1                         0 skips building and running ward_bench
#   BENCH_BUILD=<repo>/build-bench      where ward_bench is built (Release)
#   BENCH_OUT=BUILD_DIR/bench-results   where the JSON results are kept
#   BENCH_NO_HYPERFINE=1                use the python3 fallback even if hyperfine is there
#
# Needs hyperfine (Debian package, in `make deps`); without it a slower,
# cruder python3 loop stands in and the summary says so.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
WARD=$BUILD_DIR/ward
if [[ ! -x $WARD ]]; then
  echo "bench: no ward binary at $WARD (run 'make build' first)" >&2
  exit 1
fi

RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-20}
LS_RUNS=${BENCH_LS_RUNS:-50}
LS_WARMUP=${BENCH_LS_WARMUP:-5}
UNLOCK_RUNS=${BENCH_UNLOCK_RUNS:-20}
SECRETS=${BENCH_SECRETS:-10000}
KDF=${BENCH_KDF:-1}
BENCH_BUILD=${BENCH_BUILD:-$ROOT/build-bench}
OUT=${BENCH_OUT:-$BUILD_DIR/bench-results}
mkdir -p "$OUT"
rm -f "$OUT"/{get,ls,unlock,kdf}.json "$OUT"/{summary,ld-statistics}.txt

# --- a throwaway vault ---------------------------------------------------------
# shellcheck source=bench/throwaway_vault.sh
source "$ROOT/bench/throwaway_vault.sh"
throwaway_vault ward-bench

# --- timing helpers --------------------------------------------------------------
HAVE_HYPERFINE=0
if [[ ${BENCH_NO_HYPERFINE:-0} = 1 ]]; then
  echo "bench: BENCH_NO_HYPERFINE=1: using the python3 loop" >&2
elif command -v hyperfine >/dev/null 2>&1; then
  HAVE_HYPERFINE=1
else
  echo "bench: hyperfine not found ('make deps' installs it); using a python3 loop instead," \
    "whose figures carry python's own fork/exec cost" >&2
fi

# time_cmds NAME WARMUP RUNS CMD... : hyperfine without a shell (-N), so the
# figures are the commands' own; JSON in $OUT/NAME.json.
time_cmds() {
  local name=$1 warmup=$2 runs=$3
  shift 3
  if ((HAVE_HYPERFINE)); then
    hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$OUT/$name.json" "$@"
  else
    python3 - "$OUT/$name.json" "$warmup" "$runs" "$@" <<'EOF'
import json, shlex, statistics, subprocess, sys, time
out, warmup, runs, cmds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
results = []
for cmd in cmds:
    argv = shlex.split(cmd)
    for _ in range(warmup):
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    r = {"command": cmd, "mean": statistics.mean(times), "median": statistics.median(times),
         "min": min(times), "max": max(times), "times": times}
    print(f"{cmd}: median {r['median']*1e3:.2f} ms, min {r['min']*1e3:.2f} ms ({runs} runs)")
    results.append(r)
json.dump({"results": results}, open(out, "w"), indent=1)
EOF
  fi
}

# time_prepared NAME RUNS PREPARE CMD : CMD after PREPARE each run (shell mode;
# for commands far longer than a shell's start-up).
time_prepared() {
  local name=$1 runs=$2 prepare=$3 cmd=$4
  if ((HAVE_HYPERFINE)); then
    hyperfine --warmup 1 --runs "$runs" --prepare "$prepare" --export-json "$OUT/$name.json" "$cmd"
  else
    python3 - "$OUT/$name.json" "$runs" "$prepare" "$cmd" <<'EOF'
import json, statistics, subprocess, sys, time
out, runs, prepare, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
times = []
for _ in range(runs):
    subprocess.run(prepare, shell=True, stdout=subprocess.DEVNULL, check=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - t0)
r = {"command": cmd, "mean": statistics.mean(times), "median": statistics.median(times),
     "min": min(times), "max": max(times), "times": times}
print(f"{cmd}: median {r['median']*1e3:.2f} ms ({runs} runs)")
json.dump({"results": [r]}, open(out, "w"), indent=1)
EOF
  fi
}

section() { printf '\n=== %s\n' "$*"; }

# --- 1. ward get ---------------------------------------------------------------
section "setup: ward init --kdf interactive, one secret, ward unlock"
"$WARD" init --kdf interactive
printf 'sk-ant-api03-benchmarkvalue0123456789abcdefghijklmnopqrstuvwxyz' |
  "$WARD" set llm/anthropic --stdin
"$WARD" unlock
SOCKET=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["socket"])' < <("$WARD" status --json))
"$WARD" get llm/anthropic

section "1. ward get llm/anthropic (masked, agent unlocked) vs /bin/true and ward --version"
time_cmds get "$WARMUP" "$RUNS" "$WARD get llm/anthropic" "/bin/true" "$WARD --version"

section "start-up: LD_DEBUG=statistics $WARD get llm/anthropic"
LD_DEBUG=statistics "$WARD" get llm/anthropic 2>"$OUT/ld-statistics.txt" >/dev/null
sed 's/^ *[0-9]*:[[:space:]]*//' "$OUT/ld-statistics.txt" | grep -v '^$' || true
NLIBS=$(ldd "$WARD" | grep -c '=>' || true)
echo "shared libraries loaded: $NLIBS"

# --- 3a. whole-process unlock ------------------------------------------------------
section "3. ward unlock as a whole process (interactive KDF, launches the agent)"
# The prepare step locks and waits until the old agent's socket is gone, so
# every timed run really derives the key and starts an agent.
printf -v LOCK_AND_WAIT '%q lock >/dev/null; for i in $(seq 500); do [ -S %q ] || break; sleep 0.01; done' \
  "$WARD" "$SOCKET"
time_prepared unlock "$UNLOCK_RUNS" "$LOCK_AND_WAIT" "$WARD unlock"
"$WARD" status --json | grep -q '"unlocked":true' || {
  echo "bench: the agent is not running after the unlock runs" >&2
  exit 1
}

# --- 2. ward ls on a large vault -----------------------------------------------------
section "2. populate $SECRETS secrets (one 'ward import' through the agent)"
python3 - "$TMP/bench.env" "$SECRETS" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(1, n + 1):
        f.write(f"S{i:05d}=value-{i:05d}-0123456789abcdefghijklmnopqrstuvwxyz\n")
EOF
chmod 600 "$TMP/bench.env"
t0=$(date +%s%N)
"$WARD" import "$TMP/bench.env" --prefix bench >/dev/null
t1=$(date +%s%N)
IMPORT_MS=$(((t1 - t0) / 1000000))
COUNT=$("$WARD" ls --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "imported $SECRETS secrets in ${IMPORT_MS} ms; the vault lists $COUNT"
if ((COUNT != SECRETS + 1)); then
  echo "bench: expected $((SECRETS + 1)) secrets, found $COUNT" >&2
  exit 1
fi

section "2. ward ls / ward ls --json on $COUNT secrets"
time_cmds ls "$LS_WARMUP" "$LS_RUNS" "$WARD ls" "$WARD ls --json"

# --- 3b. KDF micro-benchmarks ------------------------------------------------------
KDF_JSON=
if [[ $KDF != 0 ]]; then
  section "3. ward_bench (Google Benchmark, Release build in $BENCH_BUILD)"
  if cmake -S "$ROOT" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    -DWARD_BENCH=ON >"$OUT/bench-configure.log" 2>&1 &&
    cmake --build "$BENCH_BUILD" --target ward_bench -j "$(nproc)" >"$OUT/bench-build.log" 2>&1; then
    "$BENCH_BUILD/ward_bench" --benchmark_out="$OUT/kdf.json" --benchmark_out_format=json
    KDF_JSON=$OUT/kdf.json
  else
    echo "bench: could not build ward_bench (see $OUT/bench-configure.log, bench-build.log);" \
      "skipping the KDF figures" >&2
  fi
fi

# --- summary ---------------------------------------------------------------------
section "summary (medians; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$OUT" "$WARD" "$IMPORT_MS" "$SECRETS" "$HAVE_HYPERFINE" "$KDF_JSON" <<'EOF' | tee "$OUT/summary.txt"
import json, os, re, sys
out, ward, import_ms, secrets, have_hf, kdf_json = sys.argv[1:7]

def results(name):
    with open(os.path.join(out, name + ".json")) as f:
        return {r["command"]: r for r in json.load(f)["results"]}

def ms(seconds):
    return f"{seconds * 1e3:.2f} ms"

rows = []
get = results("get")
g, t, v = get[f"{ward} get llm/anthropic"], get["/bin/true"], get[f"{ward} --version"]
rows.append(("ward get PATH (masked, agent)", "< 3 ms", ms(g["median"]),
             f"{g['median'] / t['median']:.1f}x /bin/true", g["median"] < 0.003))
rows.append(("  /bin/true (process floor)", "", ms(t["median"]), "", None))
rows.append(("  ward --version (start-up only)", "", ms(v["median"]),
             f"{v['median'] / t['median']:.1f}x /bin/true", None))
ls = results("ls")
for cmd, label in ((f"{ward} ls", "ward ls"), (f"{ward} ls --json", "ward ls --json")):
    r = ls[cmd]
    rows.append((f"{label} ({secrets} secrets)", "< 50 ms", ms(r["median"]), "", r["median"] < 0.050))
un = results("unlock")
r = next(iter(un.values()))
rows.append(("ward unlock (interactive, whole process)", "", ms(r["median"]), "", None))
rows.append((f"ward import of {secrets} secrets (one run)", "", f"{int(import_ms)} ms",
             f"{int(import_ms) / int(secrets):.2f} ms/secret", None))
if kdf_json:
    with open(kdf_json) as f:
        bench = json.load(f)["benchmarks"]
    for b in bench:
        if b.get("aggregate_name") == "median":
            profile = b["run_name"].split("/")[1]
            rows.append((f"Argon2id {profile} (derive_key)", "", f"{b['real_time']:.1f} {b['time_unit']}",
                         f"{int(b.get('memlimit_MiB', 0))} MiB, ops {int(b.get('opslimit', 0))}", None))
        elif b.get("run_type") == "iteration" and "Kdf" not in b["name"]:
            rows.append((b["name"], "", f"{b['real_time']:.0f} {b['time_unit']}", "", None))

stats = open(os.path.join(out, "ld-statistics.txt")).read()
def stat(label):
    m = re.search(label + r":\s+(\d+)", stats)
    return m.group(1) if m else "?"

w = max(len(r[0]) for r in rows)
print(f"{'figure':<{w}}  {'target':<8}  {'median':>11}  note")
for name, target, median, note, ok in rows:
    verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"{name:<{w}}  {target:<8}  {median:>11}  {note}{verdict}")
print(f"start-up (LD_DEBUG=statistics): {stat('total startup time in dynamic loader')} cycles in ld.so, "
      f"{stat('number of relocations')} symbol + {stat('number of relative relocations')} relative relocations")
if have_hf != "1":
    print("NOTE: timed with the python3 fallback, not hyperfine; figures include python's spawn cost")
print(f"JSON results in {out}")
EOF

# --- 4. ward run -----------------------------------------------------------------
if [[ -f $ROOT/bench/run_bench.sh ]]; then
  if ((HAVE_HYPERFINE)); then
    section "4. ward run vs its floors (bench/run_bench.sh $BUILD_DIR)"
    BENCH_OUT=$OUT bash "$ROOT/bench/run_bench.sh" "$BUILD_DIR"
  else
    echo "bench: skipping bench/run_bench.sh, which needs hyperfine" >&2
  fi
fi
