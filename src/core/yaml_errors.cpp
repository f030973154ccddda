#include "core/yaml_errors.hpp"

#include <fmt/format.h>

namespace ward {

tl::unexpected<Error> YamlErrors::error_at(int line, std::string_view what,
                                           std::string_view hint) const {
  std::string where = line >= 0 ? fmt::format("{}:{}", source_, line + 1) : source_;
  return fail(Code::invalid_input, fmt::format("{}: {}", where, what), std::string(hint));
}

}  // namespace ward
