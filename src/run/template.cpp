// A template is parsed in two steps: parse_dotenv does the dotenv syntax
// (quotes, escapes, comments, `export`), then each value, still in
// SecretBytes, is split into literal slices and references. Whole-value forms
// (ward://, op://) are recognised first; otherwise the value is scanned for
// `${ward:` and `${kms:` openings, each closed by the next '}'. A value
// containing such an opening without a closing brace is an error rather than a
// literal, so that a typo never sends "${ward:prod/db" to a child as text.
#include "run/template.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "crypto/secret_io.hpp"
#include "util/strings.hpp"
#include "vault/dotenv.hpp"
#include "vault/secret_path.hpp"

namespace ward {

namespace {

constexpr std::string_view kWardScheme = "ward://";
constexpr std::string_view kOpScheme = "op://";
constexpr std::string_view kOpHint = "a 1Password reference is op://VAULT/ITEM/FIELD";

// The openings of an embedded reference; both mean the same thing.
constexpr std::string_view kOpenings[] = {"${ward:", "${kms:"};

// The length of the reference opening at value[pos], or 0.
std::size_t opening_at(std::string_view value, std::size_t pos) {
  for (std::string_view opening : kOpenings) {
    if (value.substr(pos).starts_with(opening)) return opening.size();
  }
  return 0;
}

void add_literal(std::vector<TemplatePart>& parts, std::string_view slice) {
  if (slice.empty()) return;
  if (!parts.empty() && !parts.back().is_ref) {
    parts.back().literal.append(slice.data(), slice.size());
    return;
  }
  TemplatePart part;
  part.literal = SecretBytes::copy_of(slice.data(), slice.size());
  parts.push_back(std::move(part));
}

Status add_ref(std::vector<TemplatePart>& parts, std::string path, int line,
               const std::string& var) {
  // The path is part of the value: the message names only line and variable.
  if (auto valid = validate_secret_path(path); !valid) {
    return fail(Code::invalid_input,
                fmt::format("line {}: invalid secret path in the reference of {}", line, var),
                valid.error().hint);
  }
  TemplatePart part;
  part.is_ref = true;
  part.path = std::move(path);
  parts.push_back(std::move(part));
  return {};
}

Result<std::vector<TemplatePart>> split_value(std::string_view value, int line,
                                              const std::string& var) {
  std::vector<TemplatePart> parts;
  if (value.starts_with(kWardScheme)) {
    TRY(add_ref(parts, std::string(value.substr(kWardScheme.size())), line, var));
    return parts;
  }
  if (value.starts_with(kOpScheme)) {
    auto path = op_reference_path(value);
    if (!path) {
      return fail(Code::invalid_input,
                  fmt::format("line {}: {} in {}", line, path.error().message, var),
                  path.error().hint);
    }
    TRY(add_ref(parts, std::move(*path), line, var));
    return parts;
  }
  std::size_t literal_start = 0;
  std::size_t pos = 0;
  while ((pos = value.find("${", pos)) != std::string_view::npos) {
    std::size_t opening = opening_at(value, pos);
    if (opening == 0) {
      pos += 2;  // `${OTHER}` stays literal
      continue;
    }
    std::size_t close = value.find('}', pos + opening);
    if (close == std::string_view::npos) {
      return fail(Code::invalid_input,
                  fmt::format("line {}: unterminated ${{ward:...}} reference in {}", line, var),
                  "close the reference with '}', as in ${ward:prod/db/password}");
    }
    add_literal(parts, value.substr(literal_start, pos - literal_start));
    TRY(add_ref(parts, std::string(value.substr(pos + opening, close - pos - opening)), line, var));
    pos = literal_start = close + 1;
  }
  add_literal(parts, value.substr(literal_start));
  return parts;
}

// One segment of an op:// reference mapped to a path segment.
std::string map_op_segment(std::string_view segment) {
  std::string out;
  for (char c : segment) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    if (keep) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';  // '-' itself, and every other byte; runs collapse
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

std::vector<std::string> TemplateEntry::paths() const {
  std::vector<std::string> out;
  for (const auto& part : parts) {
    if (part.is_ref && std::find(out.begin(), out.end(), part.path) == out.end()) {
      out.push_back(part.path);
    }
  }
  return out;
}

Result<std::string> op_reference_path(std::string_view reference) {
  if (!reference.starts_with(kOpScheme)) {
    return fail(Code::invalid_input, "not a 1password reference", std::string(kOpHint));
  }
  std::string_view rest = reference.substr(kOpScheme.size());
  if (rest.find('?') != std::string_view::npos) {
    return fail(Code::invalid_input, "1password reference attributes ('?...') are not supported",
                "reference the field itself, as op://VAULT/ITEM/FIELD");
  }
  std::vector<std::string> segments = split(rest, '/');
  if (segments.size() != 3 && segments.size() != 4) {
    return fail(Code::invalid_input, "malformed 1password reference", std::string(kOpHint));
  }
  if (segments.size() == 4) segments.erase(segments.begin() + 2);  // the section
  for (auto& segment : segments) segment = map_op_segment(segment);
  std::string path = join(segments, "/");
  if (auto valid = validate_secret_path(path); !valid) {
    return fail(Code::invalid_input, "1password reference maps to an invalid secret path",
                valid.error().hint);
  }
  return path;
}

Result<std::vector<TemplateEntry>> parse_template(std::string_view text) {
  std::vector<DotenvEntry> assignments = TRY(parse_dotenv(text));
  std::vector<TemplateEntry> entries;
  entries.reserve(assignments.size());
  for (auto& assignment : assignments) {
    TemplateEntry entry;
    entry.var = std::move(assignment.name);
    entry.line = assignment.line;
    entry.parts = TRY(split_value(assignment.value.view(), entry.line, entry.var));
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::vector<TemplateEntry>> load_template_file(const std::string& path) {
  SecretBytes text = TRY(read_secret_file(path));
  auto entries = parse_template(text.view());
  if (!entries) {
    Error error = std::move(entries).error();
    error.message = fmt::format("{}: {}", path, error.message);
    return tl::unexpected<Error>(std::move(error));
  }
  return entries;
}

Result<SecretBytes> render_entry(
    const TemplateEntry& e, const std::function<Result<SecretBytes>(const std::string&)>& resolve) {
  SecretBytes out;
  for (const auto& part : e.parts) {
    if (!part.is_ref) {
      out.append(part.literal.data(), part.literal.size());
      continue;
    }
    SecretBytes value = TRY(resolve(part.path));
    out.append(value.data(), value.size());
  }
  return out;
}

std::optional<std::string> reference_path(std::string_view value) {
  if (value.starts_with(kWardScheme)) return std::string(value.substr(kWardScheme.size()));
  std::size_t opening = opening_at(value, 0);
  if (opening == 0 || !value.ends_with('}')) return std::nullopt;
  std::string_view path = value.substr(opening, value.size() - opening - 1);
  if (path.find('}') != std::string_view::npos) return std::nullopt;
  return std::string(path);
}

}  // namespace ward
