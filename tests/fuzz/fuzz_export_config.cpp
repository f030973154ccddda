// Fuzzes the parsers of the OTLP export: the audit.export section of the
// user config, endpoint URLs, the header lines of the headers secret and
// Retry-After values. None may crash; what they accept must hold their rules.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/curl_loader.hpp"
#include "audit/export_config.hpp"
#include "audit/exporter.hpp"
#include "util/strings.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_config(std::string_view text) {
  auto result = ward::audit::parse_export_config(text, "config.yaml");
  if (!result) {
    check(result.error().code == ward::Code::invalid_input);
    check(result.error().message.starts_with("config.yaml"));
    return;
  }
  if (!result->has_value()) return;
  const auto& c = **result;
  check(c.batch >= 1 && c.batch <= 1000 && c.queue >= c.batch);
  check(c.timeout_ms >= 1000 && c.timeout_ms <= 300000);
  check(!c.service_name.empty());
  auto again = ward::audit::check_endpoint(c.endpoint);
  check(again.has_value() && *again == c.endpoint);
}

void check_endpoint(std::string_view text) {
  auto url = ward::audit::check_endpoint(text);
  if (!url) return;
  std::string scheme = ward::to_lower(url->substr(0, 8));
  check(scheme.starts_with("https://") || scheme.starts_with("http://"));
  // No credentials: '@' may appear in the path, never in the authority.
  std::string_view rest = std::string_view(*url).substr(scheme.starts_with("https://") ? 8 : 7);
  check(rest.substr(0, rest.find_first_of("/?#")).find('@') == std::string_view::npos);
  for (char c : *url) check(c > ' ' && c < 0x7f);
}

void check_headers(std::string_view text) {
  ward::SecretBytes input = ward::SecretBytes::copy_of(text.data(), text.size());
  auto lines = ward::audit::split_header_lines(input);
  if (!lines) {
    check(lines.error().code == ward::Code::invalid_input);
    check(lines.error().message.starts_with("line "));
    return;
  }
  for (const auto& line : *lines) {
    std::string_view v = line.view();
    check(!v.empty() && v.back() == '\0');
    v.remove_suffix(1);
    check(v.find('\0') == std::string_view::npos);
    check(v.find('\n') == std::string_view::npos && v.find('\r') == std::string_view::npos);
    check(v.find(':') != std::string_view::npos && v.front() != ':');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_config(text);
  check_endpoint(text);
  check_headers(text);
  auto ms = ward::audit::parse_retry_after_ms(text, 1764000000);
  check(!ms || *ms >= 0);
  return 0;
}
