// Tests for src/audit/query: filters, time bounds, the raw-byte prefilter
// (which must never drop a matching event), tail, show and query over real
// log files.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "../testing/temp_dir.hpp"
#include "audit/event.hpp"
#include "audit/log.hpp"
#include "audit/query.hpp"
#include "util/time.hpp"

namespace ward::audit {
namespace {

constexpr std::int64_t kT0 = 1764000000000000;  // 2025-11-24T16:00:00Z
constexpr std::int64_t kMinute = 60 * 1000000ll;

// The line tests/e2e/auditlog.py writes for its GOLDEN_EVENT.
constexpr std::string_view kPythonGolden =
    R"({"actor":{"agent":{"name":"claude-code","via":"env:CLAUDECODE"},"ancestry":["claude","zsh"],"comm":"node","cwd":"/w","exe":"/usr/bin/node","pid":10,"ppid":9,"sid":8,"tty":"/dev/pts/3","uid":1000},"denied":["prod/ssh"],"event":"run","hash":"b171f1cd0d015a11900b967fa44793ff0cdd1697f6115432aa50fdff238a58b7","host":"box","outcome":"denied","prev":"0000000000000000000000000000000000000000000000000000000000000000","reason":"quote \" backslash \\ nl \n tab \t ctl \u0001 utf8 é ☃","secrets":["llm/openai","prod/db"],"seq":7,"tool":"/usr/bin/python3","ts":1764000000123456,"v":1})";

Event golden_event() {
  Event e;
  e.event = "run";
  e.seq = 7;
  e.ts = 1764000000123456;
  e.secrets = {"llm/openai", "prod/db"};
  e.denied = {"prod/ssh"};
  e.outcome = "denied";
  e.reason = "quote \" backslash \\ nl \n tab \t ctl \x01 utf8 \xc3\xa9 \xe2\x98\x83";
  e.tool = "/usr/bin/python3";
  e.host = "box";
  e.prev = std::string(kZeroHash);
  e.actor = Actor{10,
                  9,
                  1000,
                  8,
                  "/usr/bin/node",
                  "node",
                  "/w",
                  "/dev/pts/3",
                  {"claude", "zsh"},
                  "claude-code",
                  "env:CLAUDECODE"};
  return e;
}

TEST(AuditFixture, PythonWriterMatchesEncodeLine) {
  Event e = golden_event();
  EXPECT_EQ(encode_line(e), kPythonGolden);
}

Event make(std::string name, std::vector<std::string> secrets, std::int64_t seq = 1) {
  Event e;
  e.event = std::move(name);
  e.secrets = std::move(secrets);
  e.seq = seq;
  e.ts = kT0 + seq * kMinute;
  e.prev = std::string(kZeroHash);
  e.actor.comm = "bash";
  e.actor.pid = 100;
  return e;
}

// ---- time bounds -------------------------------------------------------------

TEST(AuditQuery, ParsesDurationsBackFromNow) {
  std::int64_t now = kT0;
  EXPECT_EQ(parse_time_bound("24h", now).value(), now - 24 * 3600 * 1000000ll);
  EXPECT_EQ(parse_time_bound("7d", now).value(), now - 7 * 86400 * 1000000ll);
  EXPECT_EQ(parse_time_bound("30m", now).value(), now - 30 * kMinute);
  EXPECT_EQ(parse_time_bound("90", now).value(), now - 90 * 1000000ll);
}

TEST(AuditQuery, ParsesDatesAndRfc3339) {
  EXPECT_EQ(parse_time_bound("2025-11-24", 0).value(), 1763942400 * 1000000ll);
  EXPECT_EQ(parse_time_bound("2025-11-24T16:00:00Z", 0).value(), kT0);
  EXPECT_EQ(parse_time_bound("2025-11-24T17:00:00+01:00", 0).value(), kT0);
  EXPECT_EQ(parse_time_bound("2025-11-24T16:00:00.5Z", 0).value(), kT0);
}

TEST(AuditQuery, RejectsBadTimes) {
  for (std::string_view bad : {"", "yesterday", "-5h", "24x", "2025-13-01", "2025-11-24T25:00:00Z",
                               "2025-11-24T10:00:00", "h"}) {
    auto r = parse_time_bound(bad, kT0);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::invalid_input) << bad;
    EXPECT_NE(r.error().message.find("invalid time"), std::string::npos);
    EXPECT_FALSE(r.error().hint.empty());
  }
}

