// The OTLP exporter: a bounded queue of redacted records and one sender
// thread that posts them in batches.
//
// Events are redacted when they are pushed (otlp_log_record), so the queue
// never holds more than what may leave the machine; audit.* events are not
// queued. The sender takes up to `batch` records at a time and posts one
// ExportLogsServiceRequest. A connection error, a timeout, 429 or any 5xx
// is retried after an exponential backoff with equal jitter (half the
// delay fixed, half random), capped; a Retry-After header replaces the
// computed delay (capped at retry_after_max_ms). Any other status (4xx, a
// redirect) fails the batch at once. A batch that fails, or runs out of
// tries, is dropped.
//
// When the queue is full, the newest record is dropped (WhenFull::drop):
// what already waits stays in order, so what the receiver gets is a
// contiguous run of the chain and a later `ward audit export --since`
// can fill the gap from the local log. A caller that can wait (the
// one-shot command) pushes with WhenFull::wait instead.
//
// Drops are counted and reported through the DropReporter, always from the
// sender thread (or from shutdown once it has stopped), with the number
// dropped since the last report and why; the caller records them as a
// local audit.export_dropped event. shutdown() stops taking records, keeps
// sending until its deadline, drops what is left, reports, and joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "audit/curl_loader.hpp"
#include "audit/event.hpp"
#include "audit/export_config.hpp"
#include "audit/otlp.hpp"
#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward::audit {

struct RetryPolicy {
  int max_attempts = 5;  // tries per batch, the first included
  std::int64_t initial_ms = 500;
  std::int64_t max_ms = 30000;
  std::int64_t retry_after_max_ms = 60000;
};

// The wait after the attempt-th failed try (attempt >= 1): d = min(max_ms,
// initial_ms * 2^(attempt-1)), then d/2 + jitter * d/2 with jitter in [0, 1].
std::int64_t backoff_delay_ms(const RetryPolicy& policy, int attempt, double jitter);

// A Retry-After value (delta-seconds or an HTTP-date) as milliseconds from
// now_unix_s, never negative; nullopt when it is neither.
std::optional<std::int64_t> parse_retry_after_ms(std::string_view value, std::int64_t now_unix_s);

// What to do after one try.
enum class SendVerdict { sent, retry, fail };
SendVerdict classify_response(const Result<HttpResponse>& response);

// Posts one payload; the exporter's only way out (tests pass a fake).
using Transport = std::function<Result<HttpResponse>(std::string_view body)>;

// A Transport that posts to config.endpoint through libcurl (loaded on
// first use) with the header lines headers (split_header_lines of the
// vault secret the config names, read by the caller on its own thread;
// empty: no extra headers).
Transport curl_transport(const OtlpConfig& config, std::vector<SecretBytes> headers);

// How many records were dropped since the last report, and why.
using DropReporter = std::function<void(std::size_t count, const std::string& why)>;

enum class WhenFull { drop, wait };
// After a batch is dropped: go on with the next (live export), or drop
// everything queued and take nothing more (the one-shot command, whose
// cursor then stays before the first record not sent).
enum class OnBatchFailure { continue_sending, stop };

struct ExporterOptions {
  std::size_t batch = 100;
  std::size_t queue = 10000;
  RetryPolicy retry;
  OnBatchFailure on_failure = OnBatchFailure::continue_sending;
};

struct ExportStats {
  std::size_t queued = 0;   // records accepted
  std::size_t sent = 0;     // records the endpoint accepted
  std::size_t dropped = 0;  // records that will not be sent
  std::size_t batches = 0;  // requests that succeeded
  std::size_t attempts = 0;
  std::int64_t last_sent_seq = 0;      // highest seq sent
  std::int64_t first_dropped_seq = 0;  // lowest seq dropped, 0 for none
  std::string last_error;
};

class Exporter {
 public:
  // Starts the sender thread.
  static std::unique_ptr<Exporter> start(ExporterOptions options, OtlpResource resource,
                                         SecretBytes salt, Transport transport,
                                         DropReporter on_drop);
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;
  ~Exporter();  // shutdown(0) if not done

  // Redacts e and queues it. Returns false when it was not queued: a full
  // queue under WhenFull::drop (counted as dropped), or an exporter that
  // has stopped. audit.* events are skipped and return true.
  bool push(const Event& e, WhenFull when_full = WhenFull::drop);

  // Waits until every queued record was sent or dropped; timeout error
  // when that takes longer than timeout_ms.
  Status flush(std::int64_t timeout_ms);

  // Stops taking records, sends what is queued until timeout_ms has passed
  // (a request under way may add the transport's own timeout), drops the
  // rest, reports drops and joins the sender. Idempotent.
  ExportStats shutdown(std::int64_t timeout_ms);

  ExportStats stats() const;

 private:
  struct Record {
    std::int64_t seq = 0;
    std::string json;
  };
  Exporter(ExporterOptions options, OtlpResource resource, SecretBytes salt, Transport transport,
           DropReporter on_drop);
  void run();
  // Sends one batch with retries; true when the endpoint took it.
  bool send_batch(const std::vector<Record>& batch, std::unique_lock<std::mutex>& lock);
  void drop_locked(std::size_t count, std::int64_t first_seq, const std::string& why);
  void report_drops(std::unique_lock<std::mutex>& lock);
  bool past_deadline_locked() const;

  ExporterOptions options_;
  OtlpResource resource_;
  SecretBytes salt_;
  Transport transport_;
  DropReporter on_drop_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;   // the sender: records, shutdown
  std::condition_variable space_;  // pushers waiting for room
  std::condition_variable idle_;   // flush: queue empty, nothing in flight
  std::deque<Record> queue_;
  bool in_flight_ = false;
  bool stopping_ = false;  // no more pushes; drain until deadline_
  bool stopped_ = false;   // the sender has given up (OnBatchFailure::stop) or exited
  std::chrono::steady_clock::time_point deadline_;  // meaningful once stopping_
  ExportStats stats_;
  std::size_t unreported_ = 0;
  std::string unreported_why_;
  std::minstd_rand rng_;  // jitter; the sender thread's only
  std::thread sender_;
};

// The resource of every payload: config.service_name and the local host
// name hashed with salt.
OtlpResource otlp_resource(const OtlpConfig& config, const SecretBytes& salt);

// An exporter for config, as the agent and `ward audit export` start it.
std::unique_ptr<Exporter> start_otlp_exporter(const OtlpConfig& config, SecretBytes salt,
                                              std::vector<SecretBytes> headers,
                                              DropReporter on_drop, OnBatchFailure on_failure);

// The local event that records count records not exported and why
// (actor: this process).
Event export_dropped_event(std::size_t count, std::string_view why);

// state_dir()/export-cursor: the last seq handled by an export (sent, or
// an audit.* event that stays local).
std::string default_export_cursor_path();
// 0 when the file does not exist; corrupt when it holds no number.
Result<std::int64_t> read_export_cursor(const std::string& path);
// Writes seq atomically (0600 in a 0700 directory).
Status write_export_cursor(const std::string& path, std::int64_t seq);

}  // namespace ward::audit
