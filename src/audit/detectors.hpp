// Detectors: rules that flag audit events worth a human's second look
// (`ward audit suspicious`, the report's highlights).
//
// They run as one streaming pass over the chain in seq order with bounded
// state, so a log of a million events costs one read and a few maps whose
// size depends on what is active within a window or the lookback, not on
// the log's length. Housekeeping events are ignored: those whose name
// starts with "audit." (the log's own bookkeeping) and "auto-lock" (the
// agent's idle timer, which no process asked for). Every event is remembered, but only events at
// or after `since` are reported: history before it still informs new_tool
// and new_parent. An event may have several findings. The detectors, by
// stable id:
//
//   outside_hours  the event's local time (TZ) is outside working_hours.
//   burst          more than burst.events events from one actor within
//                  burst.window. The actor is (uid, sid, exe, agent name):
//                  every `ward get` is a new pid, so a pid would split a
//                  loop into one-event actors, while the session groups the
//                  calls a terminal, script or agent makes; with no session
//                  (sid 0) the parent pid stands in. Reported once per
//                  burst, at the event that crossed the limit; the actor
//                  can burst again once its window falls back to the limit.
//   new_tool       event.tool was not seen in the lookback before it.
//   new_parent     the actor's nearest ancestor (ancestry[0]) was not seen
//                  in the lookback before it.
//   non_interactive_no_agent  a value-releasing event (see
//                  releases_value) that succeeded for a process with no
//                  terminal and no AI agent: a script or daemon nobody
//                  watched.
//   agent_read_sensitive  a secret tagged sensitive was named in an event
//                  that succeeded for a process under an AI agent.
//   denied_spike   more than denied_spike.events denied outcomes (from
//                  anyone) within denied_spike.window; once per spike.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "audit/config.hpp"
#include "audit/event.hpp"
#include "util/result.hpp"

namespace ward::audit {

struct Finding {
  std::string detector;  // stable id, e.g. "burst"
  std::int64_t seq = 0;
  std::int64_t ts = 0;  // the event's, unix microseconds
  std::string summary;  // one line for people; names from the log, unescaped
};

// The stable ids, in the order findings of one event are reported.
const std::vector<std::string_view>& detector_ids();

// An event that hands out a value: get with reason "revealed", resolve,
// run, env.decrypt and mask.values.
bool releases_value(const Event& e);

// audit.* and auto-lock: left out by the detectors and the report.
bool is_housekeeping(const Event& e);

class Detectors {
 public:
  // sensitive_paths: the secrets tagged config.sensitive_tag. Events before
  // since_us (unix microseconds) are remembered but not reported.
  Detectors(SuspiciousConfig config, std::unordered_set<std::string> sensitive_paths,
            std::int64_t since_us = INT64_MIN);

  // Feeds the next event (seq order); appends its findings to out.
  void observe(const Event& e, std::vector<Finding>& out);

 private:
  // A sliding window holding at most limit+1 timestamps: enough to tell
  // whether more than limit fell within it.
  struct Window {
    std::deque<std::int64_t> times;
    bool over = false;  // reported; quiet until it falls back to the limit
    // Adds ts; true when this event takes the window over the limit.
    bool add(std::int64_t ts, const RateLimit& limit);
    std::int64_t last() const { return times.empty() ? INT64_MIN : times.back(); }
  };
  using LastSeen = std::unordered_map<std::string, std::int64_t>;

  void check_hours(const Event& e, std::vector<Finding>& out) const;
  void check_burst(const Event& e, bool report, std::vector<Finding>& out);
  // Updates seen[name]; true when name was not seen in the lookback.
  bool first_in_lookback(LastSeen& seen, const std::string& name, std::int64_t ts) const;
  void prune(std::int64_t now);

  SuspiciousConfig config_;
  std::unordered_set<std::string> sensitive_;
  std::int64_t since_us_;
  std::unordered_map<std::string, Window> actors_;
  Window denied_;
  LastSeen tools_, parents_;
  std::int64_t observed_ = 0;
};

// The findings for the chain in files (oldest first): one pass with
// for_each_event. corrupt when a line does not parse.
Result<std::vector<Finding>> find_suspicious(const std::vector<std::string>& files,
                                             const SuspiciousConfig& config,
                                             std::unordered_set<std::string> sensitive_paths,
                                             std::int64_t since_us = INT64_MIN);

}  // namespace ward::audit
