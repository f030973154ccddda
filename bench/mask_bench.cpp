// Google Benchmark: the streaming masker `ward run` puts between a child and
// the terminal (src/mask/). Throughput in bytes per second of child output,
// fed in 64 KiB writes (a pipe's worth) unless the name says otherwise.
//
//   build-bench/ward_bench --benchmark_filter=Mask
//
// The text is generated log lines (timestamps, levels, paths, key=value
// pairs, JSON fragments) with 100 secrets shaped like real ones (provider
// API keys, passwords, tokens) embedded now and then, raw or encoded.
//
// BM_MaskFile exists only when MASK_BENCH_FILE (the text) and
// MASK_BENCH_VALUES (one secret a line) are set: bench/mask_throughput.sh
// uses it to mask the same 100 MB file it times grep -F and cat on.
// docs/performance.md ("Masker") records the medians.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "crypto/primitives.hpp"
#include "mask/masker.hpp"

namespace {

using ward::MaskSet;
using ward::StreamMasker;

constexpr std::size_t kSecrets = 100;
constexpr std::size_t kTextSize = std::size_t{16} << 20;
constexpr std::size_t kPipeWrite = 64 * 1024;

std::string random_chars(std::mt19937_64& rng, std::size_t n, std::string_view alphabet) {
  std::string out(n, ' ');
  for (char& c : out) c = alphabet[rng() % alphabet.size()];
  return out;
}

std::vector<std::string> make_secrets(std::size_t count) {
  constexpr std::string_view kAlnum =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const std::string_view prefixes[] = {"sk-ant-api03-", "ghp_", "AKIA", "xoxb-", "sk_live_",
                                       "glpat-",        "",     "",     ""};
  std::mt19937_64 rng(1);
  std::vector<std::string> secrets;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view prefix = prefixes[i % std::size(prefixes)];
    const std::size_t length = 16 + rng() % 33;  // 16..48 random characters
    std::string secret(prefix);
    secret += random_chars(rng, length,
                           i % 4 == 3 ? "abcdefghijkmnpqrstuvwxyz23456789!@#%^&*-_=+/" : kAlnum);
    secrets.push_back(std::move(secret));
  }
  return secrets;
}

// Log text of about `size` bytes; one line in `secret_every` carries a secret
// (0: none), raw, base64 or hex.
std::string make_log(std::size_t size, const std::vector<std::string>& secrets,
                     std::size_t secret_every) {
  const std::string_view levels[] = {"INFO", "DEBUG", "WARN", "ERROR", "TRACE"};
  const std::string_view words[] = {"request",  "handled", "user",    "connection", "retry",
                                    "cache",    "miss",    "timeout", "upstream",   "deploy",
                                    "finished", "started", "worker",  "queue",      "payload"};
  std::mt19937_64 rng(2);
  std::string text;
  text.reserve(size + 512);
  for (std::size_t line = 0; text.size() < size; ++line) {
    text += "2026-11-24T14:";
    text += std::to_string(10 + rng() % 50) + ":" + std::to_string(10 + rng() % 50) + ".";
    text += std::to_string(100000 + rng() % 900000) + "Z ";
    text += levels[rng() % std::size(levels)];
    text += " [svc/" + std::string(words[rng() % std::size(words)]) + "] ";
    for (int w = 0, n = 3 + static_cast<int>(rng() % 8); w < n; ++w) {
      text += words[rng() % std::size(words)];
      text += ' ';
    }
    text += "path=/api/v2/items/" + std::to_string(rng() % 100000);
    text += " duration_ms=" + std::to_string(rng() % 5000);
    if (rng() % 4 == 0) text += R"( {"status":200,"bytes":)" + std::to_string(rng() % 65536) + "}";
    if (secret_every != 0 && line % secret_every == secret_every - 1) {
      const std::string& secret = secrets[rng() % secrets.size()];
      switch (rng() % 3) {
        case 0:
          text += " token=" + secret;
          break;
        case 1:
          text += " auth=" + ward::to_base64(ward::as_bytes(secret));
          break;
        default:
          text += " hex=" + ward::to_hex(ward::as_bytes(secret));
          break;
      }
    }
    text += '\n';
  }
  return text;
}

std::shared_ptr<const MaskSet> build_set(const std::vector<std::string>& secrets) {
  std::vector<ward::MaskValue> values;
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    values.push_back(
        ward::MaskValue{"SECRET_" + std::to_string(i), ward::SecretBytes::from_view(secrets[i])});
  }
  auto set = MaskSet::build(std::move(values));
  if (!set) std::abort();
  return *set;
}

const std::vector<std::string>& secrets() {
  static const std::vector<std::string> s = make_secrets(kSecrets);
  return s;
}
const std::shared_ptr<const MaskSet>& secret_set() {
  static const std::shared_ptr<const MaskSet> set = build_set(secrets());
  return set;
}

