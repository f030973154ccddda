// `ward audit report --html FILE`: one self-contained HTML page about the
// audit log — the verify status at the top, counts, the suspicious findings
// highlighted, and timelines of accesses per secret, per tool and per agent.
//
// The page loads nothing: inline CSS, inline SVG bars, no script at all and
// a Content-Security-Policy that forbids every fetch, so opening it cannot
// reach the network even if a string slipped through. Every string that
// comes from the log (names, reasons, comm, paths) is HTML-escaped: the log
// records what processes claimed and an agent can choose its comm.
//
// Counts are collected in the same streaming pass as the detectors, per
// hour and kept sparse; the page groups hours into hours, days or weeks so
// that a timeline has at most a few hundred columns.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "audit/detectors.hpp"
#include "audit/event.hpp"
#include "audit/verify.hpp"
#include "util/result.hpp"

namespace ward::audit {

// Accesses of one secret, tool or agent.
struct Series {
  std::int64_t total = 0;
  std::map<std::int64_t, std::int64_t> per_hour;  // unix hour -> events
};

struct ReportData {
  std::string log_path;
  VerifyReport verify;
  std::int64_t generated_us = 0;
  std::int64_t since_us = INT64_MIN;       // INT64_MIN: the whole log
  std::int64_t first_ts = 0, last_ts = 0;  // of the reported events
  std::int64_t events = 0, ok = 0, denied = 0, errors = 0;
  std::map<std::string, std::int64_t> by_event;
  std::map<std::string, Series> secrets, tools, agents;  // agent "" = no agent
  // Every finding is counted; only the first kMaxListedFindings are kept.
  std::int64_t findings_total = 0;
  std::map<std::string, std::int64_t> findings_by_detector;
  std::map<std::int64_t, std::int64_t> findings_per_hour;
  std::vector<Finding> findings;
};

constexpr std::size_t kMaxListedFindings = 1000;

// Counts the events at or after since_us (housekeeping excluded) and the
// findings of the detectors.
class ReportCollector {
 public:
  explicit ReportCollector(std::int64_t since_us = INT64_MIN) { data_.since_us = since_us; }
  void observe(const Event& e);
  void add_finding(Finding finding);
  ReportData& data() { return data_; }

 private:
  ReportData data_;
};

// &, <, >, ", ' as entities; other control characters as U+FFFD.
std::string html_escape(std::string_view text);

// The whole page.
std::string render_report_html(const ReportData& data);

// Writes the page to path atomically, mode 0600.
Status write_report_html(const std::string& path, const ReportData& data);

}  // namespace ward::audit
