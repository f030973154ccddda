#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "../testing/temp_dir.hpp"
#include "audit/report.hpp"
#include "util/time.hpp"

namespace ward::audit {
namespace {

constexpr std::int64_t kSec = 1'000'000;

Event event_at(std::int64_t ts, std::string name, std::vector<std::string> secrets,
               std::string tool = "", std::string agent = "") {
  Event e;
  e.ts = ts;
  e.event = std::move(name);
  e.secrets = std::move(secrets);
  e.tool = std::move(tool);
  e.actor.agent_name = std::move(agent);
  return e;
}

ReportData sample() {
  std::int64_t t = *parse_date("2026-01-15T12:00:00Z") * kSec;
  ReportCollector collector;
  collector.observe(event_at(t, "get", {"llm/openai"}));
  collector.observe(
      event_at(t + 3600 * kSec, "run", {"llm/openai", "prod/db"}, "/usr/bin/node", "claude-code"));
  Event denied = event_at(t + 7200 * kSec, "get", {"prod/db"}, "", "claude-code");
  denied.outcome = "denied";
  collector.observe(denied);
  collector.observe(event_at(t + 7300 * kSec, "audit.repair", {}));
  collector.observe(event_at(t + 7400 * kSec, "auto-lock", {}));
  collector.add_finding(Finding{"denied_spike", 3, t + 7200 * kSec, "more than 5 denied"});
  ReportData data = collector.data();
  data.log_path = "/home/u/.local/share/ward/audit.jsonl";
  data.generated_us = t + 8000 * kSec;
  data.verify.events = 4;
  data.verify.files = 1;
  data.verify.head.seq = 4;
  return data;
}

TEST(AuditReport, CollectsCountsPerSecretToolAndAgent) {
  ReportData d = sample();
  EXPECT_EQ(d.events, 3);  // audit.* and auto-lock left out
  EXPECT_EQ(d.ok, 2);
  EXPECT_EQ(d.denied, 1);
  EXPECT_EQ(d.secrets.at("llm/openai").total, 2);
  EXPECT_EQ(d.secrets.at("prod/db").total, 2);
  EXPECT_EQ(d.secrets.at("prod/db").per_hour.size(), 2u);
  EXPECT_EQ(d.tools.size(), 1u);
  EXPECT_EQ(d.agents.at("claude-code").total, 2);
  EXPECT_EQ(d.agents.at("").total, 1);
  EXPECT_EQ(d.by_event.at("get"), 2);
}

TEST(AuditReport, SinceLeavesOutEarlierEvents) {
  std::int64_t t = *parse_date("2026-01-15T12:00:00Z") * kSec;
  ReportCollector collector(t);
  collector.observe(event_at(t - 1, "get", {"a"}));
  collector.observe(event_at(t, "get", {"b"}));
  EXPECT_EQ(collector.data().events, 1);
  EXPECT_FALSE(collector.data().secrets.contains("a"));
}

TEST(AuditReport, EscapesEveryStringFromTheLog) {
  EXPECT_EQ(html_escape("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
  EXPECT_EQ(html_escape("a\x01\x1b[31mb"), "a&#xFFFD;&#xFFFD;[31mb");
  ReportData d = sample();
  d.secrets["<script>alert(1)</script>"].total = 1;
  d.tools["/tmp/\"><img src=x onerror=alert(1)>"].total = 1;
  ReportCollector extra;
  extra.add_finding(Finding{"burst", 2, d.last_ts, "from <script>evil()</script> 'q'"});
  d.findings = extra.data().findings;
  d.findings_total = 1;
  d.verify.failure = Failure{"/x/<b>.jsonl", 3, 3, "hash mismatch <i>"};
  std::string page = render_report_html(d);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b>.jsonl"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("hash mismatch &lt;i&gt;"), std::string::npos);
}

TEST(AuditReport, IsSelfContained) {
  std::string page = render_report_html(sample());
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
}

TEST(AuditReport, ShowsVerifyStatusFindingsAndTimelines) {
  ReportData d = sample();
  std::string page = render_report_html(d);
  auto verify = page.find("chain intact: 4 events in 1 file, head seq 4");
  ASSERT_NE(verify, std::string::npos);
  EXPECT_LT(verify, page.find("Suspicious"));
  EXPECT_NE(page.find("<tr class=\"hit\"><td class=\"n\">3</td>"), std::string::npos);
  EXPECT_NE(page.find("Accesses per secret"), std::string::npos);
  EXPECT_NE(page.find("Accesses per tool"), std::string::npos);
  EXPECT_NE(page.find("Accesses per agent"), std::string::npos);
  EXPECT_NE(page.find("<i>no AI agent</i>"), std::string::npos);
  EXPECT_NE(page.find("class=\"flag\""), std::string::npos);  // the finding's hour
  EXPECT_NE(page.find("<title>2026-01-15T13:00:00Z: 1</title>"), std::string::npos);
  d.verify.failure = Failure{"audit.jsonl", 2, 2, "hash mismatch"};
  page = render_report_html(d);
  EXPECT_NE(page.find("chain verification FAILED at seq 2 (audit.jsonl line 2): hash mismatch"),
            std::string::npos);
}

TEST(AuditReport, ListsOnlyTheFirstFindingsButCountsThemAll) {
  ReportCollector collector;
  for (std::size_t i = 0; i < kMaxListedFindings + 5; ++i) {
    collector.add_finding(Finding{"burst", static_cast<std::int64_t>(i + 1), 0, "x"});
  }
  const ReportData& d = collector.data();
  EXPECT_EQ(d.findings.size(), kMaxListedFindings);
  EXPECT_EQ(d.findings_total, static_cast<std::int64_t>(kMaxListedFindings + 5));
  EXPECT_EQ(d.findings_by_detector.at("burst"), d.findings_total);
  std::string page = render_report_html(d);
  EXPECT_NE(page.find(fmt::format("the first {} of {} findings", kMaxListedFindings,
                                  kMaxListedFindings + 5)),
            std::string::npos);
}

TEST(AuditReport, AnEmptyLogStillRenders) {
  ReportData d;
  d.generated_us = 1;
  std::string page = render_report_html(d);
  EXPECT_NE(page.find("nothing suspicious found"), std::string::npos);
  EXPECT_NE(page.find("</html>"), std::string::npos);
}

TEST(AuditReport, WritesAtomicallyWithMode0600) {
  testing::TempDir dir;
  std::string path = dir / "report.html";
  { std::ofstream(path) << "old"; }
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(write_report_html(path, sample()));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_FALSE(write_report_html(dir / "missing/report.html", sample()));
}

}  // namespace
}  // namespace ward::audit
