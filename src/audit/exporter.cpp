#include "audit/exporter.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "audit/actor.hpp"
#include "core/paths.hpp"
#include "core/process_info.hpp"
#include "crypto/primitives.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace ward::audit {

namespace {

using Clock = std::chrono::steady_clock;

std::string describe(const Result<HttpResponse>& response) {
  if (!response) return response.error().message;
  return fmt::format("the endpoint answered {}", response->status);
}

struct CurlTransportState {
  OtlpConfig config;
  std::vector<SecretBytes> headers;
  std::optional<HttpClient> client;

  Result<HttpResponse> post(std::string_view body) {
    if (!client) client.emplace(TRY(HttpClient::open()));
    return client->post_json(config.endpoint, body, headers, config.timeout_ms);
  }
};

}  // namespace

std::int64_t backoff_delay_ms(const RetryPolicy& policy, int attempt, double jitter) {
  std::int64_t d = std::max<std::int64_t>(policy.initial_ms, 0);
  for (int i = 1; i < attempt && d < policy.max_ms; ++i) d *= 2;
  d = std::min(d, policy.max_ms);
  jitter = std::clamp(jitter, 0.0, 1.0);
  return d / 2 + static_cast<std::int64_t>(jitter * static_cast<double>(d - d / 2));
}

std::optional<std::int64_t> parse_retry_after_ms(std::string_view value, std::int64_t now_unix_s) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (value.size() <= 9 &&
      std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::stoll(std::string(value)) * 1000;
  }
  // IMF-fixdate, the one form RFC 9110 requires: "Sun, 06 Nov 1994 08:49:37 GMT".
  struct tm tm {};
  std::string text(value);
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  std::int64_t at = ::timegm(&tm);
  return std::max<std::int64_t>(at - now_unix_s, 0) * 1000;
}

SendVerdict classify_response(const Result<HttpResponse>& response) {
  if (!response) {
    Code c = response.error().code;
    return c == Code::timeout || c == Code::unavailable ? SendVerdict::retry : SendVerdict::fail;
  }
  long s = response->status;
  if (s >= 200 && s < 300) return SendVerdict::sent;
  if (s == 429 || (s >= 500 && s < 600)) return SendVerdict::retry;
  return SendVerdict::fail;
}

Transport curl_transport(const OtlpConfig& config, std::vector<SecretBytes> headers) {
  auto state = std::make_shared<CurlTransportState>();
  state->config = config;
  state->headers = std::move(headers);
  return [state](std::string_view body) { return state->post(body); };
}

std::unique_ptr<Exporter> Exporter::start(ExporterOptions options, OtlpResource resource,
                                          SecretBytes salt, Transport transport,
                                          DropReporter on_drop) {
  std::unique_ptr<Exporter> e(new Exporter(std::move(options), std::move(resource), std::move(salt),
                                           std::move(transport), std::move(on_drop)));
  e->sender_ = std::thread([raw = e.get()] { raw->run(); });
  return e;
}

Exporter::Exporter(ExporterOptions options, OtlpResource resource, SecretBytes salt,
                   Transport transport, DropReporter on_drop)
    : options_(std::move(options)),
      resource_(std::move(resource)),
      salt_(std::move(salt)),
      transport_(std::move(transport)),
      on_drop_(std::move(on_drop)) {
  options_.batch = std::max<std::size_t>(options_.batch, 1);
  options_.queue = std::max(options_.queue, options_.batch);
  options_.retry.max_attempts = std::max(options_.retry.max_attempts, 1);
  Bytes seed = random_bytes(sizeof(std::uint32_t));
  std::uint32_t s = 0;
  std::memcpy(&s, seed.data(), sizeof s);
  rng_.seed(s);
}

Exporter::~Exporter() {
  shutdown(0);
}

bool Exporter::push(const Event& e, WhenFull when_full) {
  if (!is_exportable(e)) return true;
  std::string json = otlp_log_record(e, salt_);
  std::unique_lock lock(mutex_);
  if (stopping_ || stopped_) return false;
  if (queue_.size() >= options_.queue) {
    if (when_full == WhenFull::drop) {
      drop_locked(1, e.seq, "the export queue was full");
      return false;
    }
    space_.wait(lock, [&] { return queue_.size() < options_.queue || stopping_ || stopped_; });
    if (stopping_ || stopped_) return false;
  }
  queue_.push_back({e.seq, std::move(json)});
  ++stats_.queued;
  wake_.notify_one();
  return true;
}

Status Exporter::flush(std::int64_t timeout_ms) {
  std::unique_lock lock(mutex_);
  bool done = idle_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return (queue_.empty() && !in_flight_) || stopped_; });
  if (!done) return fail(Code::timeout, "the export queue did not drain in time");
  return {};
}

ExportStats Exporter::shutdown(std::int64_t timeout_ms) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      deadline_ = Clock::now() + std::chrono::milliseconds(std::max<std::int64_t>(timeout_ms, 0));
    }
    wake_.notify_all();
    space_.notify_all();
  }
  if (sender_.joinable()) sender_.join();
  std::unique_lock lock(mutex_);
  report_drops(lock);
  return stats_;
}

ExportStats Exporter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool Exporter::past_deadline_locked() const {
  return stopping_ && Clock::now() >= deadline_;
}

