#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <optional>

#include "../testing/temp_dir.hpp"
#include "audit/detectors.hpp"
#include "audit/log.hpp"
#include "util/time.hpp"

namespace ward::audit {
namespace {

constexpr std::int64_t kSec = 1'000'000;
constexpr std::int64_t kMin = 60 * kSec;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::int64_t kDay = 24 * kHour;

// Sets TZ for one test and restores it after.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    if (const char* old = ::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~ScopedTz() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

// A log whose events get the times the test chooses.
class DetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LogOptions options;
    options.sync = false;
    options.clock = [this] { return now_; };
    auto log = AuditLog::open(dir_ / "audit.jsonl", options);
    ASSERT_TRUE(log) << log.error().message;
    log_.emplace(std::move(*log));
    config_.working_hours = WorkingHours{0, 24 * 60};  // quiet unless a test sets hours
  }

  // A day in working hours: 2026-01-15 12:00 UTC.
  static std::int64_t noon() { return *parse_date("2026-01-15T12:00:00Z") * kSec; }

  static Event make(std::string name = "get", Actor actor = interactive()) {
    Event e;
    e.event = std::move(name);
    e.secrets = {"llm/openai"};
    e.actor = std::move(actor);
    return e;
  }
  static Actor interactive() {
    Actor a;
    a.pid = 100;
    a.ppid = 99;
    a.uid = 1000;
    a.sid = 50;
    a.exe = "/usr/bin/ward";
    a.comm = "ward";
    a.tty = "/dev/pts/1";
    a.ancestry = {"bash", "sshd"};
    return a;
  }

  void add(std::int64_t ts, Event e) {
    now_ = ts;
    std::vector<Event> batch{std::move(e)};
    auto head = log_->append(batch);
    ASSERT_TRUE(head) << head.error().message;
  }

  std::vector<Finding> run(std::int64_t since = INT64_MIN) {
    auto found = find_suspicious(chain_files(dir_ / "audit.jsonl"), config_, sensitive_, since);
    EXPECT_TRUE(found) << found.error().message;
    return found ? *found : std::vector<Finding>{};
  }

  // The seqs at which detector id fired.
  std::vector<std::int64_t> fired(std::string_view id, std::int64_t since = INT64_MIN) {
    std::vector<std::int64_t> seqs;
    for (const auto& f : run(since)) {
      if (f.detector == id) seqs.push_back(f.seq);
    }
    return seqs;
  }

  testing::TempDir dir_;
  std::optional<AuditLog> log_;
  std::int64_t now_ = 0;
  SuspiciousConfig config_;
  std::unordered_set<std::string> sensitive_;
};

using Seqs = std::vector<std::int64_t>;

TEST_F(DetectorTest, OutsideHoursUsesTheLocalTimeZone) {
  ScopedTz tz("XYZ-2");  // UTC+2, no tzdata needed
  config_.working_hours = *parse_working_hours("08:00-20:00");
  std::int64_t day = *parse_date("2026-01-15T00:00:00Z") * kSec;
  add(day + 5 * kHour + 59 * kMin, make());   // 07:59 local: outside
  add(day + 6 * kHour, make());               // 08:00 local: inside (start is inclusive)
  add(day + 17 * kHour + 59 * kMin, make());  // 19:59 local: inside
  add(day + 18 * kHour, make());              // 20:00 local: outside (end is exclusive)
  add(day + 21 * kHour, make());              // 23:00 local: outside
  EXPECT_EQ(fired("outside_hours"), (Seqs{1, 4, 5}));
  auto findings = run();
  EXPECT_NE(findings.front().summary.find("07:59 local time, outside 08:00-20:00"),
            std::string::npos)
      << findings.front().summary;
}

TEST_F(DetectorTest, OutsideHoursWindowWrappingMidnight) {
  ScopedTz tz("XYZ+5");  // UTC-5
  config_.working_hours = *parse_working_hours("22:00-06:00");
  std::int64_t day = *parse_date("2026-01-15T00:00:00Z") * kSec;
  add(day + 3 * kHour, make());               // 22:00 local (the day before): inside
  add(day + 8 * kHour, make());               // 03:00 local: inside
  add(day + 11 * kHour, make());              // 06:00 local: outside
  add(day + 17 * kHour, make());              // 12:00 local: outside
  add(day + 26 * kHour + 59 * kMin, make());  // 21:59 local: outside
  EXPECT_EQ(fired("outside_hours"), (Seqs{3, 4, 5}));
}

TEST_F(DetectorTest, BurstFiresOnceAtTheEventOverTheLimit) {
  config_.burst = {3, 60};
  std::int64_t t = noon();
  for (int i = 0; i < 6; ++i) add(t + i * kSec, make());  // 6 within a minute
  EXPECT_EQ(fired("burst"), (Seqs{4}));
}

