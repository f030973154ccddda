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

  // Runs parse(), turning yaml-cpp's exceptions (it throws on bad YAML and
  // on conversions) into errors at their line: no exception leaves a parser.
  template <class F>
  auto guarded(F&& parse) const -> decltype(parse()) {
    try {
      return parse();
    } catch (const YAML::Exception& e) {
      return error_at(e.mark.line, "invalid YAML: " + e.msg, "check the indentation and quoting");
    } catch (const std::exception& e) {
      return error_at(-1, std::string("cannot parse: ") + e.what());
    }
  }

 private:
  std::string source_;
};

}  // namespace ward
