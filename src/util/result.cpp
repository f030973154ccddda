#include "util/result.hpp"

#include <array>
#include <utility>

namespace ward {

namespace {
constexpr std::array<std::pair<Code, const char*>, 13> kNames = {{
    {Code::invalid_input, "invalid_input"},
    {Code::usage, "usage"},
    {Code::not_found, "not_found"},
    {Code::already_exists, "already_exists"},
    {Code::denied, "denied"},
    {Code::locked, "locked"},
    {Code::corrupt, "corrupt"},
    {Code::io, "io"},
    {Code::crypto, "crypto"},
    {Code::protocol, "protocol"},
    {Code::unavailable, "unavailable"},
    {Code::timeout, "timeout"},
    {Code::internal, "internal"},
}};
}  // namespace

int exit_code_for(Code code) {
  switch (code) {
    case Code::invalid_input:
    case Code::usage:
      return 2;
    case Code::denied:
      return 3;
    case Code::locked:
      return 4;
    case Code::not_found:
      return 5;
    default:
      return 1;
  }
}

const char* code_name(Code code) {
  for (const auto& [c, name] : kNames) {
    if (c == code) return name;
  }
  return "internal";
}

Code code_from_name(const std::string& name) {
  for (const auto& [c, n] : kNames) {
    if (name == n) return c;
  }
  return Code::internal;
}

}  // namespace ward
