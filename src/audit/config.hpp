// The user's settings for the audit detectors: the `audit: suspicious:`
// section of $XDG_CONFIG_HOME/ward/config.yaml.
//
// The file is the user's own: it is read only from config_dir(), never from
// a project, and refused (denied) when someone else owns it or when anyone
// but its owner can write it or its directory, since an agent that could
// rewrite the thresholds could silence the detectors. Every key of the
// section is optional; an unknown key is an error naming it, so a typo does
// not silently leave a default in place. Other sections of the file belong
// to other parts of ward and are not looked at here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ward::audit {

// A daily window of local time, [start, end) in minutes since midnight.
// end < start wraps midnight ("22:00-06:00"); end may be 24:00.
struct WorkingHours {
  int start_min = 8 * 60;
  int end_min = 20 * 60;
  bool contains(int minute_of_day) const;
};

// "More than events in window_s seconds".
struct RateLimit {
  std::int64_t events = 0;
  std::int64_t window_s = 0;
};

struct SuspiciousConfig {
  WorkingHours working_hours;
  RateLimit burst{30, 60};
  std::int64_t lookback_s = 30 * 86400;
  RateLimit denied_spike{5, 600};
  std::string sensitive_tag = "sensitive";
};

// "HH:MM-HH:MM" (24-hour clock). invalid_input when malformed or empty.
Result<WorkingHours> parse_working_hours(std::string_view text);

// Parses a whole config file's text; source names it in messages
// ("FILE:LINE: ..."). Defaults for what is absent; invalid_input for YAML
// errors, wrong shapes, bad values and unknown keys of the section.
Result<SuspiciousConfig> parse_suspicious_config(std::string_view text, const std::string& source);

// Loads path (defaults when it does not exist). denied when the file is
// not ours, is a symlink, or it or its directory is group/world-writable.
Result<SuspiciousConfig> load_suspicious_config(const std::string& path);

}  // namespace ward::audit
