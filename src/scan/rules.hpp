// Detection rules: data, not code. The default set is rules/default.yaml,
// built into the binary; its header documents every field, the regex
// dialect (the common subset of Hyperscan and RE2) and the pipeline the
// engine (scan/engine.hpp) runs for each rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ward::scan {

struct AllowList {
  std::vector<std::string> regexes;    // searched in the secret
  std::vector<std::string> stopwords;  // lower-case substrings of the secret
  std::vector<std::string> paths;      // searched in the file's path
};

struct Sample {
  std::string text;
  std::optional<std::string> secret;  // what must be reported, when given
};

struct Rule {
  std::string id;
  std::string description;
  std::string regex;
  int secret_group = 0;               // 0: the whole match
  std::vector<std::string> keywords;  // lower case; one must occur in a match
  double entropy = 0;                 // minimum bits per byte of the secret
  std::vector<std::string> tags;
  AllowList allow;
  std::vector<Sample> positive;
  std::vector<std::string> negative;

  bool generic() const;  // tagged "generic": yields to any other rule it overlaps
};

struct RuleSet {
  AllowList allow;
  std::vector<Rule> rules;
};

// Parses a rules file; invalid_input naming origin, the line and the field
// on anything malformed (unknown version, missing id or regex, duplicate id,
// upper-case keyword, negative group).
Result<RuleSet> parse_rules(std::string_view yaml, std::string_view origin);
// rules/default.yaml as built into ward: without its samples and comments.
std::string_view default_rules_text();
Result<RuleSet> default_rules();

}  // namespace ward::scan
