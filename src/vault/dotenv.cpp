// A single-pass cursor parser over the whole text (not line by line, because a
// double-quoted value may span lines). Each statement is
//
//   [blanks] [export blanks] NAME [blanks] = [blanks] VALUE [blanks] [# comment]
//
// where VALUE is unquoted (up to a ` #` comment, trimmed), 'single' or
// `backtick` quoted (literal, one line) or "double" quoted (escapes, may span
// lines). The input is secret: values are copied only into SecretBytes, and no
// error message quotes any part of the input except a validated name.
#include "vault/dotenv.hpp"

#include <cstdint>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

namespace ward {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr std::string_view kNameHint =
    "a name starts with a letter or '_' and contains only letters, digits, '_' and '.'";

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '.';
}

SecretBytes secret_of(std::string_view slice) {
  if (slice.empty()) return SecretBytes();
  return SecretBytes::copy_of(slice.data(), slice.size());
}

// Unescapes the body of a double-quoted value into out (when not null) and
// returns its length. Known escapes: \n \r \t \" \\ \$; any other backslash is
// kept as is. CRLF inside the value becomes LF. The body never ends in an
// unpaired backslash (the scanner has seen the closing quote after it).
std::size_t unescape_double(std::string_view body, std::uint8_t* out) {
  std::size_t n = 0;
  auto put = [&](char c) {
    if (out) out[n] = static_cast<std::uint8_t>(c);
    ++n;
  };
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\' && i + 1 < body.size()) {
      char next = body[i + 1];
      char mapped = 0;
      switch (next) {
        case 'n':
          mapped = '\n';
          break;
        case 'r':
          mapped = '\r';
          break;
        case 't':
          mapped = '\t';
          break;
        case '"':
        case '\\':
        case '$':
          mapped = next;
          break;
        default:
          break;
      }
      if (mapped != 0) {
        put(mapped);
        ++i;
        continue;
      }
      put('\\');  // unknown escape: keep the backslash, the next char follows as usual
      continue;
    }
    if (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
    put(c);
  }
  return n;
}

class DotenvParser {
 public:
  explicit DotenvParser(std::string_view text) : text_(text) {
    if (text_.starts_with(kByteOrderMark)) pos_ = kByteOrderMark.size();
  }

