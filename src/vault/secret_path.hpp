// Secret paths: "llm/anthropic", "prod/db/url". Segments of [a-z0-9._-],
// separated by '/', none empty, "." or "..", at most 256 characters.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ward {

// invalid_input (with a hint showing the rules) when path is not valid.
Status validate_secret_path(std::string_view path);

// The environment variable name a path maps to by default: the last segment
// upper-cased, '-' and '.' -> '_' ("llm/anthropic-key" -> "ANTHROPIC_KEY").
std::string default_var_name(std::string_view path);

}  // namespace ward
