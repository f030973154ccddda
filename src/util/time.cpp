#include "util/time.hpp"

#include <time.h>

#include <charconv>
#include <cstdio>

#include <fmt/format.h>

namespace ward {

std::int64_t now_unix_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::int64_t now_unix_s() {
  return now_unix_us() / 1000000;
}

std::int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Result<std::int64_t> parse_duration_s(std::string_view text) {
  if (text.empty()) return fail(Code::invalid_input, "empty duration");
  std::int64_t multiplier = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 's':
      multiplier = 1;
      digits.remove_suffix(1);
      break;
    case 'm':
      multiplier = 60;
      digits.remove_suffix(1);
      break;
    case 'h':
      multiplier = 3600;
      digits.remove_suffix(1);
      break;
    case 'd':
      multiplier = 86400;
      digits.remove_suffix(1);
      break;
    case 'w':
      multiplier = 7 * 86400;
      digits.remove_suffix(1);
      break;
    default:
      break;
  }
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || value <= 0 ||
      value > (std::int64_t{1} << 40) / multiplier) {
    return fail(Code::invalid_input, fmt::format("invalid duration '{}'", text),
                "use a number with a unit: 45s, 30m, 8h, 90d, 2w");
  }
  return value * multiplier;
}

std::string format_duration_s(std::int64_t seconds) {
  if (seconds > 0 && seconds % 86400 == 0) return fmt::format("{}d", seconds / 86400);
  if (seconds > 0 && seconds % 3600 == 0) return fmt::format("{}h", seconds / 3600);
  if (seconds > 0 && seconds % 60 == 0) return fmt::format("{}m", seconds / 60);
  return fmt::format("{}s", seconds);
}

Result<std::int64_t> parse_date(std::string_view text) {
  std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, consumed = 0;
  long offset = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10) {
    return fail(Code::invalid_input, fmt::format("invalid date '{}'", text),
                "use YYYY-MM-DD or RFC 3339 (2026-12-31T10:00:00Z)");
  }
  std::string rest = s.substr(10);
  if (!rest.empty()) {
    int n = 0;
    if ((rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ') ||
        std::sscanf(rest.c_str() + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3) {
      return fail(Code::invalid_input, fmt::format("invalid date '{}'", text),
                  "use YYYY-MM-DD or RFC 3339 (2026-12-31T10:00:00Z)");
    }
    std::string zone = rest.substr(1 + static_cast<std::size_t>(n));
    if (!zone.empty() && zone[0] == '.') {  // fractional seconds are ignored
      std::size_t i = 1;
      while (i < zone.size() && zone[i] >= '0' && zone[i] <= '9') ++i;
      zone = zone.substr(i);
    }
    int zh = 0, zm = 0;
    if (zone == "Z" || zone == "z") {
      offset = 0;
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
               std::sscanf(zone.c_str() + 1, "%2d:%2d", &zh, &zm) == 2) {
      offset = (zh * 3600L + zm * 60L) * (zone[0] == '-' ? -1 : 1);
    } else {
      return fail(Code::invalid_input, fmt::format("invalid time zone in '{}'", text),
                  "end the time with Z or +HH:MM");
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return fail(Code::invalid_input, fmt::format("invalid date '{}'", text));
  }
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

std::string format_rfc3339_us(std::int64_t unix_us) {
  return format_rfc3339(unix_s_of_us(unix_us));
}

std::string format_rfc3339(std::int64_t unix_s) {
  time_t t = static_cast<time_t>(unix_s);
  struct tm tm {};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace ward