TEST(AuditQuery, ValidatesFilters) {
  Filter f;
  EXPECT_TRUE(validate_filter(f));
  f.outcome = "failed";
  EXPECT_EQ(validate_filter(f).error().code, Code::usage);
  f.outcome = "denied";
  EXPECT_TRUE(validate_filter(f));
  f.since_us = 10;
  f.until_us = 5;
  EXPECT_EQ(validate_filter(f).error().code, Code::usage);
}

// ---- exact matching --------------------------------------------------------------

TEST(AuditQuery, MatchesSecretExactlyOrByPrefix) {
  Event e = make("get", {"llm/openai"});
  e.denied = {"prod/db/url"};
  auto with_secret = [](std::string s) {
    Filter f;
    f.secret = std::move(s);
    return f;
  };
  EXPECT_TRUE(matches(with_secret("llm/openai"), e));
  EXPECT_TRUE(matches(with_secret("llm/"), e));
  EXPECT_TRUE(matches(with_secret("prod/"), e));  // denied names count
  EXPECT_TRUE(matches(with_secret("prod/db/url"), e));
  EXPECT_FALSE(matches(with_secret("llm/open"), e));  // not a prefix without '/'
  EXPECT_FALSE(matches(with_secret("llm"), e));
  EXPECT_FALSE(matches(with_secret("ll/"), e));
  EXPECT_FALSE(matches(with_secret("openai"), e));
}

TEST(AuditQuery, MatchesEachField) {
  Event e = make("run", {"a"});
  e.tool = "/usr/bin/curl";
  e.outcome = "denied";
  e.actor.agent_name = "claude-code";
  e.actor.tty = "/dev/pts/1";
  Filter f;
  f.event = "run";
  f.tool = "/usr/bin/curl";
  f.outcome = "denied";
  f.agent = "claude-code";
  f.tty = TtyFilter::present;
  f.since_us = e.ts;
  f.until_us = e.ts;
  EXPECT_TRUE(matches(f, e));
  auto changed = [&](auto edit) {
    Filter g = f;
    edit(g);
    return matches(g, e);
  };
  EXPECT_FALSE(changed([](Filter& g) { g.event = "get"; }));
  EXPECT_FALSE(changed([](Filter& g) { g.tool = "/usr/bin/cur"; }));
  EXPECT_FALSE(changed([](Filter& g) { g.outcome = "ok"; }));
  EXPECT_FALSE(changed([](Filter& g) { g.agent = "none"; }));
  EXPECT_FALSE(changed([](Filter& g) { g.agent = "claude"; }));
  EXPECT_FALSE(changed([](Filter& g) { g.tty = TtyFilter::absent; }));
  EXPECT_FALSE(changed([&](Filter& g) { g.since_us = e.ts + 1; }));
  EXPECT_FALSE(changed([&](Filter& g) { g.until_us = e.ts - 1; }));
  e.actor.agent_name = "";
  EXPECT_TRUE(changed([](Filter& g) { g.agent = "none"; }));
}

// ---- prefilter -------------------------------------------------------------------

// Events whose names hide in each other: escaped, as prefixes, in other fields.
std::vector<Event> tricky_events() {
  std::vector<Event> out;
  Event a = make("get", {"llm/openai"});
  a.reason = "asked for \"llm/openai-old\" and \"prod/\"";
  a.tool = "\"tool\":\"/usr/bin/curl\",\"ts\":";
  out.push_back(a);
  Event b = make("get.reveal", {"llm/openai-old", "llm/"});
  b.actor.cwd = "/home/llm/openai";
  b.actor.agent_name = "none";
  out.push_back(b);
  Event c = make("run", {"we\"ird\\name", "tab\tname", "caf\xc3\xa9/x"}, 3);
  c.denied = {"prod/db"};
  c.tool = "/usr/bin/curl";
  c.actor.agent_name = "claude-code";
  c.actor.agent_via = "env:CLAUDECODE";
  c.actor.tty = "/dev/pts/0";
  c.outcome = "denied";
  out.push_back(c);
  Event d = make("audit.checkpoint", {}, 4);
  d.checkpoint = Checkpoint{3, std::string(64, 'a'), kT0 + 999 * kMinute, "k", "s"};
  d.reason = "\"tty\":\"\",\"uid\": \"event\":\"run\",\"hash\": \"outcome\":\"denied\",\"prev\":";
  d.actor.exe = "{\"agent\":{\"name\":\"claude-code\",\"via\":";
  out.push_back(d);
  Event e = make("run", {}, 5);
  e.actor.comm = "run";
  e.host = "get";
  e.actor.ancestry = {"claude-code", "/usr/bin/curl"};
  out.push_back(e);
  return out;
}