  Result<std::vector<DotenvEntry>> run() {
    std::vector<DotenvEntry> entries;
    std::unordered_map<std::string, std::size_t> index;
    while (pos_ < text_.size()) {
      skip_blanks();
      if (at_line_end()) {
        consume_line_end();
        continue;
      }
      if (peek() == '#') {
        skip_comment();
        continue;
      }
      DotenvEntry entry = TRY(parse_assignment());
      auto [it, inserted] = index.try_emplace(entry.name, entries.size());
      if (inserted) {
        entries.push_back(std::move(entry));
      } else {
        entries[it->second].value = std::move(entry.value);
        entries[it->second].line = entry.line;
      }
    }
    return entries;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skip_blanks() {
    while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
  }

  // True at EOF, at '\n', or at a '\r' that ends the line (CRLF or final CR).
  bool at_line_end() const {
    if (pos_ >= text_.size()) return true;
    if (text_[pos_] == '\n') return true;
    return text_[pos_] == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n');
  }

  // Steps over the line ending at pos_ (which must be at_line_end()).
  void consume_line_end() {
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_;
  }

  // Index of the '\n' ending the current line, or text_.size().
  std::size_t line_end() const {
    auto nl = text_.find('\n', pos_);
    return nl == std::string_view::npos ? text_.size() : nl;
  }

  void skip_comment() {
    pos_ = line_end();
    consume_line_end();
  }

  tl::unexpected<Error> error(int line, std::string_view what, std::string hint = {}) const {
    return fail(Code::invalid_input, fmt::format("line {}: {}", line, what), std::move(hint));
  }

  // `export NAME=...`; a variable named "export" (`export=1`, `export = 1`) stays a name.
  void skip_export_prefix() {
    constexpr std::string_view kExport = "export";
    if (!text_.substr(pos_).starts_with(kExport)) return;
    std::size_t after = pos_ + kExport.size();
    if (after >= text_.size() || !is_blank(text_[after])) return;
    while (after < text_.size() && is_blank(text_[after])) ++after;
    if (after < text_.size() && is_name_start(text_[after])) pos_ = after;
  }

  Result<DotenvEntry> parse_assignment() {
    DotenvEntry entry;
    entry.line = line_;
    skip_export_prefix();

    std::size_t name_start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    std::string_view name = text_.substr(name_start, pos_ - name_start);
    skip_blanks();
    if (peek() != '=') {
      // Quote nothing from the line: a line without '=' may be a pasted secret.
      if (text_.substr(pos_, line_end() - pos_).find('=') != std::string_view::npos) {
        return error(line_, "invalid variable name", std::string(kNameHint));
      }
      return error(line_, "expected NAME=value", "a line is a comment, blank or NAME=value");
    }
    if (name.empty() || !is_name_start(name.front())) {
      return error(line_, "invalid variable name", std::string(kNameHint));
    }
    entry.name = std::string(name);
    ++pos_;  // '='
    skip_blanks();

    switch (peek()) {
      case '"':
        entry.value = TRY(parse_double_quoted(entry.name));
        break;
      case '\'':
        entry.value = TRY(parse_literal_quoted('\'', "single", entry.name));
        break;
      case '`':
        entry.value = TRY(parse_literal_quoted('`', "backtick", entry.name));
        break;
      default:
        entry.value = parse_unquoted();
        return entry;
    }
    TRY(finish_after_quote(entry.name));
    return entry;
  }

  // Up to the end of the line or a '#' preceded by a blank; trailing blanks trimmed.
  SecretBytes parse_unquoted() {
    std::size_t start = pos_;
    std::size_t end = line_end();
    for (std::size_t i = start; i < end; ++i) {
      if (text_[i] == '#' && i > 0 && is_blank(text_[i - 1])) {
        end = i;
        break;
      }
    }
    std::string_view value = text_.substr(start, end - start);
    while (!value.empty() && (is_blank(value.back()) || value.back() == '\r')) {
      value.remove_suffix(1);
    }
    pos_ = line_end();
    consume_line_end();
    return secret_of(value);
  }

  // 'single' or `backtick`: literal up to the next quote on the same line.
  Result<SecretBytes> parse_literal_quoted(char quote, std::string_view kind,
                                           const std::string& name) {
    std::size_t start = pos_ + 1;
    std::size_t end = line_end();
    std::size_t close = text_.substr(start, end - start).find(quote);
    if (close == std::string_view::npos) {
      return error(line_, fmt::format("unterminated {}-quoted value for {}", kind, name),
                   fmt::format("{}-quoted values end on the line they start; use double quotes "
                               "for a multi-line value",
                               kind));
    }
    pos_ = start + close + 1;
    return secret_of(text_.substr(start, close));
  }

  // "double": escapes, may span lines; line_ advances past the newlines inside.
  Result<SecretBytes> parse_double_quoted(const std::string& name) {
    std::size_t start = pos_ + 1;
    int newlines = 0;
    for (std::size_t i = start; i < text_.size(); ++i) {
      char c = text_[i];
      if (c == '\\') {
        if (i + 1 < text_.size() && text_[i + 1] == '\n') ++newlines;
        ++i;
      } else if (c == '\n') {
        ++newlines;
      } else if (c == '"') {
        std::string_view body = text_.substr(start, i - start);
        SecretBytes value;
        if (std::size_t size = unescape_double(body, nullptr); size > 0) {
          value = SecretBytes(size);
          unescape_double(body, value.data());
        }
        pos_ = i + 1;
        line_ += newlines;
        return value;
      }
    }
    return error(line_, fmt::format("unterminated double-quoted value for {}", name),
                 "close the value with '\"', or escape a quote inside it as '\\\"'");
  }

  // After a closing quote only blanks and a comment may follow on that line.
  Status finish_after_quote(const std::string& name) {
    skip_blanks();
    if (peek() == '#') {
      skip_comment();
      return {};
    }
    if (!at_line_end()) {
      return error(line_, fmt::format("unexpected text after the closing quote of {}", name),
                   "only a '# comment' may follow a quoted value");
    }
    consume_line_end();
    return {};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

Result<std::vector<DotenvEntry>> parse_dotenv(std::string_view text) {
  return DotenvParser(text).run();
}

}  // namespace ward
