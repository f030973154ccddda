// Parsing .env files for `ward import FILE.env`.
//
// The dialect is the one python-dotenv, dotenvx and docker users expect:
// comments, `export` prefixes, unquoted / single / double / backtick-quoted
// values, multi-line double-quoted values and CRLF line endings. Variable
// references (`${OTHER}`, `${ward:PATH}`) are kept literally, never expanded.
// Values go straight from the input into SecretBytes, and error messages name
// only line numbers and variable names, never a value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward {

struct DotenvEntry {
  std::string name;   // variable name, matches [A-Za-z_][A-Za-z0-9_.]*
  SecretBytes value;  // the unescaped value
  int line = 0;       // 1-based line where the (last) assignment starts
};

// Parses dotenv text into its assignments, in order of first appearance; when a
// name repeats, the later value (and its line) wins in the first one's position.
// Fails with invalid_input "line N: ..." on bad syntax.
Result<std::vector<DotenvEntry>> parse_dotenv(std::string_view text);

}  // namespace ward
