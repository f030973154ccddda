// Reads a gitleaks configuration (TOML, gitleaks v8) as ward rules, so that
// `ward scan ... --config gitleaks.toml` keeps a team's custom rules.
//
// What maps exactly:
//   [[rules]] id, description, regex, entropy, keywords (lower-cased), tags;
//   allow-list regexes (regexTarget "secret", the default), stopwords and
//   paths, per rule ([rules.allowlist] or [[rules.allowlists]]) and global
//   ([allowlist] or [[allowlists]]; one with targetRules goes to those rules);
//   [extend] useDefault (ward's built-in rules, not gitleaks' own), path and
//   disabledRules, with gitleaks' merge: a rule whose id the extended config
//   also has overrides its description, regex, entropy and secretGroup and
//   adds its tags, keywords and allow-lists. Order: the config's own rules
//   first (ward's overlap resolution prefers the earlier rule), then the
//   extended ones.
//
// Where an imported rule cannot behave exactly as in gitleaks, it errs
// towards reporting more, and GitleaksImport::notes says so:
//   - secretGroup unset with capture groups: gitleaks takes the first
//     non-empty group; ward takes group 1 when it takes part in every match
//     (the same unless it matched nothing), otherwise the whole match.
//   - entropy: gitleaks requires more than the value, ward at least; the
//     import stores the next larger double, so both mean "strictly more".
//   - keywords: gitleaks skips a text containing none of them; ward checks
//     them inside each match. They are kept when a small analysis of the
//     pattern proves every match contains one (true of nearly all of
//     gitleaks' own rules), otherwise the rule runs without keywords.
//   - allow-list regexes with regexTarget "match" or "line" are not used:
//     ward's allow-lists see only the secret, and testing a match or line
//     pattern against the secret could hide a real secret that merely contains
//     an allowed word. Commits are not used either (ward has no commit allow
//     list). An allow-list with condition "AND" is used only when it has one
//     kind of check left (then AND and OR agree); otherwise it is not used.
//   - ids containing "generic" are tagged generic, as gitleaks lets them
//     yield to specific rules.
//   - Go regexes are RE2 syntax; (?<name>...) is rewritten as (?P<name>...).
//     The lazy "[\w.-]{0,50}?" that generated rules start with is dropped
//     when the secret is a group: it only widens the match to the left, and
//     with it Hyperscan refuses a third of gitleaks' rules (they would run on
//     RE2 alone and the build would take five times longer).
// Rules ward cannot run are left out and listed in GitleaksImport::skipped:
// path-only rules (they report a file by its name), rules restricted to a
// path (ward applies every rule to every file), composite rules
// ([[rules.required]]) and their skipReport helpers, patterns RE2 finds too
// large, and secretGroup above 15.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scan/rules.hpp"
#include "util/result.hpp"

namespace ward::scan {

struct GitleaksImport {
  RuleSet rules;
  std::vector<std::string> skipped;  // "rule-id: reason", rules left out
  std::vector<std::string> notes;    // how imported rules differ, unknown keys ignored
};

// Converts gitleaks TOML to ward rules. invalid_input "ORIGIN:LINE: ..."
// naming the field on a TOML syntax error, a missing id, a rule with neither
// regex nor path, a duplicate id, a bad type or value (secretGroup beyond the
// regex's groups, entropy not a number, unknown condition or regexTarget), an
// invalid regex, an empty allow-list or an unknown targetRules id. [extend]
// path needs a file to resolve against: use load_gitleaks_config.
Result<GitleaksImport> parse_gitleaks_config(std::string_view toml, std::string_view origin);

// Reads the file and converts it; [extend] path is resolved against the
// file's directory, at most 2 levels deep, and a cycle is refused. not_found
// or io when a file cannot be read, otherwise as parse_gitleaks_config.
Result<GitleaksImport> load_gitleaks_config(const std::string& path);

}  // namespace ward::scan
