// Google Benchmark: the cost of `ward unlock`'s key derivation for each
// Argon2id profile, plus the per-secret crypto every get/set pays (sealing and
// opening a 64-byte value) and the masked fingerprint `ward get` prints.
//
//   build-bench/ward_bench --benchmark_filter=Kdf
//   build-bench/ward_bench --benchmark_filter='Seal|Open|Secret|Fingerprint'
//
// bench/run.sh runs all of it; docs/performance.md records the medians.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/primitives.hpp"
#include "crypto/secret_bytes.hpp"
#include "vault/fingerprint.hpp"

namespace {

using ward::KdfProfile;

// One Argon2id derivation with a profile's parameters: what `ward unlock`
// (and any command that opens the vault without an agent) waits for.
void BM_Kdf(benchmark::State& state, KdfProfile profile) {
  const ward::KdfParams params = ward::kdf_params_for(profile);
  const ward::SecretBytes passphrase =
      ward::SecretBytes::from_view("correct horse battery staple 42");
  const ward::Bytes salt = ward::random_bytes(ward::kSaltSize);
  for (auto _ : state) {
    auto key = ward::derive_key(passphrase, salt, params);
    if (!key) {
      state.SkipWithError("derive_key failed");
      break;
    }
    benchmark::DoNotOptimize(key->data());
  }
  state.counters["opslimit"] = static_cast<double>(params.opslimit);
  state.counters["memlimit_MiB"] = static_cast<double>(params.memlimit >> 20);
}

// A 64-byte value under the vault key, with the secret path as associated data.
constexpr std::size_t kValueSize = 64;
constexpr std::string_view kAd = "prod/db/password";

void BM_Seal64(benchmark::State& state) {
  const ward::SecretBytes key = ward::SecretBytes::random(ward::kKeySize);
  const ward::SecretBytes value = ward::SecretBytes::random(kValueSize);
  for (auto _ : state) {
    ward::Bytes sealed = ward::seal(key, value.bytes(), kAd);
    benchmark::DoNotOptimize(sealed.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kValueSize));
}

void BM_OpenSealed64(benchmark::State& state) {
  const ward::SecretBytes key = ward::SecretBytes::random(ward::kKeySize);
  const ward::SecretBytes value = ward::SecretBytes::random(kValueSize);
  const ward::Bytes sealed = ward::seal(key, value.bytes(), kAd);
  for (auto _ : state) {
    auto opened = ward::open_sealed(key, sealed, kAd);
    if (!opened) {
      state.SkipWithError("open_sealed failed");
      break;
    }
    benchmark::DoNotOptimize(opened->data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kValueSize));
}

// What open_sealed pays beside the cipher: one SecretBytes of 64 bytes
// (sodium_malloc: guard pages, mprotect, mlock; sodium_free wipes and unmaps).
void BM_SecretBytes64(benchmark::State& state) {
  for (auto _ : state) {
    ward::SecretBytes value(kValueSize);
    benchmark::DoNotOptimize(value.data());
  }
}

// The masked fingerprint of a typical API key (prefix match, preview).
void BM_Fingerprint(benchmark::State& state) {
  const ward::SecretBytes value = ward::SecretBytes::from_view(
      "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWx-yz");
  for (auto _ : state) {
    ward::Fingerprint fp = ward::fingerprint_of(value);
    benchmark::DoNotOptimize(fp.preview.data());
  }
}

// A value that matches no known prefix: the full scan of the prefix table.
void BM_FingerprintPlain(benchmark::State& state) {
  const ward::SecretBytes value = ward::SecretBytes::from_view("hunter2-but-much-longer-than-that");
  for (auto _ : state) {
    ward::Fingerprint fp = ward::fingerprint_of(value);
    benchmark::DoNotOptimize(fp.preview.data());
  }
}

}  // namespace

// Argon2id is deterministic work: fixed iteration counts, repeated, and the
// median of the repetitions reported. sensitive (1 GiB) takes seconds a run.
BENCHMARK_CAPTURE(BM_Kdf, interactive, KdfProfile::interactive)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(10)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Kdf, moderate, KdfProfile::moderate)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Kdf, sensitive, KdfProfile::sensitive)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();

BENCHMARK(BM_Seal64);
BENCHMARK(BM_OpenSealed64);
BENCHMARK(BM_SecretBytes64);
BENCHMARK(BM_Fingerprint);
BENCHMARK(BM_FingerprintPlain);