TEST_F(DetectorTest, BurstWindowEdgeIsExclusive) {
  config_.burst = {2, 60};
  std::int64_t t = noon();
  add(t, make());
  add(t + 30 * kSec, make());
  add(t + 60 * kSec, make());  // the first is exactly one window earlier: outside
  EXPECT_EQ(fired("burst"), Seqs{});
  add(t + 60 * kSec + 1, make());  // three within (t, t+60s+1]
  EXPECT_EQ(fired("burst"), (Seqs{4}));
}

TEST_F(DetectorTest, BurstCountsPerActorAndCanFireAgainAfterAQuietWindow) {
  config_.burst = {2, 60};
  std::int64_t t = noon();
  Actor other = interactive();
  other.sid = 77;  // another session
  Actor same = interactive();
  same.pid = 101;  // a new ward process in the same session is the same actor
  add(t, make("get", interactive()));
  add(t + 1 * kSec, make("get", other));
  add(t + 2 * kSec, make("get", same));
  add(t + 3 * kSec, make("get", other));
  EXPECT_EQ(fired("burst"), Seqs{});
  add(t + 4 * kSec, make("get", interactive()));  // third from session 50
  add(t + 5 * kSec, make("get", interactive()));  // same burst: quiet
  EXPECT_EQ(fired("burst"), (Seqs{5}));
  for (int i = 0; i < 3; ++i) add(t + 5 * kMin + i * kSec, make());  // after a quiet minute
  EXPECT_EQ(fired("burst"), (Seqs{5, 9}));
}

TEST_F(DetectorTest, NewToolAndLookbackExpiry) {
  config_.lookback_s = 7 * 86400;
  std::int64_t t = noon();
  auto run_of = [](std::string tool) {
    Event e = make("run");
    e.tool = std::move(tool);
    return e;
  };
  add(t, run_of("/usr/bin/node"));              // 1: new
  add(t + kDay, run_of("/usr/bin/node"));       // 2: seen a day ago
  add(t + kDay, run_of("/usr/bin/python3"));    // 3: new
  add(t + 8 * kDay, run_of("/usr/bin/node"));   // 4: last seen 7 days ago exactly: expired
  add(t + 14 * kDay, run_of("/usr/bin/node"));  // 5: 6 days ago: known
  add(t + 15 * kDay, make("get"));              // no tool: never fires
  EXPECT_EQ(fired("new_tool"), (Seqs{1, 3, 4}));
}

TEST_F(DetectorTest, NewParentUsesTheNearestAncestor) {
  std::int64_t t = noon();
  Actor from_node = interactive();
  from_node.ancestry = {"node", "claude", "bash"};
  Actor bare = interactive();
  bare.ancestry.clear();
  add(t, make());                             // bash: new
  add(t + kSec, make());                      // bash: known
  add(t + 2 * kSec, make("get", from_node));  // node: new
  add(t + 3 * kSec, make("get", bare));       // no ancestry: never fires
  EXPECT_EQ(fired("new_parent"), (Seqs{1, 3}));
}

TEST_F(DetectorTest, SinceLimitsReportsButHistoryStillCounts) {
  std::int64_t t = noon();
  Event node = make("run");
  node.tool = "/usr/bin/node";
  Event curl = make("run");
  curl.tool = "/usr/bin/curl";
  add(t, node);
  add(t + kDay, node);  // known from before since
  add(t + kDay, curl);  // new, after since
  EXPECT_EQ(fired("new_tool", t + kHour), (Seqs{3}));
  for (const auto& f : run(t + kHour)) EXPECT_GE(f.ts, t + kHour) << f.detector;
}

TEST_F(DetectorTest, NonInteractiveNoAgentOnlyForReleasedValues) {
  std::int64_t t = noon();
  Actor script = interactive();
  script.tty.clear();
  Actor agent = script;
  agent.agent_name = "claude-code";
  Event reveal = make("get", script);
  reveal.reason = "revealed";
  Event masked = make("get", script);
  masked.reason = "masked";
  Event precheck = make("get", script);  // the CLI's check before the release
  precheck.reason = "reveal";
  Event denied = make("run", script);
  denied.outcome = "denied";
  add(t, make("run", script));                 // 1: fires
  add(t + 1, reveal);                          // 2: fires
  add(t + 2, masked);                          // 3: a fingerprint only
  add(t + 3, make("resolve", interactive()));  // 4: has a tty
  add(t + 4, make("env.decrypt", agent));      // 5: under an agent
  add(t + 5, denied);                          // 6: nothing released
  add(t + 6, make("mask.values", script));     // 7: fires
  add(t + 7, make("set", script));             // 8: not value-releasing
  add(t + 8, precheck);                        // 9: nothing released yet
  EXPECT_EQ(fired("non_interactive_no_agent"), (Seqs{1, 2, 7}));
}

