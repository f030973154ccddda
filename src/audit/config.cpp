// Reading the `audit: suspicious:` section. yaml-cpp reports syntax errors
// by throwing; every call into it happens inside one try block and nothing
// thrown leaves this file. The file is opened once (O_NOFOLLOW) and checked
// through that descriptor, so the bytes parsed are those of the file whose
// owner and mode were checked.
#include "audit/config.hpp"

#include <charconv>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/paths.hpp"
#include "core/yaml_errors.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"
#include "util/time.hpp"

namespace ward::audit {

namespace {

constexpr std::int64_t kMaxCount = 1'000'000'000;
// Ten years: longer windows would overflow when counted in microseconds.
constexpr std::int64_t kMaxDuration = 3650ll * 86400;
constexpr std::string_view kSectionKeys =
    "working_hours, burst, lookback, denied_spike, sensitive_tag";

// "HH:MM" -> minutes; allow_24 accepts "24:00".
bool parse_clock(std::string_view text, bool allow_24, int& minutes) {
  if (text.size() != 5 || text[2] != ':') return false;
  for (std::size_t i : {0u, 1u, 3u, 4u}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  int hours = (text[0] - '0') * 10 + (text[1] - '0');
  int mins = (text[3] - '0') * 10 + (text[4] - '0');
  if (mins > 59) return false;
  if (hours == 24 && mins == 0 && allow_24) {
    minutes = 24 * 60;
    return true;
  }
  if (hours > 23) return false;
  minutes = hours * 60 + mins;
  return true;
}

class ConfigParser : public YamlErrors {
 public:
  explicit ConfigParser(std::string source) : YamlErrors(std::move(source)) {}

  Result<SuspiciousConfig> run(std::string_view text) {
    SuspiciousConfig config;
    YAML::Node root = YAML::Load(std::string(text));
    if (!root || root.IsNull()) return config;
    if (!root.IsMap()) return error(root, "expected a map at the top level");
    YAML::Node audit = child(root, "audit");
    if (!audit || audit.IsNull()) return config;
    if (!audit.IsMap()) return error(audit, "'audit' must be a map");
    YAML::Node section = child(audit, "suspicious");
    if (!section || section.IsNull()) return config;
    if (!section.IsMap()) return error(section, "'audit.suspicious' must be a map");

    std::set<std::string> seen;
    for (const auto& item : section) {
      std::string key = item.first.IsScalar() ? item.first.Scalar() : std::string();
      if (!seen.insert(key).second) {
        return error(item.first, fmt::format("duplicate key 'audit.suspicious.{}'", key));
      }
      const YAML::Node& value = item.second;
      if (key == "working_hours") {
        std::string text_value = TRY(scalar(value, "audit.suspicious.working_hours"));
        auto hours = parse_working_hours(text_value);
        if (!hours) return error(value, hours.error().message, hours.error().hint);
        config.working_hours = *hours;
      } else if (key == "burst") {
        config.burst = TRY(rate_limit(value, "audit.suspicious.burst"));
      } else if (key == "denied_spike") {
        config.denied_spike = TRY(rate_limit(value, "audit.suspicious.denied_spike"));
      } else if (key == "lookback") {
        config.lookback_s = TRY(duration(value, "audit.suspicious.lookback"));
      } else if (key == "sensitive_tag") {
        std::string tag = TRY(scalar(value, "audit.suspicious.sensitive_tag"));
        if (tag.empty() || tag.find(',') != std::string::npos) {
          return error(value, "'audit.suspicious.sensitive_tag' must be a non-empty word",
                       "a tag as given to 'ward set --tag'");
        }
        config.sensitive_tag = tag;
      } else {
        return error(item.first, fmt::format("unknown key 'audit.suspicious.{}'", key),
                     fmt::format("the keys are {}", kSectionKeys));
      }
    }
    return config;
  }

 private:
  // The value of key in map, or an undefined node (no operator[], which
  // would insert into a const-less node and throw on a non-map).
  static YAML::Node child(const YAML::Node& map, std::string_view key) {
    for (const auto& item : map) {
      if (item.first.IsScalar() && item.first.Scalar() == key) return item.second;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  Result<std::string> scalar(const YAML::Node& node, std::string_view key) const {
    if (!node.IsScalar()) return error(node, fmt::format("'{}' must be a single value", key));
    return node.Scalar();
  }

  Result<std::int64_t> duration(const YAML::Node& node, std::string_view key) const {
    std::string text = TRY(scalar(node, key));
    auto seconds = parse_duration_s(text);
    if (!seconds || *seconds <= 0 || *seconds > kMaxDuration) {
      return error(node, fmt::format("'{}' must be a positive duration up to 3650d", key),
                   "write e.g. 45s, 10m, 8h, 30d or 2w");
    }
    return *seconds;
  }

  Result<std::int64_t> count(const YAML::Node& node, std::string_view key) const {
    std::string text = TRY(scalar(node, key));
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || ptr != text.data() + text.size() || n <= 0 || n > kMaxCount) {
      return error(node, fmt::format("'{}' must be a positive whole number", key));
    }
    return n;
  }

  Result<RateLimit> rate_limit(const YAML::Node& node, std::string_view key) const {
    if (!node.IsMap()) {
      return error(node, fmt::format("'{}' must be a map", key),
                   "write '{events: 30, window: 60s}'");
    }
    RateLimit limit;
    bool have_events = false, have_window = false;
    for (const auto& item : node) {
      std::string sub = item.first.IsScalar() ? item.first.Scalar() : std::string();
      std::string name = fmt::format("{}.{}", key, sub);
      if (sub == "events" && !have_events) {
        limit.events = TRY(count(item.second, name));
        have_events = true;
      } else if (sub == "window" && !have_window) {
        limit.window_s = TRY(duration(item.second, name));
        have_window = true;
      } else if (sub == "events" || sub == "window") {
        return error(item.first, fmt::format("duplicate key '{}'", name));
      } else {
        return error(item.first, fmt::format("unknown key '{}'", name),
                     "the keys are events, window");
      }
    }
    if (!have_events || !have_window) {
      return error(node, fmt::format("'{}' needs both events and window", key),
                   "write '{events: 30, window: 60s}'");
    }
    return limit;
  }
};

}  // namespace

bool WorkingHours::contains(int minute_of_day) const {
  if (start_min < end_min) return minute_of_day >= start_min && minute_of_day < end_min;
  return minute_of_day >= start_min || minute_of_day < end_min;  // wraps midnight
}

Result<WorkingHours> parse_working_hours(std::string_view text) {
  constexpr std::string_view kHint = "write 'HH:MM-HH:MM', e.g. \"08:00-20:00\" or \"22:00-06:00\"";
  WorkingHours hours;
  if (text.size() != 11 || text[5] != '-' ||
      !parse_clock(text.substr(0, 5), false, hours.start_min) ||
      !parse_clock(text.substr(6), true, hours.end_min)) {
    return fail(Code::invalid_input, fmt::format("invalid working_hours '{}'", text),
                std::string(kHint));
  }
  if (hours.start_min == hours.end_min) {
    return fail(Code::invalid_input, fmt::format("working_hours '{}' starts where it ends", text),
                "use \"00:00-24:00\" for the whole day");
  }
  return hours;
}

Result<SuspiciousConfig> parse_suspicious_config(std::string_view text, const std::string& source) {
  ConfigParser parser(source);
  return parser.guarded([&] { return parser.run(text); });
}

Result<SuspiciousConfig> load_suspicious_config(const std::string& path) {
  auto text = TRY(read_owned_file(path, kMaxUserConfigSize));
  if (!text) return SuspiciousConfig{};
  return parse_suspicious_config(*text, path);
}

}  // namespace ward::audit
