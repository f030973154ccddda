// Allow-list parsing walks the yaml-cpp node tree and checks every shape
// itself, so that a mistake is reported with the file and line where it is
// rather than as a yaml-cpp conversion error. yaml-cpp reports syntax errors
// by throwing; every call into it happens inside one try block, and nothing
// thrown leaves parse_allowlist. Error messages quote keys (tool names) but
// never a value: a confused user may paste a secret where a name belongs.
#include "run/allowlist.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/yaml_errors.hpp"
#include "crypto/primitives.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace ward {

namespace {

constexpr std::string_view kShapeHint =
    "write 'TOOL: [VAR, \"GLOB_*\"]' or 'TOOL: {allow: [VAR], sha256: HEX}'";
// execvp's search path when PATH is empty (glibc's default, without ".").
constexpr std::string_view kDefaultPath = "/usr/bin:/bin";

class AllowlistParser : public YamlErrors {
 public:
  explicit AllowlistParser(std::string source) : YamlErrors(std::move(source)) {}

  Result<Allowlist> run(std::string_view text) {
    Allowlist list;
    list.source_file = source();
    YAML::Node root = YAML::Load(std::string(text));
    if (!root || root.IsNull()) return list;
    if (!root.IsMap()) {
      return error(root, "expected a map of tools to allowed variables", kShapeHint);
    }
    std::set<std::string> keys;
    for (const auto& item : root) {
      ToolRule rule = TRY(parse_rule(item.first, item.second));
      if (!keys.insert(rule.key).second) {
        return error(item.first, fmt::format("duplicate tool '{}'", rule.key),
                     "list each tool once");
      }
      list.rules.push_back(std::move(rule));
    }
    return list;
  }

 private:
  Result<std::string> parse_key(const YAML::Node& node) const {
    if (!node.IsScalar()) return error(node, "a tool key must be a name or an absolute path");
    std::string key = node.Scalar();
    bool absolute = key.starts_with('/') && key.size() > 1 && !key.ends_with('/');
    bool basename = !key.empty() && key.find('/') == std::string::npos && key != "." && key != "..";
    if (!absolute && !basename) {
      return error(node, fmt::format("tool '{}' is neither a basename nor an absolute path", key),
                   "use 'node' for any binary called node, or '/usr/bin/node' for that one");
    }
    return key;
  }

  static bool valid_pattern(std::string_view pattern) {
    if (pattern.empty()) return false;
    for (char c : pattern) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '*' || c == '?';
      if (!ok) return false;
    }
    return true;
  }

  Result<std::vector<std::string>> parse_allow(const YAML::Node& node,
                                               const std::string& key) const {
    if (!node.IsSequence()) {
      return error(node, fmt::format("the variables of '{}' must be a list", key), kShapeHint);
    }
    std::vector<std::string> allow;
    for (const auto& item : node) {
      if (!item.IsScalar() || !valid_pattern(item.Scalar())) {
        return error(item, fmt::format("invalid variable name or glob for '{}'", key),
                     "a variable is letters, digits, '_' and '.', with '*' and '?' as globs");
      }
      allow.push_back(item.Scalar());
    }
    return allow;
  }

  Result<std::string> parse_sha256(const YAML::Node& node, const std::string& key) const {
    std::string hex = node.IsScalar() ? to_lower(node.Scalar()) : std::string();
    bool ok = hex.size() == 64;
    for (char c : hex) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!ok) {
      return error(node, fmt::format("the sha256 of '{}' must be 64 hex digits", key),
                   "run 'sha256sum BINARY' to get it");
    }
    return hex;
  }

  Result<ToolRule> parse_rule(const YAML::Node& key_node, const YAML::Node& value) const {
    ToolRule rule;
    rule.key = TRY(parse_key(key_node));
    if (value.IsSequence()) {
      rule.allow = TRY(parse_allow(value, rule.key));
      return rule;
    }
    if (!value.IsMap()) {
      return error(value.IsNull() ? key_node : value,
                   fmt::format("expected a list of variables or a map for '{}'", rule.key),
                   kShapeHint);
    }
    bool has_allow = false;
    for (const auto& field : value) {
      std::string name = field.first.IsScalar() ? field.first.Scalar() : std::string();
      if (name == "allow" && !has_allow) {
        rule.allow = TRY(parse_allow(field.second, rule.key));
        has_allow = true;
      } else if (name == "sha256" && !rule.sha256) {
        rule.sha256 = TRY(parse_sha256(field.second, rule.key));
      } else {
        return error(field.first, fmt::format("unknown or repeated field in '{}'", rule.key),
                     "the fields are 'allow' and 'sha256'");
      }
    }
    if (!has_allow) {
      return error(key_node, fmt::format("'{}' has no 'allow' list", rule.key), kShapeHint);
    }
    return rule;
  }
};

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

const ToolRule* Allowlist::rule_for(const std::string& real_path) const {
  for (const auto& rule : rules) {
    if (rule.key.starts_with('/') && rule.key == real_path) return &rule;
  }
  std::string base = basename_of(real_path);
  for (const auto& rule : rules) {
    if (!rule.key.starts_with('/') && rule.key == base) return &rule;
  }
  return nullptr;
}

Result<Allowlist> parse_allowlist(std::string_view yaml_text, const std::string& source_name) {
  AllowlistParser parser(source_name);
  return parser.guarded([&] { return parser.run(yaml_text); });
}

bool rule_allows(const ToolRule& rule, std::string_view var) {
  for (const auto& pattern : rule.allow) {
    if (glob_match(pattern, var)) return true;
  }
  return false;
}

Result<std::string> resolve_tool(const std::string& argv0, const std::string& path_env) {
  if (argv0.empty()) return fail(Code::not_found, "empty command name");
  std::vector<std::string> candidates;
  if (argv0.find('/') != std::string::npos) {
    candidates.push_back(argv0);
  } else {
    std::string_view search = path_env.empty() ? kDefaultPath : std::string_view(path_env);
    for (const auto& dir : split(search, ':')) {
      candidates.push_back((dir.empty() ? std::string(".") : dir) + "/" + argv0);
    }
  }
  for (const auto& candidate : candidates) {
    if (!is_executable_file(candidate)) continue;
    char* real = ::realpath(candidate.c_str(), nullptr);
    if (!real) return errno_error(Code::io, fmt::format("cannot resolve {}", candidate));
    std::string out(real);
    ::free(real);
    return out;
  }
  if (argv0.find('/') != std::string::npos) {
    return fail(Code::not_found, fmt::format("{}: no such executable file", argv0));
  }
  return fail(Code::not_found, fmt::format("{}: command not found", argv0),
              "check the name, or give the binary's path");
}

Result<std::string> file_sha256(const std::string& path) {
  std::string content = TRY(read_file(path));
  return to_hex(sha256(as_bytes(content)));
}

}  // namespace ward
