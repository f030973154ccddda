// Google Benchmark: the audit trail's figures (issue 4, docs/performance.md).
//
//   AuditGroupCommit    64 threads committing through one GroupWriter on a
//                       real file under /tmp, fdatasync per group: durable
//                       events/s (goal: at least 20,000)
//   AuditAppend*        one thread, AuditLog::append of one event at a time,
//                       with and without fdatasync, for comparison
//   AuditVerify*        verify_chain over a generated ~200 MB log (rotated
//                       files, a signed checkpoint every 100 events): MB/s
//                       (goal: at least 200), with and without the anchor
//   AuditReadAll        for_each_event over the same log (what query pays)
//   AuditParseLine      parse_line alone, one thread: MB/s
//   AuditCheckLine      parse_line + line_hash, what the verifier does a line
//
//   build-rel/ward_bench --benchmark_filter=Audit --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
//
// The ~200 MB log is generated once into /tmp/ward-bench-audit-<uid>/ and
// kept for later runs (WARD_BENCH_AUDIT_DIR moves it; delete it to rebuild).
// Figures are for a warm page cache.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <latch>
#include <thread>

#include <fmt/format.h>

#include "audit/event.hpp"
#include "audit/log.hpp"
#include "audit/query.hpp"
#include "audit/verify.hpp"
#include "crypto/digest.hpp"
#include "crypto/primitives.hpp"

namespace {

namespace audit = ward::audit;

// A realistic event of about 450 bytes: an agent's child reading a secret.
audit::Event realistic(std::int64_t i) {
  audit::Event e;
  e.event = i % 5 == 0 ? "run" : "get";
  e.secrets = {fmt::format("team/key-{}", i % 97)};
  if (i % 5 == 0) e.denied = {"prod/aws/key"};
  e.outcome = i % 23 == 0 ? "denied" : "ok";
  e.reason = i % 23 == 0 ? "not in the allow-list for /usr/bin/curl" : "";
  e.actor.pid = 400000 + i % 30000;
  e.actor.ppid = 399000;
  e.actor.uid = 1000;
  e.actor.sid = 398000;
  e.actor.exe = "/usr/bin/psql";
  e.actor.comm = "psql";
  e.actor.cwd = "/home/dev/app";
  e.actor.tty = i % 3 == 0 ? "" : "/dev/pts/4";
  e.actor.ancestry = {"node", "claude", "zsh"};
  e.actor.agent_name = "claude-code";
  e.actor.agent_via = "env:CLAUDECODE";
  e.tool = "/usr/bin/psql";
  return e;
}

std::string scratch_dir(const char* name) {
  return fmt::format("/tmp/ward-bench-{}-{}-{}", name, ::getuid(), ::getpid());
}

// ---- appends ---------------------------------------------------------------

constexpr int kCommitThreads = 64;
constexpr int kCommitsPerThread = 100;

// One iteration: 64 threads x 100 commits through one GroupWriter, timed
// from when all threads are ready to when the last commit has returned.
void BM_AuditGroupCommit(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  std::string dir = scratch_dir("commit");
  auto log = audit::AuditLog::open(dir + "/audit.jsonl", {.sync = sync});
  if (!log) {
    state.SkipWithError(log.error().message.c_str());
    return;
  }
  audit::GroupWriter writer(std::move(*log));
  std::atomic<std::int64_t> failures{0};
  std::int64_t events = 0;
  for (auto _ : state) {
    std::latch start(kCommitThreads + 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < kCommitThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < kCommitsPerThread; ++i) {
          audit::Event event = realistic(t * kCommitsPerThread + i);
          if (!writer.commit(event)) ++failures;
        }
      });
    }
    start.arrive_and_wait();
    auto began = std::chrono::steady_clock::now();
    for (auto& th : threads) th.join();
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    events += kCommitThreads * kCommitsPerThread;
  }
  if (failures) state.SkipWithError("a commit failed");
  state.SetItemsProcessed(events);
  std::filesystem::remove_all(dir);
}

