#include "audit/exporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "../testing/temp_dir.hpp"

namespace ward::audit {
namespace {

using nlohmann::json;

Event event(std::int64_t seq, std::string name = "get") {
  Event e;
  e.seq = seq;
  e.ts = 1764000000000000 + seq;
  e.event = std::move(name);
  e.secrets = {"llm/openai"};
  return e;
}

// A transport answering from a script of statuses (the last one repeats)
// and recording the seqs of each payload it receives.
class FakeEndpoint {
 public:
  explicit FakeEndpoint(std::vector<long> script) : script_(std::move(script)) {}

  Transport transport() {
    return [this](std::string_view body) -> Result<HttpResponse> {
      auto r = answer(body);
      if (hold_) hold_();
      return r;
    };
  }
  Result<HttpResponse> answer(std::string_view body) {
    {
      std::lock_guard lock(mutex_);
      std::size_t i = std::min(calls_, script_.size() - 1);
      ++calls_;
      long status = script_[i];
      if (status == 0) return fail(Code::unavailable, "connection refused");
      HttpResponse r{status, status == 429 ? retry_after_ : ""};
      if (status == 200) {
        std::vector<std::int64_t> seqs;
        json payload = json::parse(body);
        for (const auto& rec : payload["resourceLogs"][0]["scopeLogs"][0]["logRecords"]) {
          for (const auto& a : rec["attributes"]) {
            if (a["key"] == "ward.seq") {
              seqs.push_back(std::stoll(a["value"]["intValue"].get<std::string>()));
            }
          }
        }
        batches_.push_back(seqs);
      }
      return r;
    }
  }
  std::size_t calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<std::vector<std::int64_t>> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  std::function<void()> hold_;
  std::string retry_after_;

