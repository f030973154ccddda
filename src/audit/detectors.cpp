#include "audit/detectors.hpp"

#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "audit/query.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace ward::audit {

namespace {

constexpr std::int64_t kMicros = 1'000'000;
// How often (in events) state that fell out of every window is dropped.
constexpr std::int64_t kPruneEvery = 4096;

std::string clock_text(int minutes) {
  return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

std::string hours_text(const WorkingHours& hours) {
  return clock_text(hours.start_min) + "-" + clock_text(hours.end_min);
}

// Who the actor is, for people: "ward (pid 42, agent claude-code)".
std::string actor_text(const Actor& a) {
  std::string name = a.comm.empty() ? (a.exe.empty() ? "?" : basename_of(a.exe)) : a.comm;
  std::string out = fmt::format("{} (pid {}", name, a.pid);
  if (!a.agent_name.empty()) out += fmt::format(", agent {}", a.agent_name);
  return out + ")";
}

// The burst key; see detectors.hpp for why the session and not the pid.
std::string actor_key(const Actor& a) {
  std::int64_t session = a.sid != 0 ? a.sid : -a.ppid;
  return fmt::format("{}\x1f{}\x1f{}\x1f{}", a.uid, session, a.exe, a.agent_name);
}

}  // namespace

const std::vector<std::string_view>& detector_ids() {
  static const std::vector<std::string_view> ids = {
      "outside_hours",        "burst",       "new_tool", "new_parent", "non_interactive_no_agent",
      "agent_read_sensitive", "denied_spike"};
  return ids;
}

bool releases_value(const Event& e) {
  // "get" with reason "reveal" is the CLI's check before it asks for the
  // value; "revealed" is the release itself (by the agent or the CLI).
  if (e.event == "get") return e.reason == "revealed";
  return e.event == "resolve" || e.event == "run" || e.event == "env.decrypt" ||
         e.event == "mask.values";
}

bool is_housekeeping(const Event& e) {
  return e.event.starts_with("audit.") || e.event == "auto-lock";
}

bool Detectors::Window::add(std::int64_t ts, const RateLimit& limit) {
  std::int64_t window_us = limit.window_s * kMicros;
  // An event exactly one window earlier is outside it.
  while (!times.empty() && times.front() <= ts - window_us) times.pop_front();
  if (times.empty()) over = false;
  times.push_back(ts);
  while (static_cast<std::int64_t>(times.size()) > limit.events + 1) times.pop_front();
  if (!over && static_cast<std::int64_t>(times.size()) > limit.events) {
    over = true;
    return true;
  }
  return false;
}

Detectors::Detectors(SuspiciousConfig config, std::unordered_set<std::string> sensitive_paths,
                     std::int64_t since_us)
    : config_(std::move(config)), sensitive_(std::move(sensitive_paths)), since_us_(since_us) {
  ::tzset();  // localtime_r need not read TZ itself
}

void Detectors::observe(const Event& e, std::vector<Finding>& out) {
  if (is_housekeeping(e)) return;
  bool report = e.ts >= since_us_;
  auto add = [&](std::string_view id, std::string summary) {
    out.push_back(Finding{std::string(id), e.seq, e.ts, std::move(summary)});
  };

  if (report) check_hours(e, out);
  check_burst(e, report, out);
  // History before since still updates the state; it is only not reported.
  if (!e.tool.empty() && first_in_lookback(tools_, e.tool, e.ts) && report) {
    add("new_tool",
        fmt::format("first use of tool {} in {}", e.tool, format_duration_s(config_.lookback_s)));
  }
  if (!e.actor.ancestry.empty() && first_in_lookback(parents_, e.actor.ancestry.front(), e.ts) &&
      report) {
    add("new_parent",
        fmt::format("first request from under {} in {}: {} by {}", e.actor.ancestry.front(),
                    format_duration_s(config_.lookback_s), e.event, actor_text(e.actor)));
  }
  if (report && e.outcome == "ok" && e.actor.tty.empty() && e.actor.agent_name.empty() &&
      releases_value(e)) {
    add("non_interactive_no_agent",
        fmt::format("{} released {} to {} with no terminal and no AI agent", e.event,
                    e.secrets.empty() ? std::string("values") : join(e.secrets, ", "),
                    actor_text(e.actor)));
  }
  if (report && e.outcome == "ok" && !e.actor.agent_name.empty() && !sensitive_.empty()) {
    std::vector<std::string> hit;
    for (const auto& path : e.secrets) {
      if (sensitive_.contains(path)) hit.push_back(path);
    }
    if (!hit.empty()) {
      add("agent_read_sensitive",
          fmt::format("{} tagged {} reached agent {}{} through {} by {}", join(hit, ", "),
                      config_.sensitive_tag, e.actor.agent_name,
                      e.actor.agent_via.empty() ? "" : fmt::format(" ({})", e.actor.agent_via),
                      e.event, actor_text(e.actor)));
    }
  }
  if (e.outcome == "denied" && denied_.add(e.ts, config_.denied_spike) && report) {
    add("denied_spike",
        fmt::format("more than {} denied requests within {}; this one: {} by {}{}",
                    config_.denied_spike.events, format_duration_s(config_.denied_spike.window_s),
                    e.event, actor_text(e.actor),
                    e.reason.empty() ? "" : fmt::format(": {}", e.reason)));
  }

  if (++observed_ % kPruneEvery == 0) prune(e.ts);
}

void Detectors::check_hours(const Event& e, std::vector<Finding>& out) const {
  time_t t = static_cast<time_t>(unix_s_of_us(e.ts));
  struct tm local {};
  if (::localtime_r(&t, &local) == nullptr) return;
  int minute = local.tm_hour * 60 + local.tm_min;
  if (config_.working_hours.contains(minute)) return;
  out.push_back(
      Finding{"outside_hours", e.seq, e.ts,
              fmt::format("{} at {:02}:{:02} local time, outside {}", e.event, local.tm_hour,
                          local.tm_min, hours_text(config_.working_hours))});
}

void Detectors::check_burst(const Event& e, bool report, std::vector<Finding>& out) {
  Window& window = actors_[actor_key(e.actor)];
  if (window.add(e.ts, config_.burst) && report) {
    out.push_back(
        Finding{"burst", e.seq, e.ts,
                fmt::format("more than {} events within {} from {}", config_.burst.events,
                            format_duration_s(config_.burst.window_s), actor_text(e.actor))});
  }
}

bool Detectors::first_in_lookback(LastSeen& seen, const std::string& name, std::int64_t ts) const {
  auto [it, inserted] = seen.try_emplace(name, ts);
  if (inserted) return true;
  bool expired = it->second <= ts - config_.lookback_s * kMicros;
  it->second = std::max(it->second, ts);
  return expired;
}

void Detectors::prune(std::int64_t now) {
  std::int64_t burst_edge = now - config_.burst.window_s * kMicros;
  std::erase_if(actors_, [&](const auto& item) { return item.second.last() <= burst_edge; });
  std::int64_t lookback_edge = now - config_.lookback_s * kMicros;
  auto expired = [&](const auto& item) { return item.second <= lookback_edge; };
  std::erase_if(tools_, expired);
  std::erase_if(parents_, expired);
}

Result<std::vector<Finding>> find_suspicious(const std::vector<std::string>& files,
                                             const SuspiciousConfig& config,
                                             std::unordered_set<std::string> sensitive_paths,
                                             std::int64_t since_us) {
  Detectors detectors(config, std::move(sensitive_paths), since_us);
  std::vector<Finding> findings;
  TRY(for_each_event(files, [&](const Event& e, std::string_view) {
    detectors.observe(e, findings);
    return true;
  }));
  return findings;
}

}  // namespace ward::audit