// Masks text as `ward run` would: write by write, each masked chunk handed
// on (here: dropped) before the next.
void mask_stream(benchmark::State& state, const std::shared_ptr<const MaskSet>& set,
                 const std::string& text, std::size_t write_size) {
  StreamMasker masker(set);
  std::string out;
  out.reserve(2 * write_size + 4096);
  std::size_t masked = 0;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  for (auto _ : state) {
    for (std::size_t at = 0; at < text.size(); at += write_size) {
      out.clear();
      masker.write({bytes + at, std::min(write_size, text.size() - at)}, out);
      benchmark::DoNotOptimize(out.data());
    }
    out.clear();
    masker.finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  // One more pass to count replacements, outside the timing.
  out.clear();
  masker.write({bytes, text.size()}, out);
  masker.finish(out);
  for (std::size_t at = 0; (at = out.find("[masked:", at)) != std::string::npos; ++at) ++masked;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["patterns"] = static_cast<double>(set->pattern_count());
  state.counters["max_len"] = static_cast<double>(set->max_pattern_length());
  state.counters["masked"] = static_cast<double>(masked);
}

// The realistic case: a secret on one line in 1000 (about one per 120 KB).
void BM_MaskLogs(benchmark::State& state) {
  static const std::string text = make_log(kTextSize, secrets(), 1000);
  mask_stream(state, secret_set(), text, static_cast<std::size_t>(state.range(0)));
}

// No secret in the output at all: hs_scan, the prefix check and one append.
void BM_MaskLogsClean(benchmark::State& state) {
  static const std::string text = make_log(kTextSize, secrets(), 0);
  mask_stream(state, secret_set(), text, kPipeWrite);
}

// What `ward run --secret X` masks: one value (8 expressions, found with
// memmem, no Hyperscan database), on one line in 1000; and the same set
// forced through Hyperscan for comparison.
void BM_MaskLogsOneValue(benchmark::State& state) {
  const std::vector<std::string> one(secrets().begin(), secrets().begin() + 1);
  static const std::string text = make_log(kTextSize, one, 1000);
  std::vector<ward::MaskValue> values;
  values.push_back(ward::MaskValue{"S", ward::SecretBytes::from_view(one[0])});
  const auto engine = state.range(0) == 0 ? MaskSet::Engine::automatic : MaskSet::Engine::hyperscan;
  const std::shared_ptr<const MaskSet> set = *MaskSet::build(std::move(values), engine);
  state.SetLabel(set->uses_hyperscan() ? "hyperscan" : "memmem");
  mask_stream(state, set, text, kPipeWrite);
}

// A secret on every tenth line: a worst case for replacement work.
void BM_MaskLogsDense(benchmark::State& state) {
  static const std::string text = make_log(kTextSize, secrets(), 10);
  mask_stream(state, secret_set(), text, kPipeWrite);
}

// The same, with two private keys among the secrets (PEM, ~3.2 KB each): the
// longest pattern (hex) grows to ~6.5 KB, and so does the suffix the prefix
// index checks after every write.
void BM_MaskLogsWithKeys(benchmark::State& state) {
  static const std::string text = make_log(kTextSize, secrets(), 1000);
  static const std::shared_ptr<const MaskSet> set = [] {
    std::vector<std::string> values = secrets();
    std::mt19937_64 rng(3);
    for (int i = 0; i < 2; ++i) {
      std::string pem = "-----BEGIN PRIVATE KEY-----\n";
      for (int line = 0; line < 50; ++line) {
        pem += random_chars(rng, 64,
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
        pem += '\n';
      }
      values.push_back(pem + "-----END PRIVATE KEY-----\n");
    }
    return build_set(values);
  }();
  mask_stream(state, set, text, kPipeWrite);
}

// No values: the pass-through floor (one append per write).
void BM_MaskEmptySet(benchmark::State& state) {
  static const std::string text = make_log(kTextSize, secrets(), 1000);
  static const std::shared_ptr<const MaskSet> empty = build_set({});
  mask_stream(state, empty, text, kPipeWrite);
}

// What `ward run` pays at start: encodings, dedup, Hyperscan compile, prefix index.
void BM_MaskSetBuild(benchmark::State& state) {
  for (auto _ : state) {
    auto set = build_set(secrets());
    benchmark::DoNotOptimize(set.get());
  }
  state.counters["patterns"] = static_cast<double>(secret_set()->pattern_count());
}

// What `ward run --secret X` builds before it starts the child: one value.
void BM_MaskSetBuildOne(benchmark::State& state) {
  const std::vector<std::string> one(secrets().begin(), secrets().begin() + 1);
  for (auto _ : state) {
    auto set = build_set(one);
    benchmark::DoNotOptimize(set.get());
  }
  state.counters["patterns"] = static_cast<double>(build_set(one)->pattern_count());
}

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The file bench/mask_throughput.sh generates, with its values.
void BM_MaskFile(benchmark::State& state) {
  static const std::string text = read_file(std::getenv("MASK_BENCH_FILE"));
  static const std::shared_ptr<const MaskSet> set = [] {
    std::vector<std::string> values;
    std::ifstream in(std::getenv("MASK_BENCH_VALUES"));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) values.push_back(line);
    }
    return build_set(values);
  }();
  if (text.empty()) {
    state.SkipWithError("MASK_BENCH_FILE is empty or unreadable");
    return;
  }
  mask_stream(state, set, text, kPipeWrite);
}

[[maybe_unused]] const bool kFileBenchmark = [] {
  if (std::getenv("MASK_BENCH_FILE") && std::getenv("MASK_BENCH_VALUES")) {
    benchmark::RegisterBenchmark("BM_MaskFile", BM_MaskFile)->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace

BENCHMARK(BM_MaskLogs)
    ->Arg(64 * 1024)
    ->Arg(4096)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond)
    ->ArgName("write");
BENCHMARK(BM_MaskLogsClean)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskLogsOneValue)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskLogsDense)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskLogsWithKeys)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskEmptySet)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskSetBuild)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskSetBuildOne)->Unit(benchmark::kMicrosecond);