 private:
  std::mutex mutex_;
  std::vector<long> script_;
  std::size_t calls_ = 0;
  std::vector<std::vector<std::int64_t>> batches_;
};

struct Drops {
  std::mutex mutex;
  std::size_t count = 0;
  std::string why;
  DropReporter reporter() {
    return [this](std::size_t n, const std::string& w) {
      std::lock_guard lock(mutex);
      count += n;
      why = w;
    };
  }
};

ExporterOptions fast(std::size_t batch, std::size_t queue) {
  ExporterOptions o;
  o.batch = batch;
  o.queue = queue;
  o.retry.initial_ms = 1;
  o.retry.max_ms = 4;
  return o;
}

std::unique_ptr<Exporter> start(FakeEndpoint& ep, Drops& drops, ExporterOptions o) {
  return Exporter::start(o, OtlpResource{}, SecretBytes::from_view("salt"), ep.transport(),
                         drops.reporter());
}

TEST(Backoff, DoublesWithEqualJitterUpToTheCap) {
  RetryPolicy p;
  p.initial_ms = 500;
  p.max_ms = 30000;
  EXPECT_EQ(backoff_delay_ms(p, 1, 0.0), 250);
  EXPECT_EQ(backoff_delay_ms(p, 1, 1.0), 500);
  EXPECT_EQ(backoff_delay_ms(p, 2, 1.0), 1000);
  EXPECT_EQ(backoff_delay_ms(p, 3, 0.5), 1500);
  EXPECT_EQ(backoff_delay_ms(p, 7, 1.0), 30000);  // 32000 capped
  EXPECT_EQ(backoff_delay_ms(p, 7, 0.0), 15000);
  EXPECT_EQ(backoff_delay_ms(p, 1000, 1.0), 30000);  // no overflow
  EXPECT_EQ(backoff_delay_ms(p, 2, 7.0), 1000);      // jitter clamped
}

TEST(Backoff, RetryAfterSecondsAndHttpDate) {
  EXPECT_EQ(parse_retry_after_ms("3", 0), 3000);
  EXPECT_EQ(parse_retry_after_ms(" 0 ", 0), 0);
  // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
  EXPECT_EQ(parse_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000);
  EXPECT_EQ(parse_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111800), 0);
  EXPECT_FALSE(parse_retry_after_ms("soon", 0));
  EXPECT_FALSE(parse_retry_after_ms("-1", 0));
  EXPECT_FALSE(parse_retry_after_ms("", 0));
}

TEST(Backoff, ClassifiesResponses) {
  auto status = [](long s) { return Result<HttpResponse>(HttpResponse{s, ""}); };
  EXPECT_EQ(classify_response(status(200)), SendVerdict::sent);
  EXPECT_EQ(classify_response(status(204)), SendVerdict::sent);
  EXPECT_EQ(classify_response(status(429)), SendVerdict::retry);
  EXPECT_EQ(classify_response(status(503)), SendVerdict::retry);
  EXPECT_EQ(classify_response(status(500)), SendVerdict::retry);
  EXPECT_EQ(classify_response(status(400)), SendVerdict::fail);
  EXPECT_EQ(classify_response(status(401)), SendVerdict::fail);
  EXPECT_EQ(classify_response(status(302)), SendVerdict::fail);
  EXPECT_EQ(classify_response(fail(Code::unavailable, "x")), SendVerdict::retry);
  EXPECT_EQ(classify_response(fail(Code::timeout, "x")), SendVerdict::retry);
  EXPECT_EQ(classify_response(fail(Code::locked, "x")), SendVerdict::fail);
}

TEST(Exporter, SendsInBatchesInOrderAndSkipsAuditEvents) {
  FakeEndpoint ep({200});
  Drops drops;
  auto ex = start(ep, drops, fast(3, 100));
  for (int i = 1; i <= 8; ++i) EXPECT_TRUE(ex->push(event(i, i == 4 ? "audit.checkpoint" : "get")));
  ExportStats s = ex->shutdown(5000);
  EXPECT_EQ(s.sent, 7u);
  EXPECT_EQ(s.queued, 7u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(s.last_sent_seq, 8);
  std::vector<std::int64_t> all;
  for (const auto& b : ep.batches()) {
    EXPECT_LE(b.size(), 3u);
    all.insert(all.end(), b.begin(), b.end());
  }
  EXPECT_EQ(all, (std::vector<std::int64_t>{1, 2, 3, 5, 6, 7, 8}));
  EXPECT_EQ(drops.count, 0u);
}

TEST(Exporter, RetriesAfter503AndConnectionErrors) {
  FakeEndpoint ep({503, 0, 429, 200});
  Drops drops;
  auto ex = start(ep, drops, fast(10, 100));
  ex->push(event(1));
  ASSERT_TRUE(ex->flush(5000));
  ExportStats s = ex->shutdown(1000);
  EXPECT_EQ(s.sent, 1u);
  EXPECT_EQ(s.attempts, 4u);
  EXPECT_EQ(ep.calls(), 4u);
  EXPECT_EQ(drops.count, 0u);
}

TEST(Exporter, HonoursRetryAfter) {
  FakeEndpoint ep({429, 200});
  ep.retry_after_ = "1";
  Drops drops;
  auto ex = start(ep, drops, fast(10, 100));
  auto t0 = std::chrono::steady_clock::now();
  ex->push(event(1));
  ASSERT_TRUE(ex->flush(5000));
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(950));
  EXPECT_EQ(ex->shutdown(1000).sent, 1u);
}

TEST(Exporter, GivesUpABatchAfterBoundedTriesAndReportsIt) {
  FakeEndpoint ep({503, 503, 503, 200});
  Drops drops;
  ExporterOptions o = fast(2, 100);
  o.retry.max_attempts = 3;
  auto ex = start(ep, drops, o);
  ex->push(event(1));
  ex->push(event(2));
  ASSERT_TRUE(ex->flush(5000));
  ex->push(event(3));
  ExportStats s = ex->shutdown(5000);
  // The first batch (event 1, and event 2 when it was queued in time: the
  // sender may take event 1 alone) is dropped after three 503s; what comes
  // after goes out.
  EXPECT_GE(s.dropped, 1u);
  EXPECT_LE(s.dropped, 2u);
  EXPECT_EQ(s.first_dropped_seq, 1);
  EXPECT_EQ(s.sent + s.dropped, 3u);
  EXPECT_EQ(drops.count, s.dropped);
  EXPECT_NE(drops.why.find("503"), std::string::npos);
  EXPECT_NE(drops.why.find("3 tries"), std::string::npos);
}

TEST(Exporter, ClientErrorsAreNotRetried) {
  FakeEndpoint ep({400, 200});
  Drops drops;
  auto ex = start(ep, drops, fast(10, 100));
  ex->push(event(1));
  ExportStats s = ex->shutdown(5000);
  EXPECT_EQ(ep.calls(), 1u);
  EXPECT_EQ(s.dropped, 1u);
}

TEST(Exporter, StopPolicyDropsTheRestAndRefusesMore) {
  FakeEndpoint ep({400});
  Drops drops;
  ExporterOptions o = fast(1, 100);
  o.on_failure = OnBatchFailure::stop;
  std::atomic<bool> release{false};
  ep.hold_ = [&] {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  auto ex = start(ep, drops, o);
  for (int i = 1; i <= 5; ++i) ex->push(event(i));
  release = true;
  ASSERT_TRUE(ex->flush(5000));
  EXPECT_FALSE(ex->push(event(6)));
  ExportStats s = ex->shutdown(1000);
  EXPECT_EQ(s.dropped, 5u);
  EXPECT_EQ(s.first_dropped_seq, 1);
  EXPECT_EQ(ep.calls(), 1u);
  EXPECT_EQ(drops.count, 5u);
}

TEST(Exporter, FullQueueDropsTheNewestAndCountsIt) {
  FakeEndpoint ep({200});
  Drops drops;
  std::atomic<bool> release{false};
  ep.hold_ = [&] {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  auto ex = start(ep, drops, fast(1, 3));
  ASSERT_TRUE(ex->push(event(1)));
  // Wait until the sender holds event 1 in flight, then fill the queue.
  while (ep.calls() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(ex->push(event(2)));
  EXPECT_TRUE(ex->push(event(3)));
  EXPECT_TRUE(ex->push(event(4)));
  EXPECT_FALSE(ex->push(event(5)));
  EXPECT_FALSE(ex->push(event(6)));
  release = true;
  ExportStats s = ex->shutdown(5000);
  EXPECT_EQ(s.sent, 4u);
  EXPECT_EQ(s.dropped, 2u);
  EXPECT_EQ(s.first_dropped_seq, 5);
  EXPECT_EQ(drops.count, 2u);
  EXPECT_NE(drops.why.find("queue was full"), std::string::npos);
  std::vector<std::int64_t> all;
  for (const auto& b : ep.batches()) all.insert(all.end(), b.begin(), b.end());
  EXPECT_EQ(all, (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST(Exporter, WaitingPushBlocksInsteadOfDropping) {
  FakeEndpoint ep({200});
  Drops drops;
  auto ex = start(ep, drops, fast(2, 2));
  for (int i = 1; i <= 50; ++i) EXPECT_TRUE(ex->push(event(i), WhenFull::wait));
  ExportStats s = ex->shutdown(5000);
  EXPECT_EQ(s.sent, 50u);
  EXPECT_EQ(s.dropped, 0u);
}

TEST(Exporter, ShutdownDeadlineDropsWhatIsLeft) {
  FakeEndpoint ep({503});
  Drops drops;
  ExporterOptions o = fast(1, 100);
  o.retry.max_attempts = 1000;
  o.retry.initial_ms = 50;
  o.retry.max_ms = 50;
  auto ex = start(ep, drops, o);
  for (int i = 1; i <= 4; ++i) ex->push(event(i));
  auto t0 = std::chrono::steady_clock::now();
  ExportStats s = ex->shutdown(200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(s.dropped, 4u);
  EXPECT_EQ(s.sent, 0u);
  EXPECT_EQ(drops.count, 4u);
}

TEST(ExportCursor, ReadsWritesAndRejectsGarbage) {
  testing::TempDir dir;
  std::string path = dir / "state/export-cursor";
  EXPECT_EQ(read_export_cursor(path), 0);
  ASSERT_TRUE(write_export_cursor(path, 42));
  EXPECT_EQ(read_export_cursor(path), 42);
  std::ofstream(path) << "forty-two\n";
  auto bad = read_export_cursor(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::corrupt);
}

TEST(ExportDropped, IsALocalAuditEventSayingHowMany) {
  Event e = export_dropped_event(3, "the endpoint answered 503 (after 5 tries)");
  EXPECT_EQ(e.event, "audit.export_dropped");
  EXPECT_EQ(e.outcome, "error");
  EXPECT_EQ(e.reason, "3 events not exported: the endpoint answered 503 (after 5 tries)");
  EXPECT_FALSE(is_exportable(e));
  EXPECT_EQ(export_dropped_event(1, "x").reason, "1 event not exported: x");
}

}  // namespace
}  // namespace ward::audit
