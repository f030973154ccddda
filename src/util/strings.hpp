// Small string helpers for non-secret text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ward {

std::vector<std::string> split(std::string_view text, char sep);
std::string_view trim(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);
bool glob_match(std::string_view pattern, std::string_view text);  // '*' and '?'

}  // namespace ward
