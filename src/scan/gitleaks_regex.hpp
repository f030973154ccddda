// Facts about a gitleaks pattern that scan/gitleaks.cpp needs to import it.
// gitleaks patterns are Go regexes, which are RE2 syntax; the functions here
// read that syntax directly (no regex engine) and expect a pattern RE2 has
// accepted, except inspect_go_pattern, which takes any text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ward::scan {

struct GoPattern {
  std::string re2;                  // the pattern, with Go 1.22's (?<name> spelled (?P<name>
  bool first_group_always = false;  // group 1 takes part in every match
};

// Group 1 takes part in every match when no group around it has
// alternatives and neither it nor a group around it may repeat zero times.
GoPattern inspect_go_pattern(std::string_view pattern);

// The pattern without the lazy "[\w.-]{0,50}?" that gitleaks' generated
// rules start with (also right after a leading (?i) or inside a leading
// (?i:...)). It only widens a match to the left, over the name of the
// variable; for a rule whose secret is a capture group the findings are the
// same, and without it Hyperscan's start-of-match mode accepts most of them.
std::string drop_leading_context(std::string_view pattern);

// Whether every match of pattern contains one of keywords (lower case,
// compared case-insensitively), as far as a small analysis can prove: it
// expands literals, small classes and alternations into the few strings a
// piece can match. false when it cannot prove it (never a false true).
bool keywords_in_every_match(std::string_view pattern, const std::vector<std::string>& keywords);

}  // namespace ward::scan
