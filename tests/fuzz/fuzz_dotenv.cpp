// Fuzzes parse_dotenv: it must never crash, and on success its output must
// hold the parser's invariants and survive a round trip through double quotes.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_set>

#include "vault/dotenv.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool valid_name(std::string_view name) {
  auto start = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (name.empty() || !start(name.front())) return false;
  for (char c : name) {
    if (!start(c) && !(c >= '0' && c <= '9') && c != '.') return false;
  }
  return true;
}

// Error text is built only from line numbers, fixed words and names, so it is
// printable ASCII; anything else means input bytes leaked into it.
bool printable_ascii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void append(ward::SecretBytes& out, std::string_view text) {
  out.append(text.data(), text.size());
}

// NAME="escaped value"\n for every entry, in SecretBytes like the real input.
ward::SecretBytes serialize(const std::vector<ward::DotenvEntry>& entries) {
  ward::SecretBytes out;
  for (const auto& entry : entries) {
    append(out, entry.name);
    append(out, "=\"");
    for (char c : entry.value.view()) {
      switch (c) {
        case '"':
          append(out, "\\\"");
          break;
        case '\\':
          append(out, "\\\\");
          break;
        case '\r':
          append(out, "\\r");
          break;
        default:
          out.append(&c, 1);
          break;
      }
    }
    append(out, "\"\n");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ward::SecretBytes input = ward::SecretBytes::copy_of(data, size);
  std::string_view text = input.view();
  auto result = ward::parse_dotenv(text);
  if (!result) {
    check(result.error().code == ward::Code::invalid_input);
    check(result.error().message.starts_with("line "));
    check(printable_ascii(result.error().message));
    check(printable_ascii(result.error().hint));
    return 0;
  }

  int lines = 1;
  for (char c : text) lines += c == '\n';
  std::unordered_set<std::string_view> seen;
  for (const auto& entry : *result) {
    check(valid_name(entry.name));
    check(seen.insert(entry.name).second);
    check(entry.line >= 1 && entry.line <= lines);
    check(entry.value.size() <= size);
  }

  ward::SecretBytes again = serialize(*result);
  auto reparsed = ward::parse_dotenv(again.view());
  check(reparsed.has_value());
  check(reparsed->size() == result->size());
  for (std::size_t i = 0; i < result->size(); ++i) {
    check((*reparsed)[i].name == (*result)[i].name);
    check((*reparsed)[i].value.equals((*result)[i].value));
  }
  return 0;
}