std::vector<Filter> tricky_filters() {
  std::vector<Filter> out;
  for (std::string s : {"llm/openai", "llm/", "llm/openai-old", "prod/", "prod/db", "we\"ird\\name",
                        "tab\tname", "caf\xc3\xa9/", "openai", "/home/"}) {
    Filter f;
    f.secret = s;
    out.push_back(f);
  }
  for (std::string ev : {"get", "run", "get.reveal", "audit.checkpoint"}) {
    Filter f;
    f.event = ev;
    out.push_back(f);
  }
  for (std::string t : {"/usr/bin/curl", "\"tool\":\"/usr/bin/curl\",\"ts\":"}) {
    Filter f;
    f.tool = t;
    out.push_back(f);
  }
  for (std::string a : {"none", "claude-code", "claude"}) {
    Filter f;
    f.agent = a;
    out.push_back(f);
  }
  for (std::string o : {"ok", "denied", "error"}) {
    Filter f;
    f.outcome = o;
    out.push_back(f);
  }
  for (TtyFilter t : {TtyFilter::present, TtyFilter::absent}) {
    Filter f;
    f.tty = t;
    out.push_back(f);
  }
  Filter since;
  since.since_us = kT0 + 3 * kMinute;
  out.push_back(since);
  Filter until;
  until.until_us = kT0 + 3 * kMinute;
  out.push_back(until);
  Filter combo;
  combo.secret = "prod/";
  combo.event = "run";
  combo.agent = "claude-code";
  combo.tty = TtyFilter::present;
  combo.outcome = "denied";
  out.push_back(combo);
  return out;
}

