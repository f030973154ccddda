// Time: wall clock in microseconds, durations ("30m", "8h", "90d") and dates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ward {

std::int64_t now_unix_us();
std::int64_t now_unix_s();
std::int64_t monotonic_ms();

// "45s", "30m", "8h", "90d", "2w", or a bare number of seconds. invalid_input otherwise.
Result<std::int64_t> parse_duration_s(std::string_view text);
// "90d" style, the largest unit that divides the value exactly.
std::string format_duration_s(std::int64_t seconds);

// "2026-12-31" (midnight UTC) or RFC 3339 "2026-12-31T10:00:00Z"/"+01:00" -> unix seconds.
Result<std::int64_t> parse_date(std::string_view text);
// RFC 3339 in UTC, seconds precision: "2026-11-24T13:59:23Z".
std::string format_rfc3339(std::int64_t unix_s);

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
// The whole seconds of a time in microseconds, rounded down (before 1970 too).
constexpr std::int64_t unix_s_of_us(std::int64_t us) {
  return us >= 0 ? us / kMicrosPerSecond : (us - kMicrosPerSecond + 1) / kMicrosPerSecond;
}
// format_rfc3339 of a time in microseconds.
std::string format_rfc3339_us(std::int64_t unix_us);

}  // namespace ward
