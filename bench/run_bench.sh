#!/usr/bin/env bash
# `ward run` against its physical floor, with hyperfine.
#
#   bash bench/run_bench.sh [BUILD_DIR]   # default build-bench (Release), else build
#                                         # `make bench` runs it from bench/run.sh
#
# On a throwaway vault (WARD_HOME, XDG_RUNTIME_DIR, XDG_CONFIG_HOME,
# XDG_DATA_HOME in a mktemp -d directory; interactive KDF; one secret; agent
# unlocked) it times, in one hyperfine run so all share the machine's state:
#
#   /bin/true                                               the spawn floor
#   run_floor_exec  BENCH_KEY=FILE -- /bin/true             floor of the execve path
#   ward run --mask never --secret bench/key=BENCH_KEY -- /bin/true
#   run_floor_relay BENCH_KEY=FILE -- /bin/true             floor of the pipes path
#   ward run --secret bench/key=BENCH_KEY -- /bin/true      masked; stdout is a pipe
#
# The floors are bench/run_floor_exec.c and bench/run_floor_relay.c, built
# here with `cc -O2`: they read the same value from a file, add the same
# variable and execve, or posix_spawn with stdout/stderr pipes and relay until
# end of file. The goal is ward's median within 1.5 ms of its floor's.
#
# Then what ward loads at start (LD_DEBUG=statistics, shared libraries), and,
# if npm is available, dotenvx (`npm install @dotenvx/dotenvx` into
# BUILD_DIR/bench-dotenvx, never into the source tree) running
# `dotenvx run -f .env -- /bin/true` next to both ward modes.
#
# The machine these figures come from is shared and its load comes in bursts,
# and hyperfine runs all of one command's runs before the next command's, so a
# burst can land on one command only. The table is therefore timed in
# BENCH_ROUNDS rounds of RUNS/ROUNDS runs each (every round: warm-up, then
# every command) and the summary takes each command's median over all its runs
# pooled; BENCH_ROUNDS=1 is one plain `hyperfine --warmup 20 --runs 200`.
#
# Knobs (environment):
#   BENCH_RUNS=200 BENCH_WARMUP=20                 runs (in all) and warm-up (per round)
#   BENCH_ROUNDS=5                                 rounds the runs are split over
#   BENCH_DOTENVX=1                                0 skips dotenvx
#   BENCH_DOTENVX_RUNS=50 BENCH_DOTENVX_WARMUP=5   runs of the dotenvx comparison
#   BENCH_OUT=BUILD_DIR/bench-results              where the JSON results are kept
#   CC=cc                                          compiler for the floors
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if (($# >= 1)); then
  BUILD_DIR=$1
elif [[ -x $ROOT/build-bench/ward ]]; then
  BUILD_DIR=build-bench
else
  BUILD_DIR=build
fi
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
WARD=$BUILD_DIR/ward
if [[ ! -x $WARD ]]; then
  echo "run_bench: no ward binary at $WARD; build one with" >&2
  echo "  cmake -S $ROOT -B $ROOT/build-bench -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF" \
    "&& cmake --build $ROOT/build-bench --target ward" >&2
  exit 1
fi
if ! command -v hyperfine >/dev/null 2>&1; then
  echo "run_bench: needs hyperfine ('make deps' installs it)" >&2
  exit 1
fi

RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-20}
ROUNDS=${BENCH_ROUNDS:-5}
if ((ROUNDS < 1 || RUNS < 2 * ROUNDS)); then
  echo "run_bench: need BENCH_ROUNDS >= 1 and BENCH_RUNS >= 2 * BENCH_ROUNDS" >&2
  exit 2
fi
DOTENVX=${BENCH_DOTENVX:-1}
DOTENVX_RUNS=${BENCH_DOTENVX_RUNS:-50}
DOTENVX_WARMUP=${BENCH_DOTENVX_WARMUP:-5}
OUT=${BENCH_OUT:-$BUILD_DIR/bench-results}
CC=${CC:-cc}
mkdir -p "$OUT"
rm -f "$OUT"/run.json "$OUT"/run-round-*.json "$OUT"/run-dotenvx.json "$OUT"/run-ld-statistics.txt "$OUT"/run-summary.txt

# --- a throwaway vault ---------------------------------------------------------
# shellcheck source=bench/throwaway_vault.sh
source "$ROOT/bench/throwaway_vault.sh"
throwaway_vault ward-run-bench

VAR=BENCH_KEY
VALUE=sk-bench-0123456789abcdefghijklmnopqrstuvwxyzABCDEF
VALUE_FILE=$TMP/value
printf '%s' "$VALUE" >"$VALUE_FILE"
chmod 600 "$VALUE_FILE"

section() { printf '\n=== %s\n' "$*"; }

# --- the floors --------------------------------------------------------------------
section "building the floors with $CC -O2"
FLOOR=$TMP/floor
mkdir -p "$FLOOR"
"$CC" -O2 -o "$FLOOR/run_floor_exec" "$ROOT/bench/run_floor_exec.c"
"$CC" -O2 -o "$FLOOR/run_floor_relay" "$ROOT/bench/run_floor_relay.c"
echo "$FLOOR/run_floor_exec, $FLOOR/run_floor_relay"

# --- setup -------------------------------------------------------------------------
section "setup: ward init --kdf interactive, ward set bench/key --stdin, ward unlock"
"$WARD" init --kdf interactive
printf '%s' "$VALUE" | "$WARD" set bench/key --stdin
"$WARD" unlock

# Check that each command does what it is timed for before timing it.
check_env() { # LABEL EXPECTED CMD...: CMD's child must see VAR=EXPECTED on stdout
  local label=$1 expected=$2 got
  shift 2
  got=$("$@" /bin/sh -c "printf '%s' \"\$$VAR\"")
  if [[ $got != "$expected" ]]; then
    echo "run_bench: $label: the child printed '$got', expected '$expected'" >&2
    exit 1
  fi
}
check_env "run_floor_exec" "$VALUE" "$FLOOR/run_floor_exec" "$VAR=$VALUE_FILE" --
check_env "run_floor_relay" "$VALUE" "$FLOOR/run_floor_relay" "$VAR=$VALUE_FILE" --
check_env "ward run --mask never" "$VALUE" "$WARD" run --mask never --secret "bench/key=$VAR" --
# Masked: stdout is a pipe here, so ward relays and the value must not appear.
masked=$("$WARD" run --secret "bench/key=$VAR" -- /bin/sh -c "printf '%s' \"\$$VAR\"")
if [[ -z $masked || $masked = *"$VALUE"* ]]; then
  echo "run_bench: ward run (masked) printed '$masked'; expected a masked value" >&2
  exit 1
fi
echo "children see $VAR; masked relay prints: $masked"

# --- ward run vs its floors ----------------------------------------------------------
section "ward run vs its floors (hyperfine -N, stdout a pipe, $RUNS runs in $ROUNDS rounds)"
# --output=pipe: every command's stdout is a pipe (not a terminal), so the
# default `ward run` takes the pipes path, as under an AI agent or in CI.
for ((round = 1; round <= ROUNDS; round++)); do
  per_round=$((RUNS / ROUNDS + (round <= RUNS % ROUNDS ? 1 : 0)))
  ((ROUNDS == 1)) || echo "--- round $round of $ROUNDS ($per_round runs of each command)"
  hyperfine -N --warmup "$WARMUP" --runs "$per_round" --output=pipe \
    --export-json "$OUT/run-round-$round.json" \
    -n "/bin/true" "/bin/true" \
    -n "floor exec" "$FLOOR/run_floor_exec $VAR=$VALUE_FILE -- /bin/true" \
    -n "ward run --mask never" "$WARD run --mask never --secret bench/key=$VAR -- /bin/true" \
    -n "floor relay" "$FLOOR/run_floor_relay $VAR=$VALUE_FILE -- /bin/true" \
    -n "ward run (masked, pipes)" "$WARD run --secret bench/key=$VAR -- /bin/true"
done
# One file in hyperfine's layout holding every run of every round.
python3 - "$OUT" "$ROUNDS" <<'EOF'
import json, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
merged = {}
for k in range(1, rounds + 1):
    path = os.path.join(out, f"run-round-{k}.json")
    with open(path) as f:
        for r in json.load(f)["results"]:
            m = merged.setdefault(r["command"], {"command": r["command"], "times": [],
                                                 "round_medians": []})
            m["times"] += r["times"]
            m["round_medians"].append(r["median"])
    os.remove(path)
results = []
for m in merged.values():
    t = sorted(m["times"])
    m.update(mean=statistics.mean(t), stddev=statistics.stdev(t) if len(t) > 1 else 0.0,
             median=statistics.median(t), min=t[0], max=t[-1])
    results.append(m)
with open(os.path.join(out, "run.json"), "w") as f:
    json.dump({"rounds": rounds, "results": results}, f, indent=1)
EOF

# --- what ward loads at start ----------------------------------------------------------
section "start-up: LD_DEBUG=statistics ward run --mask never --secret bench/key=$VAR -- /bin/true"
# ld.so prints once for ward and once more for /bin/true, which inherits
# LD_DEBUG through the execve; the first block is ward's.
LD_DEBUG=statistics "$WARD" run --mask never --secret "bench/key=$VAR" -- /bin/true \
  2>"$OUT/run-ld-statistics.txt" >/dev/null
sed 's/^ *[0-9]*:[[:space:]]*//' "$OUT/run-ld-statistics.txt" | grep -v '^$' || true
LIBS=$(LD_TRACE_LOADED_OBJECTS=1 "$WARD" | awk '/=>/ {print $1}' | paste -sd' ' -)
echo "shared libraries: $LIBS"

# --- dotenvx ----------------------------------------------------------------------------
DOTENVX_JSON=
if [[ $DOTENVX = 0 ]]; then
  section "dotenvx: skipped (BENCH_DOTENVX=0)"
elif ! command -v npm >/dev/null 2>&1; then
  section "dotenvx: skipped (npm is not installed)"
else
  section "dotenvx run -f .env -- /bin/true vs ward run"
  NPM_PREFIX=$BUILD_DIR/bench-dotenvx
  DOTENVX_BIN=$NPM_PREFIX/node_modules/.bin/dotenvx
  if npm install --prefix "$NPM_PREFIX" --no-audit --no-fund --loglevel=error \
    @dotenvx/dotenvx >"$OUT/dotenvx-install.log" 2>&1 && [[ -x $DOTENVX_BIN ]]; then
    echo "dotenvx $("$DOTENVX_BIN" --version) (node $(node --version)) in $NPM_PREFIX"
    printf '%s=%s\n' "$VAR" "$VALUE" >"$TMP/.env"
    chmod 600 "$TMP/.env"
    check_env "dotenvx run" "$VALUE" "$DOTENVX_BIN" run --quiet -f "$TMP/.env" --
    hyperfine -N --warmup "$DOTENVX_WARMUP" --runs "$DOTENVX_RUNS" --output=pipe \
      --export-json "$OUT/run-dotenvx.json" \
      -n "dotenvx run" "$DOTENVX_BIN run -f $TMP/.env -- /bin/true" \
      -n "ward run --mask never" "$WARD run --mask never --secret bench/key=$VAR -- /bin/true" \
      -n "ward run (masked, pipes)" "$WARD run --secret bench/key=$VAR -- /bin/true"
    DOTENVX_JSON=$OUT/run-dotenvx.json
  else
    echo "run_bench: npm install @dotenvx/dotenvx failed (see $OUT/dotenvx-install.log);" \
      "skipping dotenvx" >&2
  fi
fi

# --- summary ----------------------------------------------------------------------------
section "summary (medians; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$OUT" "$DOTENVX_JSON" <<'EOF' | tee "$OUT/run-summary.txt"
import json, os, re, sys
out, dotenvx_json = sys.argv[1:3]
GOAL = 1.5e-3

def results(path):
    with open(path) as f:
        return {r["command"]: r for r in json.load(f)["results"]}

def ms(s):
    return f"{s * 1e3:.2f} ms"

r = results(os.path.join(out, "run.json"))
true = r["/bin/true"]["median"]

def spread(name):
    x = r[name]
    meds = x.get("round_medians", [])
    rounds = f", rounds {min(meds) * 1e3:.2f}-{max(meds) * 1e3:.2f}" if len(meds) > 1 else ""
    return f"min {x['min'] * 1e3:.2f}{rounds}"

rows = [("/bin/true (spawn floor)", true, spread("/bin/true"), None)]
for ward, floor, source in (("ward run --mask never", "floor exec", "run_floor_exec.c"),
                            ("ward run (masked, pipes)", "floor relay", "run_floor_relay.c")):
    w, f = r[ward]["median"], r[floor]["median"]
    rows.append((f"{floor} ({source})", f, f"{f / true:.1f}x /bin/true; {spread(floor)}", None))
    rows.append((f"{ward}", w, f"{(w - f) * 1e3:+.2f} ms vs {floor}; {spread(ward)}", w - f <= GOAL))
width = max(len(x[0]) for x in rows)
print(f"{'command':<{width}}  {'median':>9}  note")
for name, median, note, ok in rows:
    verdict = "" if ok is None else ("  [goal +1.50 ms: ok]" if ok else "  [goal +1.50 ms: MISSED]")
    print(f"{name:<{width}}  {ms(median):>9}  {note}{verdict}")

# ward copies every inherited variable, so its figure depends on their number.
print(f"environment of every command: {len(os.environ)} variables")

stats = open(os.path.join(out, "run-ld-statistics.txt")).read()
def stat(label):
    m = re.search(label + r":\s+(\d+)", stats)  # the first block is ward's
    return m.group(1) if m else "?"
print(f"ward start-up (LD_DEBUG=statistics): {stat('total startup time in dynamic loader')} cycles in ld.so, "
      f"{stat('number of relocations')} symbol + {stat('number of relative relocations')} relative relocations")

if dotenvx_json:
    d = results(dotenvx_json)
    dx = d["dotenvx run"]["median"]
    for ward in ("ward run --mask never", "ward run (masked, pipes)"):
        w = d[ward]["median"]
        print(f"dotenvx run -f .env -- /bin/true: {ms(dx)}, {dx / w:.0f}x {ward} ({ms(w)}, same run)")
print(f"JSON results in {out}")
EOF
