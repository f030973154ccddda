// Fuzzes the `ward run` parsers of project files: parse_template must never
// crash and every path it returns must be a valid secret path; its errors must
// not quote input bytes. parse_allowlist on the same bytes must never throw
// or crash, and what it accepts must hold its invariants.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "run/allowlist.hpp"
#include "run/template.hpp"
#include "vault/secret_path.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool printable_ascii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void fuzz_template(std::string_view text) {
  auto result = ward::parse_template(text);
  if (!result) {
    check(result.error().code == ward::Code::invalid_input);
    check(result.error().message.starts_with("line "));
    check(printable_ascii(result.error().message));
    return;
  }
  for (const auto& entry : *result) {
    for (const auto& part : entry.parts) {
      if (part.is_ref) {
        check(ward::validate_secret_path(part.path).has_value());
      } else {
        check(!part.literal.empty());
      }
    }
    for (const auto& path : entry.paths()) check(ward::validate_secret_path(path).has_value());
    auto rendered = ward::render_entry(entry, [](const std::string& path) {
      return ward::Result<ward::SecretBytes>(ward::SecretBytes::from_view(path));
    });
    check(rendered.has_value());
  }
}

void fuzz_allowlist(std::string_view text) {
  auto result = ward::parse_allowlist(text, "allowlist.yaml");
  if (!result) {
    check(result.error().code == ward::Code::invalid_input);
    check(result.error().message.starts_with("allowlist.yaml"));
    return;
  }
  for (const auto& rule : result->rules) {
    check(!rule.key.empty());
    check(!rule.sha256 || rule.sha256->size() == 64);
    for (const auto& pattern : rule.allow) check(!pattern.empty());
    check(result->rule_for(rule.key) != nullptr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ward::SecretBytes input = ward::SecretBytes::copy_of(data, size);
  std::string_view text = input.view();
  fuzz_template(text);
  fuzz_allowlist(text);
  (void)ward::reference_path(text);
  return 0;
}
