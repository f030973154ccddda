// Audit appends through a running agent: many connections sending masked
// `get` requests at once, each answered only after its event is durable
// (group commit: one write and one fdatasync per group). Needs an unlocked
// agent for a throwaway vault holding bench/one; bench/audit_agent.sh sets
// that up and runs this with --benchmark_filter=AgentAudit.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "agent/client.hpp"

namespace {

void BM_AgentAuditedGet(benchmark::State& state) {
  if (std::getenv("WARD_BENCH_AGENT") == nullptr) {
    state.SkipWithError("run through bench/audit_agent.sh (needs an unlocked throwaway agent)");
    return;
  }
  auto client = ward::connect_running_agent();
  if (!client || !*client) {
    state.SkipWithError("no agent running");
    return;
  }
  ward::AgentClient& agent = **client;
  for (auto _ : state) {
    auto resp = agent.call("get", {{"path", "bench/one"}, {"reveal", false}});
    if (!resp) {
      state.SkipWithError(resp.error().message.c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AgentAuditedGet)
    ->Threads(1)
    ->Threads(8)
    ->Threads(32)
    ->Threads(48)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace
