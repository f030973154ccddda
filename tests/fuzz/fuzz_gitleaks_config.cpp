// Fuzzes parse_gitleaks_config: it must never crash. An error is
// invalid_input naming the origin; a success holds the loader's promises
// (every rule has an id and a regex, keywords and stopwords are lower case
// and not empty, the secret group is one the engine captures, entropy is a
// finite number), and a small result builds into a Scanner, which then scans
// the input itself. Large results (with [extend] useDefault) skip the build:
// it takes seconds.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scan/engine.hpp"
#include "scan/gitleaks.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool lower_case(std::string_view text) {
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

void check_words(const std::vector<std::string>& words) {
  for (const auto& w : words) check(!w.empty() && lower_case(w));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = ward::scan::parse_gitleaks_config(text, "fuzz.toml");
  if (!result) {
    check(result.error().code == ward::Code::invalid_input);
    check(result.error().message.starts_with("fuzz.toml:"));
    return 0;
  }
  const ward::scan::RuleSet& set = result->rules;
  check_words(set.allow.stopwords);
  for (const auto& rule : set.rules) {
    check(!rule.id.empty());
    check(!rule.regex.empty());
    check(rule.secret_group >= 0 && rule.secret_group <= 15);
    check(std::isfinite(rule.entropy) && rule.entropy >= 0);
    check_words(rule.keywords);
    check_words(rule.allow.stopwords);
  }
  if (set.rules.size() > 8) return 0;
  auto scanner = ward::scan::Scanner::build(set);
  check(scanner.has_value());
  auto scratch = scanner->make_scratch();
  for (const auto& f : scanner->scan(text, "fuzz.toml", *scratch)) {
    check(f.rule < set.rules.size());
    check(f.length > 0 && f.offset + f.length <= text.size());
  }
  return 0;
}
