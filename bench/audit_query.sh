#!/usr/bin/env bash
# ward audit query, verify and suspicious over a log of 1,000,000 events
# (about 550 MB, rotated every 125,000 events, one event a second ending
# now), generated once with tests/e2e/auditlog.py in a throwaway WARD_HOME.
#
#   bash bench/audit_query.sh [BUILD_DIR] [EVENTS]   # default build-bench, 1000000
set -euo pipefail
BUILD=${1:-build-bench}
EVENTS=${2:-1000000}
WARD=$(realpath "$BUILD/ward")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/throwaway_vault.sh"
throwaway_vault ward-audit-query
mkdir -p -m 700 "$WARD_HOME"
ROOT=$ROOT python3 - "$WARD_HOME" "$EVENTS" <<'PY'
import hashlib, json, os, sys, time
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tests", "e2e"))
from auditlog import make_actor, canonical, ZERO_HASH
home, n = sys.argv[1], int(sys.argv[2])
per_file = 125_000
now_us = int(time.time() * 1e6)
prev = ZERO_HASH
agents = [("", ""), ("claude-code", "env:CLAUDECODE"), ("cursor", "ancestry:cursor")]
tools = ["", "/usr/bin/curl", "/usr/bin/psql", "/usr/bin/node"]
out, written = None, 0
def open_current(last_seq):
    name = "audit.jsonl"
    return open(os.path.join(home, name), "wb")
lines = []
def flush(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(b"".join(lines))
    lines.clear()
for seq in range(1, n + 1):
    agent, via = agents[seq % 3]
    obj = {"v": 1, "seq": seq, "ts": now_us - (n - seq) * 1_000_000,
           "event": "run" if seq % 5 == 0 else "get",
           "secrets": [f"team{seq % 13}/service{seq % 7}/api-key"],
           "outcome": "denied" if seq % 97 == 0 else "ok",
           "reason": "masked" if seq % 5 else "",
           "actor": make_actor(pid=100000 + seq % 30000, tty="" if seq % 4 == 0 else "/dev/pts/4",
                               agent=agent, via=via, ancestry=("node", "claude", "zsh")),
           "tool": tools[seq % 4], "host": "benchhost", "prev": prev}
    body = canonical(obj)
    h = hashlib.sha256(bytes.fromhex(prev) + body).hexdigest()
    obj["hash"] = h
    prev = h
    lines.append(canonical(obj) + b"\n")
    if seq % per_file == 0 and seq != n:
        flush(os.path.join(home, f"audit-{seq:012d}.jsonl"))
flush(os.path.join(home, "audit.jsonl"))
PY
du -sh "$WARD_HOME"
run() {
  hyperfine -N -i -w 1 -r 5 --export-markdown "$TMP/query.md" "$@" >/dev/null 2>&1
  cat "$TMP/query.md"
}
run "$WARD audit query --secret team3/service2/api-key --json" \
    "$WARD audit query --secret team3/" \
    "$WARD audit query --event run --agent cursor --tool /usr/bin/psql" \
    "$WARD audit query --outcome denied" \
    "$WARD audit query --since 24h --secret team3/service2/api-key" \
    "$WARD audit query --outcome ok --json" \
    "$WARD audit tail -n 20" \
    "$WARD audit verify" \
    "$WARD audit suspicious --since 1h --json"
