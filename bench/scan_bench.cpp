// The exposure-scan engine: compiling the default rules (every `ward scan`
// pays it once), and scanning source-like text with them (bytes/s, one
// thread). The text is generated: code, config and log lines, with a few
// planted keys, so most bytes are what a real tree holds — no secret.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "scan/engine.hpp"

namespace {

std::string source_like_text(std::size_t bytes) {
  static const char* lines[] = {
      "    for (std::size_t i = 0; i < items.size(); ++i) total += items[i].weight;\n",
      "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": "
      "json.dumps(event)}\n",
      "DATABASE_HOST=db.internal.example\nDATABASE_PORT=5432\n",
      "2026-11-24T10:00:00Z INFO request id=7f3a9c user=42 path=/api/v1/items took=12ms\n",
      "  image: registry.acme.io/team/service:1.24.3\n  replicas: 3\n",
      "const apiBase = process.env.API_BASE || 'https://api.acme.io/v2';\n",
      "// retries with backoff when the upstream answers 503\n",
      "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
  };
  std::mt19937 rng(42);
  std::string out;
  out.reserve(bytes + 256);
  std::size_t n = 0;
  while (out.size() < bytes) {
    out += lines[rng() % std::size(lines)];
    if (++n % 5000 == 0) out += "GITHUB_TOKEN=ghp_x7Qm2LpR9sT4vW8yZ1aB3cD5eF7gH9jK2mN4\n";
  }
  return out;
}

void BM_ScanBuildDefaultRules(benchmark::State& state) {
  for (auto _ : state) {
    auto rules = ward::scan::default_rules();
    auto scanner = ward::scan::Scanner::build(std::move(*rules));
    benchmark::DoNotOptimize(scanner);
  }
}
BENCHMARK(BM_ScanBuildDefaultRules)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ScanSourceText(benchmark::State& state) {
  auto scanner = ward::scan::Scanner::build(std::move(*ward::scan::default_rules()));
  auto scratch = scanner->make_scratch();
  std::string text = source_like_text(8 << 20);
  std::size_t found = 0;
  for (auto _ : state) {
    found = scanner->scan(text, "src/app.py", *scratch).size();
    benchmark::DoNotOptimize(found);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["findings"] = static_cast<double>(found);
  state.counters["re2_only_rules"] = static_cast<double>(scanner->re2_only());
}
BENCHMARK(BM_ScanSourceText)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
