// Fuzzes Scanner::scan with ward's default rules (built once): it must never
// crash, and every finding lies inside the input, names a rule, and has the
// line and column its offset has in the text. Findings come in order of
// offset, and those of Overlaps::resolve are findings of Overlaps::keep.
// The first input byte picks the file path, so that the rules' path
// allow-lists take part.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <tuple>

#include "scan/engine.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const ward::scan::Scanner& scanner() {
  static ward::scan::Scanner built = [] {
    auto rules = ward::scan::default_rules();
    check(rules.has_value());
    auto s = ward::scan::Scanner::build(std::move(*rules));
    check(s.has_value());
    return std::move(*s);
  }();
  return built;
}

void check_position(std::string_view text, const ward::scan::Finding& f) {
  check(f.rule < scanner().rules().rules.size());
  check(f.length > 0 && f.offset + f.length <= text.size());
  std::size_t line = 1, line_start = 0;
  for (std::size_t i = 0; i < f.offset; ++i) {
    if (text[i] == '\n') ++line, line_start = i + 1;
  }
  check(f.line == line);
  check(f.column == f.offset - line_start + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string_view paths[] = {"", "src/config.py", "docs/README.md",
                                           "test/fixtures/keys.txt"};
  std::string_view path = size > 0 ? paths[data[0] % 4] : paths[0];
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const ward::scan::Scanner& s = scanner();
  static auto scratch = s.make_scratch();

  auto kept = s.scan(text, path, *scratch, ward::scan::Scanner::Overlaps::keep);
  std::set<std::tuple<std::size_t, std::size_t, std::size_t>> all;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    check_position(text, kept[i]);
    if (i > 0) check(kept[i - 1].offset <= kept[i].offset);
    all.emplace(kept[i].rule, kept[i].offset, kept[i].length);
  }

  auto resolved = s.scan(text, path, *scratch, ward::scan::Scanner::Overlaps::resolve);
  check(resolved.size() <= kept.size());
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    const auto& f = resolved[i];
    check_position(text, f);
    check(all.count({f.rule, f.offset, f.length}) == 1);
    if (i > 0) check(resolved[i - 1].offset <= f.offset);
  }
  return 0;
}