TEST(AuditPrefilter, NeverDropsAMatchingEvent) {
  int matched = 0, rejected = 0;
  for (Event e : tricky_events()) {
    std::string line = encode_line(e);
    ParsedLine parsed;
    ASSERT_TRUE(parse_line(line, parsed)) << line;
    for (const Filter& f : tricky_filters()) {
      Prefilter pre(f);
      bool exact = matches(f, parsed.event);
      bool maybe = pre.may_match(line);
      if (exact) {
        ++matched;
        EXPECT_TRUE(maybe) << "dropped " << line << " for " << f.secret << f.event << f.tool
                           << f.agent;
      } else if (!maybe) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(matched, 20);
  EXPECT_GT(rejected, 40);  // and it does reject most of the rest
}

TEST(AuditPrefilter, IsNotFooledByPatternsInsideStrings) {
  std::vector<Event> events = tricky_events();
  // d holds the event, outcome, tty and agent patterns only escaped in strings.
  std::string d = encode_line(events[3]);
  Filter f;
  f.event = "run";
  EXPECT_FALSE(Prefilter(f).may_match(d));
  f = {};
  f.outcome = "denied";
  EXPECT_FALSE(Prefilter(f).may_match(d));
  f = {};
  f.agent = "claude-code";
  EXPECT_FALSE(Prefilter(f).may_match(d));
  // a's reason names "llm/openai-old" escaped: not a secret of a.
  std::string a = encode_line(events[0]);
  f = {};
  f.secret = "llm/openai-old";
  EXPECT_FALSE(Prefilter(f).may_match(a));
}

TEST(AuditPrefilter, ReadsTopLevelTsAndSeqNotTheCheckpoints) {
  Event d = tricky_events()[3];
  std::string line = encode_line(d);
  EXPECT_EQ(raw_seq(line), 4);
  EXPECT_EQ(raw_ts(line), kT0 + 4 * kMinute);
  EXPECT_EQ(raw_ts("{}"), std::nullopt);
  EXPECT_EQ(raw_seq("{\"seq\":x"), std::nullopt);
}

TEST(AuditPrefilter, QuotesLikeTheEncoder) {
  EXPECT_EQ(canonical_string("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
  EXPECT_EQ(canonical_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

// ---- over files --------------------------------------------------------------------

struct LogFixture {
  testing::TempDir dir;
  std::string path = dir / "audit.jsonl";
  std::int64_t clock = kT0;

  // n events one minute apart: get/run alternating, secrets s<i % 5>.
  void write(int n, std::int64_t max_bytes = 64ll << 20) {
    LogOptions options{.max_bytes = max_bytes, .sync = false, .clock = [this] {
                         clock += kMinute;
                         return clock;
                       }};
    auto log = AuditLog::open(path, options);
    ASSERT_TRUE(log);
    for (int i = 1; i <= n; ++i) {
      std::vector<Event> batch{make(i % 2 ? "get" : "run", {"s" + std::to_string(i % 5)})};
      batch[0].tool = i % 3 == 0 ? "/usr/bin/curl" : "";
      ASSERT_TRUE(log->append(batch));
    }
  }
  std::vector<std::string> files() const { return chain_files(path); }
};

std::vector<std::int64_t> seqs_of(const std::vector<std::string>& files, const Filter& f) {
  std::vector<std::int64_t> out;
  auto ok = query_events(files, f, [&](const Event& e, std::string_view) {
    out.push_back(e.seq);
    return true;
  });
  EXPECT_TRUE(ok) << ok.error().message;
  return out;
}

TEST(AuditQueryFiles, FiltersAcrossRotatedFiles) {
  LogFixture log;
  log.write(200, 8192);
  ASSERT_GT(log.files().size(), 5u);
  Filter f;
  f.secret = "s3";
  f.event = "get";
  std::vector<std::int64_t> want;
  for (int i = 1; i <= 200; ++i) {
    if (i % 5 == 3 && i % 2 == 1) want.push_back(i);
  }
  EXPECT_EQ(seqs_of(log.files(), f), want);
  f = {};
  f.tool = "/usr/bin/curl";
  EXPECT_EQ(seqs_of(log.files(), f).size(), 66u);
  EXPECT_EQ(seqs_of(log.files(), Filter{}).size(), 200u);
}

TEST(AuditQueryFiles, SinceAndUntilAgreeWithAFullScan) {
  LogFixture log;
  log.write(300, 8192);
  // Event i has ts kT0 + i minutes.
  for (std::int64_t since : {-5, 0, 1, 2, 77, 150, 151, 299, 300, 301, 400}) {
    for (std::int64_t until : {0, 1, 100, 299, 300, 1000}) {
      if (since > until) continue;
      Filter f;
      f.since_us = kT0 + since * kMinute;
      f.until_us = kT0 + until * kMinute;
      std::vector<std::int64_t> want;
      for (std::int64_t i = std::max<std::int64_t>(since, 1);
           i <= std::min<std::int64_t>(until, 300); ++i) {
        want.push_back(i);
      }
      EXPECT_EQ(seqs_of(log.files(), f), want) << since << ".." << until;
    }
  }
}

TEST(AuditQueryFiles, ReportsACorruptCandidateLine) {
  LogFixture log;
  log.write(3);
  {
    std::ofstream out(log.path, std::ios::app);
    out << "{\"not\":\"an event\"}\n";
  }
  auto r = query_events(log.files(), Filter{}, [](const Event&, std::string_view) { return true; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::corrupt);
  EXPECT_NE(r.error().message.find("line 4"), std::string::npos) << r.error().message;
}

TEST(AuditQueryFiles, SkipsATornLastLine) {
  LogFixture log;
  log.write(3);
  {
    std::ofstream out(log.path, std::ios::app);
    out << "{\"actor\":{\"ag";
  }
  EXPECT_EQ(seqs_of(log.files(), Filter{}), (std::vector<std::int64_t>{1, 2, 3}));
}

// ---- tail and show -------------------------------------------------------------

std::vector<std::int64_t> seqs_of_lines(const std::vector<std::string>& lines) {
  std::vector<std::int64_t> out;
  for (const auto& line : lines) out.push_back(raw_seq(line).value_or(-1));
  return out;
}

TEST(AuditTail, ReadsTheLastLinesAcrossFiles) {
  LogFixture log;
  log.write(100, 4096);
  auto files = log.files();
  ASSERT_GT(files.size(), 3u);
  auto tail = read_last_lines(files, 3);
  ASSERT_TRUE(tail);
  EXPECT_EQ(seqs_of_lines(tail->lines), (std::vector<std::int64_t>{98, 99, 100}));
  tail = read_last_lines(files, 40);  // more than the current file holds
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->lines.size(), 40u);
  EXPECT_EQ(raw_seq(tail->lines.front()), 61);
  EXPECT_EQ(raw_seq(tail->lines.back()), 100);
  tail = read_last_lines(files, 1000);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->lines.size(), 100u);
  EXPECT_EQ(raw_seq(tail->lines.front()), 1);
  EXPECT_TRUE(tail->last_file.valid());
}

TEST(AuditTail, SkipsATornLineAndReportsWhereToFollowFrom) {
  LogFixture log;
  log.write(5);
  std::int64_t whole = 0;
  {
    std::ifstream in(log.path, std::ios::binary | std::ios::ate);
    whole = in.tellg();
  }
  {
    std::ofstream out(log.path, std::ios::app);
    out << "{\"actor\":{\"ag";
  }
  for (std::size_t n : {0u, 2u, 10u}) {
    auto tail = read_last_lines(log.files(), n);
    ASSERT_TRUE(tail);
    EXPECT_EQ(tail->lines.size(), std::min<std::size_t>(n, 5));
    EXPECT_EQ(tail->end, whole) << n;
  }
  auto tail = read_last_lines(log.files(), 2);
  EXPECT_EQ(seqs_of_lines(tail->lines), (std::vector<std::int64_t>{4, 5}));
}

TEST(AuditTail, HandlesAnEmptyLogAndLongLines) {
  auto none = read_last_lines({}, 5);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->lines.empty());
  EXPECT_FALSE(none->last_file.valid());
  LogFixture log;
  LogOptions options{.sync = false};
  auto writer = AuditLog::open(log.path, options);
  ASSERT_TRUE(writer);
  for (int i = 0; i < 3; ++i) {
    std::vector<Event> batch{make("get", {})};
    batch[0].reason = std::string(150000, 'x');  // lines longer than a read chunk
    ASSERT_TRUE(writer->append(batch));
  }
  auto tail = read_last_lines(log.files(), 2);
  ASSERT_TRUE(tail);
  EXPECT_EQ(seqs_of_lines(tail->lines), (std::vector<std::int64_t>{2, 3}));
  tail = read_last_lines(log.files(), 5);
  ASSERT_TRUE(tail);
  EXPECT_EQ(seqs_of_lines(tail->lines), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST(AuditShow, FindsEverySeqAcrossFiles) {
  LogFixture log;
  log.write(120, 4096);
  auto files = log.files();
  for (std::int64_t seq = 1; seq <= 120; ++seq) {
    auto line = find_line_by_seq(files, seq);
    ASSERT_TRUE(line) << seq;
    EXPECT_EQ(raw_seq(*line), seq);
  }
  for (std::int64_t seq : {0, 121, 100000}) {
    auto line = find_line_by_seq(files, seq);
    ASSERT_FALSE(line);
    EXPECT_EQ(line.error().code, Code::not_found);
  }
}

TEST(AuditShow, FallsBackToAScanWhenOutOfOrder) {
  LogFixture log;
  log.write(10);
  // Swap lines 3 and 8: binary search misses, the scan finds them.
  std::ifstream in(log.path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::swap(lines[2], lines[7]);
  std::ofstream out(log.path, std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
  out.close();
  for (std::int64_t seq = 1; seq <= 10; ++seq) {
    auto line = find_line_by_seq(log.files(), seq);
    ASSERT_TRUE(line) << seq;
    EXPECT_EQ(raw_seq(*line), seq);
  }
}

}  // namespace
}  // namespace ward::audit
