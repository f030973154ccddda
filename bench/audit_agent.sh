#!/usr/bin/env bash
# Audited requests per second through a real agent (group commit), on a
# throwaway vault; nothing of the user's own vault is touched.
#
#   bash bench/audit_agent.sh [BUILD_DIR]    # default build-bench (Release)
set -euo pipefail
BUILD=${1:-build-bench}
WARD=$(realpath "$BUILD/ward")
BENCH=$(realpath "$BUILD/ward_bench")
source "$(dirname "$0")/throwaway_vault.sh"
throwaway_vault ward-audit-bench
"$WARD" init --kdf interactive >/dev/null
printf 'bench-value-0123456789abcdef\n' | "$WARD" set bench/one --stdin >/dev/null
"$WARD" unlock >/dev/null
WARD_BENCH_AGENT=1 "$BENCH" --benchmark_filter=AgentAudit --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_counters_tabular=true
"$WARD" audit verify
