// Fuzzes the audit user config parser: it must never crash or let a
// yaml-cpp exception escape, and what it accepts must hold the invariants
// the detectors rely on. Also feeds the input to the report's HTML escaper,
// whose output must never contain a character that could open markup.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/config.hpp"
#include "audit/report.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = ward::audit::parse_suspicious_config(text, "config.yaml");
  if (config) {
    const auto& hours = config->working_hours;
    check(hours.start_min >= 0 && hours.start_min < 24 * 60);
    check(hours.end_min >= 0 && hours.end_min <= 24 * 60);
    check(hours.start_min != hours.end_min);
    check(config->burst.events > 0 && config->burst.window_s > 0);
    check(config->denied_spike.events > 0 && config->denied_spike.window_s > 0);
    check(config->lookback_s > 0);
    check(!config->sensitive_tag.empty());
  } else {
    check(config.error().code == ward::Code::invalid_input);
  }
  std::string escaped = ward::audit::html_escape(text);
  check(escaped.find_first_of("<>\"'") == std::string::npos);
  return 0;
}
