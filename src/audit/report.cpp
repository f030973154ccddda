#include "audit/report.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "util/file.hpp"
#include "util/time.hpp"

namespace ward::audit {

namespace {

constexpr std::int64_t kMicros = 1'000'000;
constexpr std::int64_t kHour = 3600;
constexpr std::size_t kMaxRows = 30;  // series shown per timeline; the rest summed

// Floor division for unix times before 1970 (never in practice, but exact).
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

void count(Series& series, std::int64_t hour) {
  ++series.total;
  ++series.per_hour[hour];
}

constexpr std::string_view kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fff}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .5em}
.muted{color:#666}.status{padding:.8em 1em;border-radius:6px;font-weight:600;margin:1em 0}
.intact{background:#e6f4ea;border:1px solid #8bc79b}.broken{background:#fde7e7;border:1px solid #e08a8a}
table{border-collapse:collapse;margin:.3em 0}td,th{padding:.25em .7em;text-align:left;vertical-align:top;border-bottom:1px solid #eee}
th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.hit td{background:#fff0f0}.det{font-family:ui-monospace,monospace;color:#b00020;font-weight:600}
.tl td.name{font-family:ui-monospace,monospace;white-space:nowrap;max-width:28em;overflow:hidden;text-overflow:ellipsis}
.tl svg{display:block}.bar{fill:#4a78c2}.flag{fill:#fbd5d5}.hitbar{fill:#c62828}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;min-width:7em}
.card b{display:block;font-size:1.4em}.card.alert b{color:#b00020}
)";

// The columns of the timelines: from..to in steps of bucket seconds.
struct Axis {
  std::int64_t from_s = 0;
  std::int64_t bucket_s = kHour;
  std::int64_t columns = 0;
  std::int64_t column_of(std::int64_t hour) const {
    return floor_div(hour * kHour - from_s, bucket_s);
  }
  std::string label() const {
    return bucket_s == kHour ? "hour" : bucket_s == 86400 ? "day" : "week";
  }
};

Axis axis_for(const ReportData& d) {
  Axis axis;
  std::int64_t start = d.since_us != INT64_MIN ? d.since_us : d.first_ts;
  std::int64_t end = d.since_us != INT64_MIN ? std::max(d.generated_us, d.last_ts) : d.last_ts;
  end = std::max(end, start);
  std::int64_t span_s = floor_div(end - start, kMicros);
  axis.bucket_s = span_s <= 96 * kHour ? kHour : span_s <= 180 * 86400 ? 86400 : 7 * 86400;
  axis.from_s = floor_div(floor_div(start, kMicros), axis.bucket_s) * axis.bucket_s;
  axis.columns = floor_div(floor_div(end, kMicros) - axis.from_s, axis.bucket_s) + 1;
  return axis;
}

std::vector<std::int64_t> columns_of(const Axis& axis,
                                     const std::map<std::int64_t, std::int64_t>& per_hour) {
  std::vector<std::int64_t> cols(static_cast<std::size_t>(axis.columns), 0);
  for (const auto& [hour, n] : per_hour) {
    std::int64_t c = axis.column_of(hour);
    if (c >= 0 && c < axis.columns) cols[static_cast<std::size_t>(c)] += n;
  }
  return cols;
}

// One row of bars; columns with findings get a red backdrop.
std::string svg_bars(const Axis& axis, const std::vector<std::int64_t>& cols,
                     const std::vector<std::int64_t>& flagged, std::string_view bar_class) {
  constexpr int kHeight = 22;
  int width = static_cast<int>(
      std::clamp<std::int64_t>(720 / std::max<std::int64_t>(axis.columns, 1), 2, 14));
  std::int64_t top = std::max<std::int64_t>(1, *std::max_element(cols.begin(), cols.end()));
  std::string out =
      fmt::format(R"(<svg width="{}" height="{}" role="img">)", width * axis.columns, kHeight);
  for (std::size_t i = 0; i < cols.size(); ++i) {
    int x = static_cast<int>(i) * width;
    if (flagged[i] > 0) {
      out += fmt::format(R"(<rect class="flag" x="{}" y="0" width="{}" height="{}"/>)", x, width,
                         kHeight);
    }
    if (cols[i] == 0) continue;
    int h = static_cast<int>(std::max<std::int64_t>(1, cols[i] * kHeight / top));
    std::int64_t at = axis.from_s + static_cast<std::int64_t>(i) * axis.bucket_s;
    out += fmt::format(
        R"(<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>)",
        bar_class, x, kHeight - h, std::max(1, width - 1), h, format_rfc3339(at), cols[i]);
  }
  return out + "</svg>";
}

std::string timeline(std::string_view title, const std::map<std::string, Series>& series,
                     const Axis& axis, const std::vector<std::int64_t>& flagged,
                     std::string_view empty_name) {
  std::string out = fmt::format("<h2>{}</h2>\n", title);
  if (series.empty()) return out + "<p class=\"muted\">none</p>\n";
  std::vector<const std::pair<const std::string, Series>*> rows;
  for (const auto& item : series) rows.push_back(&item);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto* a, const auto* b) { return a->second.total > b->second.total; });
  out += "<table class=\"tl\"><tr><th>name</th><th>events</th><th>per " + axis.label() +
         "</th></tr>\n";
  std::map<std::int64_t, std::int64_t> rest;
  std::int64_t rest_total = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& [name, s] = *rows[i];
    if (i >= kMaxRows) {
      rest_total += s.total;
      for (const auto& [hour, n] : s.per_hour) rest[hour] += n;
      continue;
    }
    std::string shown = name.empty() ? fmt::format("<i>{}</i>", empty_name) : html_escape(name);
    out += fmt::format(
        "<tr><td class=\"name\" title=\"{}\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
        html_escape(name), shown, s.total,
        svg_bars(axis, columns_of(axis, s.per_hour), flagged, "bar"));
  }
  if (rest_total > 0) {
    out += fmt::format(
        "<tr><td class=\"name\"><i>{} more</i></td><td class=\"n\">{}</td><td>{}</td></tr>\n",
        rows.size() - kMaxRows, rest_total, svg_bars(axis, columns_of(axis, rest), flagged, "bar"));
  }
  return out + "</table>\n";
}

std::string verify_box(const ReportData& d) {
  const VerifyReport& v = d.verify;
  std::string out;
  if (v.intact()) {
    out = fmt::format(
        "<div class=\"status intact\" id=\"verify\">chain intact: {} events in {} file{}, head seq "
        "{}",
        v.events, v.files, v.files == 1 ? "" : "s", v.head.seq);
    if (v.torn_bytes > 0) {
      out +=
          fmt::format(" (a torn last line of {} bytes, repaired by the next write)", v.torn_bytes);
    }
  } else {
    const Failure& f = *v.failure;
    out = fmt::format(
        "<div class=\"status broken\" id=\"verify\">chain verification FAILED at seq {} ({} line "
        "{}): {}",
        f.seq, html_escape(f.file), f.line, html_escape(f.reason));
  }
  out +=
      "<br><span class=\"muted\">checkpoint signatures and the sealed head were not checked "
      "here; run <code>ward audit verify</code> for the anchored check</span></div>\n";
  return out;
}

std::string findings_section(const ReportData& d) {
  std::string out = "<h2 id=\"suspicious\">Suspicious</h2>\n";
  if (d.findings_total == 0) return out + "<p>nothing suspicious found</p>\n";
  out += "<table><tr><th>detector</th><th>findings</th></tr>\n";
  for (const auto& [id, n] : d.findings_by_detector) {
    out += fmt::format("<tr class=\"hit\"><td class=\"det\">{}</td><td class=\"n\">{}</td></tr>\n",
                       html_escape(id), n);
  }
  out +=
      "</table>\n<table><tr><th>seq</th><th>time (UTC)</th><th>detector</th><th>what</th></tr>\n";
  for (const auto& f : d.findings) {
    out += fmt::format(
        "<tr class=\"hit\"><td class=\"n\">{}</td><td>{}</td><td "
        "class=\"det\">{}</td><td>{}</td></tr>\n",
        f.seq, format_rfc3339_us(f.ts), html_escape(f.detector), html_escape(f.summary));
  }
  out += "</table>\n";
  if (d.findings_total > static_cast<std::int64_t>(d.findings.size())) {
    out += fmt::format(
        "<p class=\"muted\">the first {} of {} findings; <code>ward audit suspicious</code> lists "
        "them all</p>\n",
        d.findings.size(), d.findings_total);
  }
  return out;
}

std::string card(std::string_view label, std::int64_t n, bool alert = false) {
  return fmt::format("<div class=\"card{}\"><b>{}</b>{}</div>", alert && n > 0 ? " alert" : "", n,
                     label);
}

}  // namespace

void ReportCollector::observe(const Event& e) {
  if (is_housekeeping(e) || e.ts < data_.since_us) return;
  if (data_.events == 0) data_.first_ts = e.ts;
  data_.first_ts = std::min(data_.first_ts, e.ts);
  data_.last_ts = std::max(data_.last_ts, e.ts);
  ++data_.events;
  if (e.outcome == "ok")
    ++data_.ok;
  else if (e.outcome == "denied")
    ++data_.denied;
  else
    ++data_.errors;
  ++data_.by_event[e.event];
  std::int64_t hour = floor_div(e.ts, kHour * kMicros);
  for (const auto& path : e.secrets) count(data_.secrets[path], hour);
  if (!e.tool.empty()) count(data_.tools[e.tool], hour);
  count(data_.agents[e.actor.agent_name], hour);
}

void ReportCollector::add_finding(Finding finding) {
  ++data_.findings_total;
  ++data_.findings_by_detector[finding.detector];
  ++data_.findings_per_hour[floor_div(finding.ts, kHour * kMicros)];
  if (data_.findings.size() < kMaxListedFindings) data_.findings.push_back(std::move(finding));
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
          out += "&#xFFFD;";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string render_report_html(const ReportData& d) {
  Axis axis = axis_for(d);
  const auto& finding_hours = d.findings_per_hour;
  std::vector<std::int64_t> flagged = columns_of(axis, finding_hours);

  std::string out;
  out.reserve(64 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">\n";
  out += "<meta name=\"referrer\" content=\"no-referrer\">\n";
  out += "<title>ward audit report</title>\n<style>";
  out += kStyle;
  out += "</style></head><body>\n<h1>ward audit report</h1>\n";
  out += fmt::format("<p class=\"muted\">log {} &middot; generated {} &middot; events {}</p>\n",
                     html_escape(d.log_path), format_rfc3339_us(d.generated_us),
                     d.since_us == INT64_MIN ? std::string("since the start")
                                             : "since " + format_rfc3339_us(d.since_us));
  out += verify_box(d);

  out += "<div class=\"cards\">";
  out += card("events", d.events);
  out += card("ok", d.ok);
  out += card("denied", d.denied, true);
  out += card("errors", d.errors, true);
  out += card("secrets", static_cast<std::int64_t>(d.secrets.size()));
  out += card("tools", static_cast<std::int64_t>(d.tools.size()));
  std::int64_t agents =
      static_cast<std::int64_t>(d.agents.size()) - (d.agents.contains("") ? 1 : 0);
  out += card("AI agents", agents);
  out += card("suspicious", d.findings_total, true);
  out += "</div>\n";
  if (d.events > 0) {
    out += fmt::format("<p class=\"muted\">first event {} &middot; last event {}</p>\n",
                       format_rfc3339_us(d.first_ts), format_rfc3339_us(d.last_ts));
  }

  out += findings_section(d);

  out += "<h2>Events by kind</h2>\n";
  if (d.by_event.empty()) {
    out += "<p class=\"muted\">no events</p>\n";
  } else {
    out += "<table><tr><th>event</th><th>count</th></tr>\n";
    for (const auto& [name, n] : d.by_event) {
      out += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td></tr>\n", html_escape(name), n);
    }
    out += "</table>\n";
  }

  if (d.events > 0) {
    out += fmt::format(
        "<p class=\"muted\">timelines from {} (UTC) in {} columns of one {} each; columns with "
        "suspicious findings have a red backdrop</p>\n",
        format_rfc3339(axis.from_s), axis.columns, axis.label());
    if (d.findings_total > 0) {
      out += fmt::format(
          "<table class=\"tl\"><tr><td class=\"name det\">suspicious</td><td class=\"n\">{}</td>"
          "<td>{}</td></tr></table>\n",
          d.findings_total, svg_bars(axis, flagged, flagged, "hitbar"));
    }
  }
  out += timeline("Accesses per secret", d.secrets, axis, flagged, "");
  out += timeline("Accesses per tool", d.tools, axis, flagged, "");
  out += timeline("Accesses per agent", d.agents, axis, flagged, "no AI agent");
  out += "</body></html>\n";
  return out;
}

Status write_report_html(const std::string& path, const ReportData& data) {
  std::string page = render_report_html(data);
  AtomicFile file = TRY(AtomicFile::create(path, 0600));
  TRY(file.write(page));
  TRY(file.commit());
  return {};
}

}  // namespace ward::audit
