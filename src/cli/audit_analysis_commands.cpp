// ward audit suspicious, ward audit report.
//
// Both read the thresholds from the user's config.yaml, the secrets tagged
// sensitive from the vault's metadata (no key needed) and then make one
// streaming pass over the chain, feeding the detectors (and, for the
// report, the counters). Exit codes: `suspicious` exits 0 when nothing was
// found and 1 when something was (like grep and gitleaks, so scripts can
// branch on it); `report` exits 0 once the page is written, whatever it
// shows.
#include <cstdlib>
#include <functional>
#include <memory>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audit/config.hpp"
#include "audit/detectors.hpp"
#include "audit/log.hpp"
#include "audit/query.hpp"
#include "audit/report.hpp"
#include "audit/verify.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/paths.hpp"
#include "util/time.hpp"

namespace ward::cli {

namespace {

using audit::Finding;

struct AnalysisOptions {
  std::string since;
  std::string html;
};

// "24h", "7d" (back from now) or an RFC 3339 time; INT64_MIN when empty.
Result<std::int64_t> since_us(const std::string& text) {
  if (text.empty()) return INT64_MIN;
  auto at = audit::parse_time_bound(text, now_unix_us());
  if (!at) return fail(Code::usage, fmt::format("invalid --since '{}'", text), at.error().hint);
  return *at;
}

// The secrets whose metadata carries tag. With no vault there are none.
Result<std::unordered_set<std::string>> sensitive_paths(const Context& ctx,
                                                        const std::string& tag) {
  auto store = ctx.open_store();
  if (!store) {
    if (store.error().code == Code::not_found) return std::unordered_set<std::string>{};
    return tl::unexpected(store.error());
  }
  std::unordered_set<std::string> paths;
  for (const auto& info : TRY(store->list(""))) {
    for (const auto& t : info.meta.tags) {
      if (t == tag) paths.insert(info.path);
    }
  }
  return paths;
}

// Loads the thresholds and tags, then runs the detectors over the chain in
// one pass, handing every event to on_event and every finding to
// on_finding as they come, so nothing grows with the log.
struct Analysis {
  std::int64_t events = 0;  // reported: at or after since, housekeeping left out
  Status read;              // a bad line stops the pass; what came before counts
};

Result<Analysis> analyse(const Context& ctx, std::int64_t since,
                         const std::function<void(const audit::Event&)>& on_event,
                         const std::function<void(Finding&&)>& on_finding) {
  audit::SuspiciousConfig config = TRY(audit::load_suspicious_config(user_config_path()));
  auto sensitive = TRY(sensitive_paths(ctx, config.sensitive_tag));
  audit::Detectors detectors(config, std::move(sensitive), since);
  std::vector<Finding> findings;
  Analysis out;
  out.read = audit::for_each_event(audit::chain_files(audit::default_log_path()),
                                   [&](const audit::Event& e, std::string_view) {
                                     detectors.observe(e, findings);
                                     for (auto& f : findings) on_finding(std::move(f));
                                     findings.clear();
                                     if (e.ts >= since && !audit::is_housekeeping(e)) ++out.events;
                                     if (on_event) on_event(e);
                                     return true;
                                   });
  return out;
}

std::string plural(std::int64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// Findings are printed as they are found: a JSON object whose "events"
// comes last, or a table with fixed columns.
Status cmd_suspicious(Context& ctx, const AnalysisOptions& o) {
  std::int64_t since = TRY(since_us(o.since));
  std::int64_t found = 0;
  auto print_finding = [&](Finding&& f) {
    if (ctx.json) {
      nlohmann::json item = {{"detector", f.detector},
                             {"seq", f.seq},
                             {"ts", f.ts},
                             {"time", format_rfc3339_us(f.ts)},
                             {"summary", f.summary}};
      fmt::print("{}{}", found == 0 ? "{\"findings\":[" : ",",
                 item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      if (found == 0)
        fmt::print("{:<8}  {:<20}  {:<24}  {}\n", "SEQ", "TIME (UTC)", "DETECTOR", "WHAT");
      fmt::print("{:<8}  {:<20}  {:<24}  {}\n", f.seq, format_rfc3339_us(f.ts), f.detector,
                 printable(f.summary));
    }
    ++found;
  };
  Analysis analysis = TRY(analyse(ctx, since, nullptr, print_finding));
  std::int64_t events = analysis.events;
  if (ctx.json) {
    // Even when reading stopped early the document is closed.
    fmt::print("{}],\"events\":{}}}\n", found == 0 ? "{\"findings\":[" : "", events);
  }
  TRY(std::move(analysis.read));
  if (!ctx.json) {
    if (found == 0) {
      fmt::print("nothing suspicious in {}\n", plural(events, "event"));
    } else {
      fmt::print("{} in {}\n", plural(found, "finding"), plural(events, "event"));
    }
  }
  if (found > 0) ctx.exit_code = 1;  // documented: 1 = something suspicious was found
  return {};
}

Status cmd_report(const Context& ctx, const AnalysisOptions& o) {
  std::int64_t since = TRY(since_us(o.since));
  audit::ReportCollector collector(since);
  Analysis analysis = TRY(analyse(
      ctx, since, [&](const audit::Event& e) { collector.observe(e); },
      [&](Finding&& f) { collector.add_finding(std::move(f)); }));
  const Status& read = analysis.read;
  audit::ReportData& data = collector.data();
  data.log_path = audit::default_log_path();
  data.generated_us = now_unix_us();
  // The anchored check (signatures, sealed head) needs the agent; this is
  // the chain from the bytes alone.
  data.verify = audit::verify_chain(audit::chain_files(data.log_path), std::nullopt);
  if (!read) {
    // The page still shows what came before the bad line, and the verify
    // status at its top says what is wrong.
    print_warning(fmt::format("the report stops early: {}", read.error().message));
  }
  TRY(audit::write_report_html(o.html, data));
  fmt::print("wrote {}: {}, {}, chain {}\n", o.html, plural(data.events, "event"),
             plural(data.findings_total, "suspicious finding"),
             data.verify.intact() ? "intact" : "BROKEN");
  return {};
}

}  // namespace

void register_audit_analysis_commands(CLI::App& audit, Context& ctx) {
  auto o = std::make_shared<AnalysisOptions>();

  auto* suspicious = audit.add_subcommand(
      "suspicious", "List events the detectors flag (exit 1 when any are found)");
  suspicious->add_option("--since", o->since,
                         "Only report events since 24h, 7d or an RFC 3339 time");
  suspicious->add_flag("--json", ctx.json, "JSON output");
  suspicious->callback([&ctx, o] { ctx.action = [&ctx, o] { return cmd_suspicious(ctx, *o); }; });

  auto* report =
      audit.add_subcommand("report", "Write a self-contained HTML report of the audit log");
  report->add_option("--since", o->since, "Only report events since 24h, 7d or an RFC 3339 time");
  report->add_option("--html", o->html, "The HTML file to write (mode 0600)")->required();
  report->callback([&ctx, o] { ctx.action = [&ctx, o] { return cmd_report(ctx, *o); }; });
}

}  // namespace ward::cli
