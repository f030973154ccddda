// Per-tool allow-lists: which environment variables (names or globs) a tool
// started by `ward run` may receive. YAML, one key per tool:
//
//   claude: [ANTHROPIC_API_KEY]          # a basename: any binary of that name
//   aws: ["AWS_*"]
//   /usr/local/bin/node:                 # an absolute path: that binary only
//     allow: [OPENAI_API_KEY, "HF_*"]
//     sha256: 3b1f...                    # optional pin of the binary's content
//
// A tool is identified by the real path of its binary (resolve_tool); an
// absolute-path key equal to it wins over a basename key.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ward {

struct ToolRule {
  std::string key;                    // a basename ("claude") or an absolute path
  std::vector<std::string> allow;     // variable names or globs ('*', '?')
  std::optional<std::string> sha256;  // lower-case hex, 64 characters
};

struct Allowlist {
  std::string source_file;
  std::vector<ToolRule> rules;  // in file order; keys are unique
  // The rule for the binary at real_path: an absolute-path key equal to
  // real_path wins over a key equal to its basename; nullptr when neither.
  const ToolRule* rule_for(const std::string& real_path) const;
};

// Parses allow-list YAML; an empty document is an empty list. Never throws:
// invalid_input "SOURCE:LINE: ..." on bad YAML or a bad shape (a key neither a
// basename nor an absolute path, a duplicate key, a bad variable pattern,
// sha256 not 64 hex digits, an unknown field).
Result<Allowlist> parse_allowlist(std::string_view yaml_text, const std::string& source_name);

// Whether rule allows the variable var (exact name or glob match).
bool rule_allows(const ToolRule& rule, std::string_view var);

// Resolves argv0 as execvp would (a name without '/' is searched in path_env,
// an empty entry meaning the current directory), then follows symlinks to the
// real path. not_found when no executable regular file is found.
Result<std::string> resolve_tool(const std::string& argv0, const std::string& path_env);

// The SHA-256 of a file's content, lower-case hex. not_found / io on failure.
Result<std::string> file_sha256(const std::string& path);

}  // namespace ward
