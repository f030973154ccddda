#include "cli/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "util/file.hpp"

namespace ward::cli {

bool use_color(std::FILE* stream) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") return false;
  return ::isatty(::fileno(stream));
}

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO);
}

std::string colored(std::string_view text, std::string_view ansi_code) {
  if (!use_color(stdout)) return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", ansi_code, text);
}

void print_error(const Error& error) {
  bool color = use_color(stderr);
  std::fflush(stdout);
  fmt::print(stderr, "ward: {}error:{} {}\n", color ? "\033[31m" : "", color ? "\033[0m" : "",
             error.message);
  if (!error.hint.empty()) fmt::print(stderr, "ward: hint: {}\n", error.hint);
}

void print_warning(std::string_view message) {
  bool color = use_color(stderr);
  fmt::print(stderr, "ward: {}warning:{} {}\n", color ? "\033[33m" : "", color ? "\033[0m" : "",
             message);
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out.append(widths[i] - row[i].size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

Status write_secret_to_stdout(const SecretBytes& value) {
  std::fflush(stdout);
  TRY(write_all(STDOUT_FILENO, value.data(), value.size()));
  if (stdout_is_terminal()) TRY(write_all(STDOUT_FILENO, "\n", 1));
  return {};
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      out += '?';
      ++i;
    } else {
      out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace ward::cli