// One thread, one event an append, as a CLI command writes its event.
void BM_AuditAppend(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  std::string dir = scratch_dir("append");
  auto log = audit::AuditLog::open(dir + "/audit.jsonl", {.sync = sync});
  if (!log) {
    state.SkipWithError(log.error().message.c_str());
    return;
  }
  std::int64_t i = 0;
  for (auto _ : state) {
    audit::Event e = realistic(i++);
    if (!log->append(std::span<audit::Event>(&e, 1))) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  std::filesystem::remove_all(dir);
}

// ---- verify and read ---------------------------------------------------------

constexpr std::int64_t kLogEvents = 400'000;  // ~210 MB of realistic lines
constexpr int kCheckpointEvery = 100;

struct Fixture {
  std::string path;        // the current file; chain_files(path) has the rest
  audit::Anchor anchor;    // the checkpoint key and the last sealed head
  std::int64_t bytes = 0;  // of all files
};

// Builds the log once (a few seconds) and keeps it; the anchor is stored
// beside it so later runs reuse both.
const Fixture& fixture() {
  static Fixture f = [] {
    const char* env = std::getenv("WARD_BENCH_AUDIT_DIR");
    std::string dir = env && *env ? env : fmt::format("/tmp/ward-bench-audit-{}", ::getuid());
    Fixture out;
    out.path = dir + "/audit.jsonl";
    std::string anchor_path = dir + "/anchor.txt";
    if (FILE* in = std::fopen(anchor_path.c_str(), "r")) {
      char key[65] = {}, head[65] = {};
      long long seq = 0;
      if (std::fscanf(in, "%64s %lld %64s", key, &seq, head) == 3) {
        out.anchor = audit::Anchor{key, audit::Head{seq, head}};
      }
      std::fclose(in);
    }
    if (out.anchor.public_key.empty()) {
      std::filesystem::remove_all(dir);
      auto log = audit::AuditLog::open(out.path, {.sync = false});
      if (!log) std::abort();
      ward::SigningKeyPair key = ward::generate_signing_key();
      std::string public_hex = ward::to_hex(key.public_key);
      audit::CheckpointSigner signer = [&](std::int64_t seq, const std::string& head,
                                           std::int64_t ts) {
        std::string message = audit::checkpoint_message(seq, head, ts);
        return audit::Checkpoint{
            seq, head, ts, public_hex,
            ward::to_hex(ward::sign_detached(key.secret_key, ward::as_bytes(message)))};
      };
      audit::Head sealed;
      for (std::int64_t n = 0; n < kLogEvents; n += kCheckpointEvery) {
        std::vector<audit::Event> batch;
        for (int i = 1; i < kCheckpointEvery; ++i) batch.push_back(realistic(n + i));
        batch.push_back(realistic(n));
        batch.back().event = "audit.checkpoint";
        auto head = log->append(batch, &signer);
        if (!head) std::abort();
        sealed = *head;
      }
      out.anchor = audit::Anchor{public_hex, sealed};
      FILE* anchor_out = std::fopen(anchor_path.c_str(), "w");
      std::fprintf(anchor_out, "%s %lld %s\n", public_hex.c_str(),
                   static_cast<long long>(sealed.seq), sealed.hash.c_str());
      std::fclose(anchor_out);
    }
    for (const auto& file : audit::chain_files(out.path)) {
      out.bytes += static_cast<std::int64_t>(std::filesystem::file_size(file));
    }
    return out;
  }();
  return f;
}

// range(0): verifier threads (0 = its default); range(1): 1 with the anchor.
void BM_AuditVerify(benchmark::State& state) {
  const Fixture& f = fixture();
  std::optional<audit::Anchor> anchor;
  if (state.range(1)) anchor = f.anchor;
  auto files = audit::chain_files(f.path);
  std::int64_t bytes = 0;
  for (auto _ : state) {
    audit::VerifyReport r =
        audit::verify_chain(files, anchor, static_cast<unsigned>(state.range(0)));
    if (!r.intact() || r.events != kLogEvents) {
      state.SkipWithError(r.intact() ? "wrong event count" : r.failure->reason.c_str());
      break;
    }
    bytes += r.bytes;
  }
  state.SetBytesProcessed(bytes);
  state.counters["log_MB"] = static_cast<double>(f.bytes) / 1e6;
}

void BM_AuditReadAll(benchmark::State& state) {
  const Fixture& f = fixture();
  auto files = audit::chain_files(f.path);
  std::int64_t events = 0;
  for (auto _ : state) {
    std::int64_t matched = 0;
    auto ok = audit::for_each_event(files, [&](const audit::Event& e, std::string_view) {
      matched += !e.secrets.empty() && e.secrets[0] == "team/key-7";
      ++events;
      return true;
    });
    if (!ok) {
      state.SkipWithError(ok.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(matched);
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(state.iterations() * f.bytes);
}

// ---- one line ------------------------------------------------------------------

std::vector<std::string> sample_lines() {
  std::vector<std::string> lines;
  std::string prev(audit::kZeroHash);
  for (std::int64_t i = 1; i <= 1000; ++i) {
    audit::Event e = realistic(i);
    e.seq = i;
    e.ts = 1764000000000000 + i * 1000;
    e.host = "dev-laptop";
    e.prev = prev;
    lines.push_back(audit::encode_line(e));
    prev = e.hash;
  }
  return lines;
}

void BM_AuditParseLine(benchmark::State& state) {
  const std::vector<std::string> lines = sample_lines();
  audit::ParsedLine parsed;
  std::int64_t bytes = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& line = lines[i++ % lines.size()];
    if (!audit::parse_line(line, parsed)) {
      state.SkipWithError("parse_line failed");
      break;
    }
    bytes += static_cast<std::int64_t>(line.size() + 1);
  }
  state.SetBytesProcessed(bytes);
  state.counters["line_bytes"] = static_cast<double>(lines[0].size());
}

void BM_AuditCheckLine(benchmark::State& state) {
  const std::vector<std::string> lines = sample_lines();
  audit::ParsedLine parsed;
  std::int64_t bytes = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& line = lines[i++ % lines.size()];
    if (!audit::parse_line(line, parsed) ||
        audit::line_hash(parsed.event.prev, parsed.before_hash, parsed.after_hash) !=
            parsed.event.hash) {
      state.SkipWithError("line check failed");
      break;
    }
    bytes += static_cast<std::int64_t>(line.size() + 1);
  }
  state.SetBytesProcessed(bytes);
}

void BM_AuditEncodeLine(benchmark::State& state) {
  audit::Event e = realistic(7);
  e.seq = 7;
  e.prev = std::string(audit::kZeroHash);
  std::int64_t bytes = 0;
  for (auto _ : state) {
    std::string line = audit::encode_line(e);
    bytes += static_cast<std::int64_t>(line.size() + 1);
    benchmark::DoNotOptimize(line.data());
  }
  state.SetBytesProcessed(bytes);
}

}  // namespace

BENCHMARK(BM_AuditGroupCommit)
    ->ArgName("sync")
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->MinTime(2.0);
BENCHMARK(BM_AuditAppend)
    ->ArgName("sync")
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_AuditVerify)
    ->ArgNames({"threads", "anchor"})
    ->Args({1, 0})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);
BENCHMARK(BM_AuditReadAll)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_AuditParseLine);
BENCHMARK(BM_AuditCheckLine);
BENCHMARK(BM_AuditEncodeLine);
