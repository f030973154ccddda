#!/usr/bin/env bash
# The masker's throughput on a 100 MB log file, beside grep -F (same secrets,
# as a 500-pattern file) and cat | cat (the cost of just moving the bytes).
#
#   bash bench/mask_throughput.sh [WARD_BENCH]     # default: build-bench/ward_bench
#
# Builds nothing: build ward_bench first (Release), e.g.
#   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
#   cmake --build build-bench -j2 --target ward_bench
#
# In a mktemp -d directory (removed on exit) it generates:
#   values.txt     100 secrets shaped like real ones (API keys, passwords)
#   patterns.txt   500 literal patterns for grep -F: each secret raw, base64,
#                  base64url, hex and upper-case hex
#   text.log       MASK_MB (100) MB of log lines, one in 1000 carrying a secret
#                  (raw, base64 or hex)
# and reports the median MB/s (10^6 bytes) over MASK_RUNS (5) runs of:
#   ward masker    BM_MaskFile in ward_bench: the file (loaded into memory first,
#                  not timed) masked in 64 KiB writes; the masker compiles the 100
#                  values into all of its encodings (more than 500 patterns)
#   grep -F -c     reads the whole file and counts matching lines
#   grep -F >/dev/null   the command as usually written; GNU grep notices that
#                  its output is /dev/null and stops at the first match, so this
#                  figure measures little (shown for completeness)
#   cat | cat      the file through a pipe, the floor for any filter
# grep and cat read text.log from the page cache (it was just written and is
# read once before timing). Timing uses date +%s%N around each command.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${1:-$ROOT/build-bench/ward_bench}
if [[ ! -x $BENCH ]]; then
  echo "mask_throughput: no ward_bench at $BENCH" >&2
  echo "mask_throughput: build it: cmake -S $ROOT -B $ROOT/build-bench -DCMAKE_BUILD_TYPE=Release" \
    "-DBUILD_TESTING=OFF && cmake --build $ROOT/build-bench -j2 --target ward_bench" >&2
  exit 1
fi
RUNS=${MASK_RUNS:-5}
SIZE_MB=${MASK_MB:-100}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ward-mask-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

python3 - "$TMP" "$SIZE_MB" <<'EOF'
import base64, random, sys
out, size_mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
prefixes = ["sk-ant-api03-", "ghp_", "AKIA", "xoxb-", "sk_live_", "glpat-", "", "", ""]
values = []
for i in range(100):
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789!@#%^&*-_=+/" if i % 4 == 3 else alnum
    values.append(prefixes[i % len(prefixes)] + "".join(rng.choice(alphabet) for _ in range(16 + rng.randrange(33))))
patterns = []
for v in values:
    b = v.encode()
    patterns += [v, base64.b64encode(b).decode(), base64.urlsafe_b64encode(b).decode().rstrip("="),
                 b.hex(), b.hex().upper()]
with open(f"{out}/values.txt", "w") as f:
    f.write("\n".join(values) + "\n")
with open(f"{out}/patterns.txt", "w") as f:
    f.write("\n".join(patterns) + "\n")
levels = ["INFO", "DEBUG", "WARN", "ERROR", "TRACE"]
words = ["request", "handled", "user", "connection", "retry", "cache", "miss", "timeout",
         "upstream", "deploy", "finished", "started", "worker", "queue", "payload"]
target = size_mb * 1000 * 1000
written = 0
line = 0
with open(f"{out}/text.log", "w") as f:
    chunk = []
    while written < target:
        s = (f"2026-11-24T14:{rng.randrange(10, 60)}:{rng.randrange(10, 60)}.{rng.randrange(100000, 1000000)}Z "
             f"{rng.choice(levels)} [svc/{rng.choice(words)}] "
             + " ".join(rng.choice(words) for _ in range(3 + rng.randrange(8)))
             + f" path=/api/v2/items/{rng.randrange(100000)} duration_ms={rng.randrange(5000)}")
        if rng.randrange(4) == 0:
            s += f' {{"status":200,"bytes":{rng.randrange(65536)}}}'
        if line % 1000 == 999:
            v = rng.choice(values).encode()
            s += rng.choice([" token=" + v.decode(), " auth=" + base64.b64encode(v).decode(),
                             " hex=" + v.hex()])
        s += "\n"
        chunk.append(s)
        written += len(s)
        line += 1
        if len(chunk) >= 10000:
            f.write("".join(chunk))
            chunk = []
    f.write("".join(chunk))
EOF
FILE=$TMP/text.log
BYTES=$(stat -c %s "$FILE")
echo "text: $BYTES bytes, $(wc -l <"$TMP/patterns.txt") grep patterns, $(wc -l <"$TMP/values.txt") secrets;" \
  "$RUNS runs each; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$FILE" >/dev/null # into the page cache

# time_runs NAME CMD: runs CMD (through bash -c) RUNS times, prints the MB/s of each run.
time_runs() {
  local name=$1 cmd=$2 rates=() t0 t1
  for ((i = 0; i < RUNS; i++)); do
    t0=$(date +%s%N)
    bash -c "$cmd" || true # grep exits 1 when nothing matched
    t1=$(date +%s%N)
    rates+=("$(python3 -c "print(f'{$BYTES / (($t1 - $t0) / 1e9) / 1e6:.0f}')")")
  done
  echo "$name ${rates[*]}" >>"$TMP/rates"
}

: >"$TMP/rates"
time_runs "grep -F -c" "grep -F -c -f '$TMP/patterns.txt' '$FILE' >/dev/null"
time_runs "grep -F >/dev/null" "grep -F -f '$TMP/patterns.txt' '$FILE' >/dev/null"
time_runs "cat | cat" "cat '$FILE' | cat >/dev/null"

MASK_BENCH_FILE=$FILE MASK_BENCH_VALUES=$TMP/values.txt "$BENCH" \
  --benchmark_filter='^BM_MaskFile$' --benchmark_repetitions="$RUNS" \
  --benchmark_format=json --benchmark_out="$TMP/ward.json" --benchmark_out_format=json >/dev/null

python3 - "$TMP/rates" "$TMP/ward.json" <<'EOF'
import json, statistics, sys
rows = []
bench = json.load(open(sys.argv[2]))["benchmarks"]
runs = [b for b in bench if b.get("run_type") == "iteration"]
cpu = [b["bytes_per_second"] / 1e6 for b in runs]
real = [b["bytes_per_second"] * b["cpu_time"] / b["real_time"] / 1e6 for b in runs]
rows.append(("ward masker (64 KiB writes), CPU time", cpu,
             f"{int(runs[0]['patterns'])} patterns, {int(runs[0]['masked'])} masked"))
rows.append(("ward masker (64 KiB writes), wall time", real, ""))
for line in open(sys.argv[1]):
    parts = line.split()  # the name, then one rate per run
    k = next(i for i, p in enumerate(parts) if p.isdigit())
    rows.append((" ".join(parts[:k]), [float(p) for p in parts[k:]], "wall time"))
w = max(len(r[0]) for r in rows)
print(f"{'what':<{w}}  {'median MB/s':>11}  {'min-max':>13}  note")
for name, rates, note in rows:
    print(f"{name:<{w}}  {statistics.median(rates):>11.0f}  {min(rates):>6.0f}-{max(rates):<6.0f}  {note}")
EOF
