#include "scan/rules.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/yaml_errors.hpp"

// rules/default.yaml without its samples and comments (tools/strip_rules.py),
// included at build time (the path comes from CMake; WARD_RULES_DIGEST, of
// the source file and the script, is there so a compiler cache sees a change).
static_assert(sizeof(WARD_RULES_DIGEST) > 1);
asm(".section .rodata\n"
    ".global ward_default_rules_begin\n"
    "ward_default_rules_begin:\n"
    ".incbin \"" WARD_DEFAULT_RULES
    "\"\n"
    ".global ward_default_rules_end\n"
    "ward_default_rules_end:\n"
    ".previous\n");
extern "C" const char ward_default_rules_begin[];
extern "C" const char ward_default_rules_end[];

namespace ward::scan {

namespace {

Result<std::vector<std::string>> strings_of(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsSequence()) {
    return fail(Code::invalid_input,
                fmt::format("{} (line {}): expected a list", where, node.Mark().line + 1));
  }
  for (const auto& item : node) out.push_back(item.as<std::string>());
  return out;
}

Result<AllowList> allow_of(const YAML::Node& node, const std::string& where) {
  AllowList allow;
  if (!node) return allow;
  allow.regexes = TRY(strings_of(node["regexes"], where + ".regexes"));
  allow.stopwords = TRY(strings_of(node["stopwords"], where + ".stopwords"));
  allow.paths = TRY(strings_of(node["paths"], where + ".paths"));
  for (auto& word : allow.stopwords) {
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  return allow;
}

Result<Rule> rule_of(const YAML::Node& node, std::string_view origin) {
  Rule rule;
  int line = node.Mark().line + 1;
  auto bad = [&](const std::string& what) {
    return fail(Code::invalid_input, fmt::format("{}:{}: rule {}: {}", origin, line,
                                                 rule.id.empty() ? "?" : rule.id, what));
  };
  if (!node.IsMap()) return bad("expected a mapping");
  rule.id = node["id"].as<std::string>("");
  rule.description = node["description"].as<std::string>("");
  rule.regex = node["regex"].as<std::string>("");
  if (rule.id.empty()) return bad("has no id");
  if (rule.regex.empty()) return bad("has no regex");
  rule.secret_group = node["secret_group"].as<int>(0);
  if (rule.secret_group < 0) return bad("secret_group is negative");
  rule.entropy = node["entropy"].as<double>(0);
  std::string where = fmt::format("{}: rule {}", origin, rule.id);
  rule.keywords = TRY(strings_of(node["keywords"], where + " keywords"));
  for (const auto& k : rule.keywords) {
    if (std::any_of(k.begin(), k.end(), [](unsigned char c) { return std::isupper(c); })) {
      return bad(fmt::format("keyword '{}' is not lower case", k));
    }
  }
  rule.tags = TRY(strings_of(node["tags"], where + " tags"));
  rule.allow = TRY(allow_of(node["allow"], where + " allow"));
  if (auto samples = node["samples"]) {
    for (const auto& p : samples["positive"]) {
      Sample s;
      if (p.IsMap()) {
        s.text = p["text"].as<std::string>("");
        if (p["secret"]) s.secret = p["secret"].as<std::string>();
      } else {
        s.text = p.as<std::string>();
      }
      rule.positive.push_back(std::move(s));
    }
    rule.negative = TRY(strings_of(samples["negative"], where + " negative samples"));
  }
  return rule;
}

}  // namespace

bool Rule::generic() const {
  return std::find(tags.begin(), tags.end(), "generic") != tags.end();
}

Result<RuleSet> parse_rules(std::string_view yaml, std::string_view origin) {
  YamlErrors errors{std::string(origin)};
  return errors.guarded([&]() -> Result<RuleSet> {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsMap())
      return fail(Code::invalid_input, fmt::format("{}: not a rules file", origin));
    if (root["version"].as<int>(0) != 1) {
      return fail(Code::invalid_input, fmt::format("{}: unsupported rules version", origin),
                  "this ward reads version 1");
    }
    RuleSet set;
    set.allow = TRY(allow_of(root["allow"], std::string(origin) + ": allow"));
    std::set<std::string> ids;
    for (const auto& node : root["rules"]) {
      Rule rule = TRY(rule_of(node, origin));
      if (!ids.insert(rule.id).second) {
        return fail(Code::invalid_input, fmt::format("{}:{}: rule id '{}' appears twice", origin,
                                                     node.Mark().line + 1, rule.id));
      }
      set.rules.push_back(std::move(rule));
    }
    return set;
  });
}

std::string_view default_rules_text() {
  return {ward_default_rules_begin,
          static_cast<std::size_t>(ward_default_rules_end - ward_default_rules_begin)};
}

Result<RuleSet> default_rules() {
  return parse_rules(default_rules_text(), "rules/default.yaml");
}

}  // namespace ward::scan
