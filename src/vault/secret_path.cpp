#include "vault/secret_path.hpp"

#include <fmt/format.h>

#include "util/strings.hpp"

namespace ward {

Status validate_secret_path(std::string_view path) {
  const std::string hint =
      "paths are lower-case segments of a-z 0-9 . _ - joined by '/', "
      "like llm/anthropic";
  if (path.empty()) return fail(Code::invalid_input, "empty secret path", hint);
  if (path.size() > 256) return fail(Code::invalid_input, "secret path longer than 256", hint);
  for (const auto& segment : split(path, '/')) {
    if (segment.empty() || segment == "." || segment == "..") {
      return fail(Code::invalid_input, fmt::format("invalid secret path '{}'", path), hint);
    }
    for (char c : segment) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!ok)
        return fail(Code::invalid_input, fmt::format("invalid secret path '{}'", path), hint);
    }
  }
  return {};
}

std::string default_var_name(std::string_view path) {
  auto slash = path.find_last_of('/');
  std::string name = to_upper(slash == std::string_view::npos ? path : path.substr(slash + 1));
  for (auto& c : name) {
    if (c == '-' || c == '.') c = '_';
  }
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') name = "_" + name;
  return name;
}

}  // namespace ward