void Exporter::drop_locked(std::size_t count, std::int64_t first_seq, const std::string& why) {
  if (count == 0) return;
  stats_.dropped += count;
  if (stats_.first_dropped_seq == 0 || first_seq < stats_.first_dropped_seq) {
    stats_.first_dropped_seq = first_seq;
  }
  unreported_ += count;
  unreported_why_ = why;
}

void Exporter::report_drops(std::unique_lock<std::mutex>& lock) {
  if (unreported_ == 0 || !on_drop_) return;
  std::size_t count = std::exchange(unreported_, 0);
  std::string why = std::exchange(unreported_why_, {});
  lock.unlock();
  on_drop_(count, why);
  lock.lock();
}

void Exporter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) break;  // stopping, and everything went out
    if (past_deadline_locked()) {
      drop_locked(queue_.size(), queue_.front().seq, "the exporter shut down before sending them");
      queue_.clear();
      break;
    }
    std::size_t n = std::min(options_.batch, queue_.size());
    std::vector<Record> batch(std::make_move_iterator(queue_.begin()),
                              std::make_move_iterator(queue_.begin() + static_cast<long>(n)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(n));
    in_flight_ = true;
    space_.notify_all();
    bool sent = send_batch(batch, lock);
    in_flight_ = false;
    if (sent) {
      stats_.sent += batch.size();
      ++stats_.batches;
      for (const auto& r : batch) stats_.last_sent_seq = std::max(stats_.last_sent_seq, r.seq);
    } else {
      drop_locked(batch.size(), batch.front().seq, stats_.last_error);
      if (options_.on_failure == OnBatchFailure::stop) {
        if (!queue_.empty()) {
          drop_locked(queue_.size(), queue_.front().seq, stats_.last_error);
          queue_.clear();
        }
        stopped_ = true;
      }
    }
    if (queue_.empty()) idle_.notify_all();
    report_drops(lock);
    if (stopped_) break;
  }
  stopped_ = true;
  space_.notify_all();
  idle_.notify_all();
  report_drops(lock);
}

bool Exporter::send_batch(const std::vector<Record>& batch, std::unique_lock<std::mutex>& lock) {
  std::vector<std::string> records;
  records.reserve(batch.size());
  for (const auto& r : batch) records.push_back(r.json);
  std::string payload = otlp_payload(records, resource_);
  const RetryPolicy& policy = options_.retry;
  for (int attempt = 1;; ++attempt) {
    if (past_deadline_locked()) {
      stats_.last_error = "the exporter shut down before sending them";
      return false;
    }
    ++stats_.attempts;
    lock.unlock();
    Result<HttpResponse> response = transport_(payload);
    lock.lock();
    SendVerdict verdict = classify_response(response);
    if (verdict == SendVerdict::sent) return true;
    stats_.last_error = describe(response);
    if (verdict == SendVerdict::fail || attempt >= policy.max_attempts) {
      if (attempt > 1) stats_.last_error += fmt::format(" (after {} tries)", attempt);
      return false;
    }
    std::optional<std::int64_t> delay;
    if (response && !response->retry_after.empty()) {
      delay = parse_retry_after_ms(response->retry_after, now_unix_s());
      if (delay) delay = std::min(*delay, policy.retry_after_max_ms);
    }
    if (!delay) {
      double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      delay = backoff_delay_ms(policy, attempt, jitter);
    }
    auto until = Clock::now() + std::chrono::milliseconds(*delay);
    while (Clock::now() < until && !past_deadline_locked()) {
      wake_.wait_until(lock, stopping_ ? std::min(until, deadline_) : until);
    }
  }
}

OtlpResource otlp_resource(const OtlpConfig& config, const SecretBytes& salt) {
  return {config.service_name, hashed_host_name(salt, host_name())};
}

std::unique_ptr<Exporter> start_otlp_exporter(const OtlpConfig& config, SecretBytes salt,
                                              std::vector<SecretBytes> headers,
                                              DropReporter on_drop, OnBatchFailure on_failure) {
  ExporterOptions options;
  options.batch = config.batch;
  options.queue = config.queue;
  options.on_failure = on_failure;
  OtlpResource resource = otlp_resource(config, salt);
  return Exporter::start(options, std::move(resource), std::move(salt),
                         curl_transport(config, std::move(headers)), std::move(on_drop));
}

Event export_dropped_event(std::size_t count, std::string_view why) {
  Event e;
  e.event = "audit.export_dropped";
  e.outcome = "error";
  e.reason = fmt::format("{} event{} not exported: {}", count, count == 1 ? "" : "s", why);
  e.actor = actor_of_self();
  return e;
}

std::string default_export_cursor_path() {
  return state_dir() + "/export-cursor";
}

Result<std::int64_t> read_export_cursor(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    if (text.error().code == Code::not_found) return 0;
    return tl::unexpected(text.error());
  }
  std::string_view digits = trim(*text);
  bool ok = !digits.empty() && digits.size() <= 18;
  for (char c : digits) ok = ok && c >= '0' && c <= '9';
  if (!ok) {
    return fail(Code::corrupt, fmt::format("{} does not hold a sequence number", path),
                "remove it, or pass --since to choose where to start");
  }
  return std::stoll(std::string(digits));
}

Status write_export_cursor(const std::string& path, std::int64_t seq) {
  TRY(ensure_private_dir(dirname_of(path)));
  AtomicFile file = TRY(AtomicFile::create(path, 0600));
  TRY(file.write(fmt::format("{}\n", seq)));
  return file.commit();
}

}  // namespace ward::audit
