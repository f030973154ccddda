// Errors that name the YAML file and line they come from, for the parsers
// of the user's files (allow-list, config.yaml): "FILE:LINE: what".
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "util/result.hpp"

namespace ward {

class YamlErrors {
 public:
  explicit YamlErrors(std::string source) : source_(std::move(source)) {}

  // invalid_input at a 0-based line (-1 when unknown: the file alone).
  tl::unexpected<Error> error_at(int line, std::string_view what, std::string_view hint = {}) const;
  // invalid_input at node's line.
  tl::unexpected<Error> error(const YAML::Node& node, std::string_view what,
                              std::string_view hint = {}) const {
    return error_at(node.Mark().line, what, hint);
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

}  // namespace ward