TEST_F(DetectorTest, AgentReadSensitive) {
  sensitive_ = {"prod/db/url"};
  std::int64_t t = noon();
  Actor agent = interactive();
  agent.agent_name = "claude-code";
  agent.agent_via = "env:CLAUDECODE";
  Event hit = make("resolve", agent);
  hit.secrets = {"llm/openai", "prod/db/url"};
  Event refused = hit;
  refused.outcome = "denied";
  Event human = make("resolve", interactive());
  human.secrets = {"prod/db/url"};
  add(t, make("resolve", agent));  // not sensitive
  add(t + 1, hit);                 // fires
  add(t + 2, refused);             // did not reach it
  add(t + 3, human);               // no agent
  EXPECT_EQ(fired("agent_read_sensitive"), (Seqs{2}));
  for (const auto& f : run()) {
    if (f.detector != "agent_read_sensitive") continue;
    EXPECT_NE(f.summary.find("prod/db/url"), std::string::npos);
    EXPECT_EQ(f.summary.find("llm/openai"), std::string::npos);
    EXPECT_NE(f.summary.find("claude-code (env:CLAUDECODE)"), std::string::npos);
  }
}

TEST_F(DetectorTest, DeniedSpikeAcrossActorsWithinTheWindow) {
  config_.denied_spike = {2, 600};
  std::int64_t t = noon();
  auto denied = [](std::int64_t sid) {
    Actor a = interactive();
    a.sid = sid;
    Event e = make("get", a);
    e.outcome = "denied";
    e.reason = "refused under an agent";
    return e;
  };
  add(t, denied(1));
  add(t + 5 * kMin, denied(2));
  add(t + 10 * kMin, denied(3));      // the first is exactly 10m earlier: outside
  add(t + 10 * kMin + kSec, make());  // ok outcomes do not count
  EXPECT_EQ(fired("denied_spike"), Seqs{});
  add(t + 11 * kMin, denied(4));  // three within 10m
  add(t + 12 * kMin, denied(5));  // same spike
  EXPECT_EQ(fired("denied_spike"), (Seqs{5}));
}

TEST_F(DetectorTest, IgnoresHousekeepingAndAllowsSeveralFindingsPerEvent) {
  ScopedTz tz("UTC0");
  config_.working_hours = *parse_working_hours("08:00-20:00");
  std::int64_t night = *parse_date("2026-01-15T03:00:00Z") * kSec;
  Event repair = make("audit.repair");
  repair.tool = "/usr/bin/x";
  add(night, repair);
  add(night, make("auto-lock"));
  Actor script = interactive();
  script.tty.clear();
  Event e = make("run", script);
  e.tool = "/usr/bin/curl";
  add(night + kSec, e);
  std::vector<std::string> ids;
  for (const auto& f : run()) {
    EXPECT_EQ(f.seq, 3);
    ids.push_back(f.detector);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"outside_hours", "new_tool", "new_parent",
                                           "non_interactive_no_agent"}));
}

TEST(AuditDetectors, StateStaysBoundedOverManyActors) {
  SuspiciousConfig config;
  config.working_hours = WorkingHours{0, 24 * 60};
  Detectors detectors(config, {});
  std::vector<Finding> out;
  std::int64_t t = *parse_date("2026-01-15T12:00:00Z") * kSec;
  // 200,000 one-off actors and tools over ~2 days: old ones must be pruned
  // (the test only checks it runs and finds each first use once).
  for (std::int64_t i = 0; i < 200'000; ++i) {
    Event e;
    e.seq = i + 1;
    e.ts = t + i * kSec;
    e.event = "run";
    e.tool = "/tool/" + std::to_string(i % 1000);
    e.actor.sid = i;
    detectors.observe(e, out);
  }
  auto new_tools = std::count_if(out.begin(), out.end(),
                                 [](const Finding& f) { return f.detector == "new_tool"; });
  EXPECT_EQ(new_tools, 1000);
  EXPECT_TRUE(
      std::none_of(out.begin(), out.end(), [](const Finding& f) { return f.detector == "burst"; }));
}

TEST(AuditDetectors, IdsAreStable) {
  std::vector<std::string_view> expected = {
      "outside_hours",        "burst",       "new_tool", "new_parent", "non_interactive_no_agent",
      "agent_read_sensitive", "denied_spike"};
  EXPECT_EQ(detector_ids(), expected);
}

}  // namespace
}  // namespace ward::audit
