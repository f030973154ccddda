#include "scan/gitleaks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <set>

#include "../testing/temp_dir.hpp"
#include "scan/engine.hpp"
#include "scan/gitleaks_regex.hpp"

namespace ward::scan {
namespace {

GitleaksImport parse_ok(std::string_view toml) {
  auto parsed = parse_gitleaks_config(toml, "g.toml");
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? std::move(*parsed) : GitleaksImport{};
}

std::string parse_error(std::string_view toml) {
  auto parsed = parse_gitleaks_config(toml, "g.toml");
  EXPECT_FALSE(parsed) << toml;
  if (parsed) return "";
  EXPECT_EQ(parsed.error().code, Code::invalid_input);
  return parsed.error().message;
}

const Rule* find_rule(const RuleSet& set, std::string_view id) {
  for (const Rule& r : set.rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

bool has_text(const std::vector<std::string>& lines, std::string_view part) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

// The secrets a rule set reports in text (file path given for path allow-lists).
std::vector<std::string> secrets(const RuleSet& set, const std::string& text,
                                 std::string_view path = "") {
  auto built = Scanner::build(set);
  EXPECT_TRUE(built) << built.error().message;
  if (!built) return {};
  auto scratch = built->make_scratch();
  std::vector<std::string> out;
  for (const Finding& f : built->scan(text, path, *scratch)) {
    out.push_back(text.substr(f.offset, f.length));
  }
  return out;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(Gitleaks, MinimalConfigBecomesOneRule) {
  auto imp = parse_ok(R"(
title = "acme"
[[rules]]
id = "acme-token"
description = "ACME API token"
regex = '''acme_([a-z0-9]{16})'''
keywords = ["ACME_"]
)");
  ASSERT_EQ(imp.rules.rules.size(), 1u);
  const Rule& r = imp.rules.rules[0];
  EXPECT_EQ(r.id, "acme-token");
  EXPECT_EQ(r.description, "ACME API token");
  EXPECT_EQ(r.regex, "acme_([a-z0-9]{16})");
  EXPECT_EQ(r.secret_group, 1);  // gitleaks: the first group when secretGroup is unset
  EXPECT_EQ(r.keywords, std::vector<std::string>{"acme_"});
  EXPECT_TRUE(imp.skipped.empty());
  EXPECT_TRUE(imp.notes.empty());
  EXPECT_EQ(secrets(imp.rules, "x = acme_0123abcd4567efgh\n"),
            std::vector<std::string>{"0123abcd4567efgh"});
}

TEST(Gitleaks, RuleFieldsMapped) {
  auto imp = parse_ok(R"(
[[rules]]
id = "two-groups"
regex = '''(key|tok)=([A-Za-z0-9]{12})'''
SecretGroup = 2
entropy = 3
Keywords = ["key=", "TOK="]
tags = ["custom", "team"]

[[rules]]
id = "my-generic-thing"
regex = '''secret=[a-z]{8}'''
)");
  ASSERT_EQ(imp.rules.rules.size(), 2u);
  const Rule& r = imp.rules.rules[0];
  EXPECT_EQ(r.secret_group, 2);
  EXPECT_EQ(r.keywords, (std::vector<std::string>{"key=", "tok="}));
  EXPECT_EQ(r.tags, (std::vector<std::string>{"custom", "team"}));
  // gitleaks wants entropy above the value; ward at least: the next double.
  EXPECT_GT(r.entropy, 3.0);
  EXPECT_EQ(r.entropy, std::nextafter(3.0, 4.0));
  const Rule& g = imp.rules.rules[1];
  EXPECT_EQ(g.secret_group, 0);  // no groups: the whole match
  EXPECT_TRUE(g.generic());      // gitleaks lets "generic" ids yield
  // Exactly 8 distinct characters have entropy 3.0, which gitleaks drops.
  EXPECT_TRUE(secrets(imp.rules, "key=abcdefghabcd\n").empty());
  EXPECT_EQ(secrets(imp.rules, "key=abcdefghijkl\n"), std::vector<std::string>{"abcdefghijkl"});
}

TEST(Gitleaks, GroupsThatAreAlternativesReportTheWholeMatch) {
  auto imp = parse_ok(R"(
[[rules]]
id = "either"
regex = '''a_([0-9]{6})|b_([0-9]{6})'''
[[rules]]
id = "outer"
regex = '''t=((x|y)[0-9]{6})'''
[[rules]]
id = "optional-first"
regex = '''(q_)?z_[0-9]{6}'''
)");
  ASSERT_EQ(imp.rules.rules.size(), 3u);
  EXPECT_EQ(imp.rules.rules[0].secret_group, 0);
  EXPECT_EQ(imp.rules.rules[1].secret_group, 1);
  EXPECT_EQ(imp.rules.rules[2].secret_group, 0);
  EXPECT_TRUE(has_text(imp.notes, "either: its capture groups are alternatives"));
  EXPECT_TRUE(has_text(imp.notes, "optional-first: its capture groups are alternatives"));
  // gitleaks would report 654321 for b_; ward reports the match, not nothing.
  EXPECT_EQ(secrets(imp.rules, "b_654321\n"), std::vector<std::string>{"b_654321"});
}

TEST(Gitleaks, GoNamedGroupsAreSpelledForRe2) {
  auto imp = parse_ok(R"(
[[rules]]
id = "named"
regex = '''tok_(?<value>[a-z]{8})[[:digit:]]'''
)");
  ASSERT_EQ(imp.rules.rules.size(), 1u);
  EXPECT_EQ(imp.rules.rules[0].regex, "tok_(?P<value>[a-z]{8})[[:digit:]]");
  EXPECT_EQ(secrets(imp.rules, "tok_abcdefgh1\n"), std::vector<std::string>{"abcdefgh"});
}

TEST(GitleaksRegex, FirstGroupAlways) {
  EXPECT_TRUE(inspect_go_pattern("k=([a-z]{8})").first_group_always);
  EXPECT_TRUE(inspect_go_pattern("(?i)k=((a|b)[a-z]{8})+").first_group_always);
  EXPECT_FALSE(inspect_go_pattern("[(|]\\(|x([a-z])").first_group_always);
  EXPECT_TRUE(inspect_go_pattern("[(|]\\(x([a-z])").first_group_always);
  EXPECT_FALSE(inspect_go_pattern("k=[a-z]{8}").first_group_always);  // no group
  EXPECT_FALSE(inspect_go_pattern("(a)?b").first_group_always);
  EXPECT_FALSE(inspect_go_pattern("(a){0,3}b").first_group_always);
  EXPECT_FALSE(inspect_go_pattern("(?:(a)|b)c").first_group_always);
  EXPECT_FALSE(inspect_go_pattern("x|(a)").first_group_always);
  EXPECT_FALSE(inspect_go_pattern("((a)").first_group_always);  // unbalanced
  EXPECT_EQ(inspect_go_pattern("(?<n>a)[(?<x>]\\(?<y>").re2, "(?P<n>a)[(?<x>]\\(?<y>");
}

TEST(GitleaksRegex, DropLeadingContext) {
  EXPECT_EQ(drop_leading_context("(?i)[\\w.-]{0,50}?(?:acme)=(x)"), "(?i)(?:acme)=(x)");
  EXPECT_EQ(drop_leading_context("[\\w.-]{0,50}?(?i:[\\w.-]{0,50}?(?:a))=(x)"), "(?i:(?:a))=(x)");
  EXPECT_EQ(drop_leading_context("a[\\w.-]{0,50}?b"), "a[\\w.-]{0,50}?b");
  EXPECT_EQ(drop_leading_context("[\\w.-]{0,50}b"), "[\\w.-]{0,50}b");  // greedy: kept
  // A rule whose secret is the whole match keeps it.
  auto imp = parse_ok(R"(
[[rules]]
id = "group"
regex = '''[\w.-]{0,50}?(?:acme)=([a-z]{8})'''
[[rules]]
id = "whole"
regex = '''[\w.-]{0,50}?(?:acme)=[a-z]{8}'''
)");
  ASSERT_EQ(imp.rules.rules.size(), 2u);
  EXPECT_EQ(imp.rules.rules[0].regex, "(?:acme)=([a-z]{8})");
  EXPECT_EQ(imp.rules.rules[1].regex, "[\\w.-]{0,50}?(?:acme)=[a-z]{8}");
}

TEST(GitleaksRegex, KeywordsInEveryMatch) {
  auto proves = [](std::string_view pattern, std::vector<std::string> keywords) {
    return keywords_in_every_match(pattern, keywords);
  };
  EXPECT_TRUE(proves("\\b((?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z0-9]{16})\\b", {"a3t", "akia", "asia"}));
  EXPECT_TRUE(proves("xox[pe](?:-[0-9]{10,13}){3}", {"xoxp", "xoxe"}));
  EXPECT_TRUE(proves("(?i)linked[_-]?in=x", {"linkedin", "linked_in", "linked-in"}));
  EXPECT_TRUE(proves("k{2}ey", {"kkey"}));
  EXPECT_TRUE(proves("\\Qa.b\\E[0-9]+", {"a.b"}));
  EXPECT_TRUE(proves("dp\\.pt\\.(?i)[a-z0-9]{43}", {"dp.pt."}));
  EXPECT_TRUE(proves("\\x41KIA", {"akia"}));
  EXPECT_FALSE(proves("xoxe.xoxb-", {"xoxe.xoxb-"}));    // . is any character
  EXPECT_FALSE(proves("(?:akia|bkia)[0-9]", {"akia"}));  // bkia has none
  EXPECT_FALSE(proves("(akia)?[0-9]{4}", {"akia"}));     // optional
  EXPECT_FALSE(proves("[a-z]{32}", {"acme"}));           // elsewhere in the text
  EXPECT_FALSE(proves("[^x]akia", {}));                  // no keywords
  EXPECT_FALSE(proves("[[:alpha:]]kia", {"akia"}));
}

TEST(Gitleaks, KeywordsKeptOnlyWhenEveryMatchHasOne) {
  auto imp = parse_ok(R"(
[[rules]]
id = "in-match"
regex = '''AKIA[A-Z0-9]{16}'''
keywords = ["akia"]
[[rules]]
id = "alternatives"
regex = '''(?:access|passw(?:or)?d)=([a-z0-9]{10})'''
keywords = ["access", "passwd", "password"]
[[rules]]
id = "elsewhere"
regex = '''[0-9]{15}\|[a-z]{10}'''
keywords = ["facebook"]
)");
  ASSERT_EQ(imp.rules.rules.size(), 3u);
  EXPECT_EQ(imp.rules.rules[0].keywords, std::vector<std::string>{"akia"});
  EXPECT_EQ(imp.rules.rules[1].keywords.size(), 3u);
  EXPECT_TRUE(imp.rules.rules[2].keywords.empty());
  EXPECT_TRUE(has_text(
      imp.notes, "elsewhere: ward cannot show that every match contains one of its keywords"));
  EXPECT_FALSE(has_text(imp.notes, "in-match:"));
  // gitleaks reports it when "facebook" is anywhere in the file; ward always.
  EXPECT_EQ(secrets(imp.rules, "fb: 123456789012345|abcdefghij\n").size(), 1u);
}

TEST(Gitleaks, RuleAllowlistsOldAndNewForms) {
  auto imp = parse_ok(R"(
[[rules]]
id = "old-form"
regex = '''old_([a-z0-9]{10})'''
[rules.allowlist]
stopwords = ["TESTING"]
regexes = ['''^0+$''']
paths = ['''fixtures/''']

[[rules]]
id = "new-form"
regex = '''new_([a-z0-9]{10})'''
[[rules.allowlists]]
description = "by value"
regexTarget = "secret"
regexes = ['''^1+$''']
[[rules.allowlists]]
condition = "AND"
paths = ['''\.md$''']
)");
  ASSERT_EQ(imp.rules.rules.size(), 2u);
  const AllowList& old_allow = imp.rules.rules[0].allow;
  EXPECT_EQ(old_allow.stopwords, std::vector<std::string>{"testing"});
  EXPECT_EQ(old_allow.regexes, std::vector<std::string>{"^0+$"});
  EXPECT_EQ(old_allow.paths, std::vector<std::string>{"fixtures/"});
  const AllowList& new_allow = imp.rules.rules[1].allow;
  EXPECT_EQ(new_allow.regexes, std::vector<std::string>{"^1+$"});
  // AND over one kind of check is the same as OR: it is used.
  EXPECT_EQ(new_allow.paths, std::vector<std::string>{"\\.md$"});
  EXPECT_TRUE(imp.notes.empty());

  std::string text = "old_testing123 old_0000000000 old_a1b2c3d4e5 new_1111111111 new_a1b2c3d4e5\n";
  EXPECT_EQ(secrets(imp.rules, text), (std::vector<std::string>{"a1b2c3d4e5", "a1b2c3d4e5"}));
  EXPECT_EQ(secrets(imp.rules, text, "docs/readme.md"), std::vector<std::string>{"a1b2c3d4e5"});
  EXPECT_TRUE(secrets(imp.rules, "old_a1b2c3d4e5\n", "fixtures/x.txt").empty());
}

TEST(Gitleaks, AllowlistChecksWardCannotExpressAreNotUsed) {
  auto imp = parse_ok(R"(
[[rules]]
id = "r"
regex = '''val_([a-z0-9]{10})'''
[[rules.allowlists]]
regexTarget = "match"
regexes = ['''val_''']
stopwords = ["zzz"]
[[rules.allowlists]]
condition = "AND"
paths = ['''\.bb$''']
regexes = ['''^abc''']
[[rules.allowlists]]
commits = ["0123abcd"]
paths = ['''vendor/''']
)");
  ASSERT_EQ(imp.rules.rules.size(), 1u);
  const AllowList& a = imp.rules.rules[0].allow;
  EXPECT_TRUE(a.regexes.empty());  // match target: dropped; AND pair: dropped
  EXPECT_EQ(a.stopwords, std::vector<std::string>{"zzz"});
  EXPECT_EQ(a.paths, std::vector<std::string>{"vendor/"});
  EXPECT_TRUE(has_text(imp.notes, "regexes with regexTarget 'match' are not used"));
  EXPECT_TRUE(has_text(imp.notes, "condition AND over several checks is not used"));
  EXPECT_TRUE(has_text(imp.notes, "commits are not used"));
  // The match-target regex would hide every finding if applied to the match.
  EXPECT_EQ(secrets(imp.rules, "val_abc4567890\n", "x.bb"), std::vector<std::string>{"abc4567890"});
}

TEST(Gitleaks, GlobalAllowlistsOldNewAndTargeted) {
  auto old_form = parse_ok(R"(
[allowlist]
description = "global"
regexes = ['''^dummy''']
paths = ['''(^|/)testdata/''']
stopwords = ["Sentinel"]
[[rules]]
id = "r"
regex = '''k=([a-z0-9]{8,})'''
)");
  EXPECT_EQ(old_form.rules.allow.regexes, std::vector<std::string>{"^dummy"});
  EXPECT_EQ(old_form.rules.allow.paths, std::vector<std::string>{"(^|/)testdata/"});
  EXPECT_EQ(old_form.rules.allow.stopwords, std::vector<std::string>{"sentinel"});

  auto imp = parse_ok(R"(
[[allowlists]]
stopwords = ["nothing"]
[[allowlists]]
targetRules = ["second"]
regexes = ['''^0''']
[[rules]]
id = "first"
regex = '''a=([a-z0-9]{8})'''
[[rules]]
id = "second"
regex = '''b=([a-z0-9]{8})'''
)");
  EXPECT_EQ(imp.rules.allow.stopwords, std::vector<std::string>{"nothing"});
  EXPECT_TRUE(imp.rules.allow.regexes.empty());
  EXPECT_TRUE(imp.rules.rules[0].allow.regexes.empty());
  EXPECT_EQ(imp.rules.rules[1].allow.regexes, std::vector<std::string>{"^0"});
  EXPECT_EQ(secrets(imp.rules, "a=0abcdefg b=0abcdefg b=1abcdefg a=nothing1\n"),
            (std::vector<std::string>{"0abcdefg", "1abcdefg"}));
}

TEST(Gitleaks, ExtendUseDefaultAddsWardRulesMinusDisabled) {
  auto defaults = default_rules();
  ASSERT_TRUE(defaults);
  auto imp = parse_ok(R"(
[extend]
useDefault = true
disabledRules = ["aws-access-key-id", "no-such-rule"]
[[rules]]
id = "acme-token"
regex = '''acme_[a-z0-9]{16}'''
[[rules]]
id = "github-pat"
description = "overridden description"
)");
  const RuleSet& set = imp.rules;
  EXPECT_EQ(set.rules.size(), defaults->rules.size() - 1 + 1);
  EXPECT_EQ(set.rules[0].id, "acme-token");  // own rules first
  EXPECT_EQ(find_rule(set, "aws-access-key-id"), nullptr);
  const Rule* pat = find_rule(set, "github-pat");
  ASSERT_NE(pat, nullptr);
  EXPECT_EQ(pat->description, "overridden description");
  const Rule* ward_pat = find_rule(*defaults, "github-pat");
  ASSERT_NE(ward_pat, nullptr);
  EXPECT_EQ(pat->regex, ward_pat->regex);  // merged: the rest is ward's
  EXPECT_EQ(pat->keywords, ward_pat->keywords);
  EXPECT_EQ(pat->entropy, ward_pat->entropy);
  EXPECT_EQ(set.allow.stopwords, defaults->allow.stopwords);
  EXPECT_TRUE(has_text(imp.notes, "disabled rule 'no-such-rule' is not in the extended"));
  auto built = Scanner::build(set);
  ASSERT_TRUE(built) << built.error().message;
}

TEST(Gitleaks, ExtendPathResolvesAgainstTheFileAndMerges) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "conf/base");
  write(dir / "conf/base/base.toml", R"(
[allowlist]
stopwords = ["basestop"]
[[rules]]
id = "base-only"
regex = '''base_[a-z]{8}'''
[[rules]]
id = "shared"
regex = '''shared_([a-z]{8})'''
keywords = ["shared_"]
tags = ["base"]
[[rules]]
id = "disabled-one"
regex = '''off_[a-z]{8}'''
)");
  write(dir / "conf/top.toml", R"(
[extend]
path = "base/base.toml"
disabledRules = ["disabled-one"]
[[rules]]
id = "shared"
entropy = 2
tags = ["top"]
[[rules.allowlists]]
stopwords = ["topstop"]
)");
  auto imp = load_gitleaks_config(dir / "conf/top.toml");
  ASSERT_TRUE(imp) << imp.error().message;
  ASSERT_EQ(imp->rules.rules.size(), 2u);
  const Rule& shared = imp->rules.rules[0];
  EXPECT_EQ(shared.id, "shared");
  EXPECT_EQ(shared.regex, "shared_([a-z]{8})");
  EXPECT_EQ(shared.secret_group, 1);
  EXPECT_GT(shared.entropy, 2.0);
  EXPECT_EQ(shared.tags, (std::vector<std::string>{"base", "top"}));
  EXPECT_EQ(shared.allow.stopwords, std::vector<std::string>{"topstop"});
  EXPECT_EQ(imp->rules.rules[1].id, "base-only");
  EXPECT_EQ(imp->rules.allow.stopwords, std::vector<std::string>{"basestop"});

  // Text has no file to resolve the path against.
  auto text = parse_gitleaks_config("[extend]\npath = \"base/base.toml\"\n", "top.toml");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message.rfind("top.toml:2: extend: path:", 0), 0u) << text.error().message;

  write(dir / "conf/missing.toml", "[extend]\npath = \"nowhere.toml\"\n");
  auto missing = load_gitleaks_config(dir / "conf/missing.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::not_found);
  EXPECT_NE(missing.error().message.find("missing.toml:2: extend: path:"), std::string::npos);
}

TEST(Gitleaks, ExtendCyclesAndDepthAreRefused) {
  testing::TempDir dir;
  write(dir / "self.toml", "[extend]\npath = \"self.toml\"\n");
  auto self = load_gitleaks_config(dir / "self.toml");
  ASSERT_FALSE(self);
  EXPECT_NE(self.error().message.find("self.toml:2: extend: path: 'self.toml' extends itself"),
            std::string::npos)
      << self.error().message;

  write(dir / "a.toml", "[extend]\npath = \"b.toml\"\n");
  write(dir / "b.toml", "\n[extend]\npath = \"./a.toml\"\n");
  auto cycle = load_gitleaks_config(dir / "a.toml");
  ASSERT_FALSE(cycle);
  EXPECT_NE(cycle.error().message.find("b.toml:3: extend: path: './a.toml' extends itself "
                                       "(a.toml -> b.toml -> a.toml)"),
            std::string::npos)
      << cycle.error().message;

  write(dir / "d0.toml", "[extend]\npath = \"d1.toml\"\n");
  write(dir / "d1.toml", "[extend]\npath = \"d2.toml\"\n");
  write(dir / "d2.toml", "[extend]\npath = \"d3.toml\"\n");
  write(dir / "d3.toml", "[[rules]]\nid = \"x\"\nregex = 'x_[0-9]{4}'\n");
  auto deep = load_gitleaks_config(dir / "d0.toml");
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().message.find("d2.toml:2: extend: path: more than 2 levels"),
            std::string::npos)
      << deep.error().message;
  auto two = load_gitleaks_config(dir / "d1.toml");  // d1 -> d2 -> d3: two levels
  ASSERT_TRUE(two) << two.error().message;
  EXPECT_EQ(two->rules.rules.size(), 1u);

  std::filesystem::create_directory(dir / "adir");
  write(dir / "todir.toml", "[extend]\npath = \"adir\"\n");
  auto todir = load_gitleaks_config(dir / "todir.toml");
  ASSERT_FALSE(todir);
  EXPECT_NE(todir.error().message.find("is not a regular file"), std::string::npos);
  auto nofile = load_gitleaks_config(dir / "absent.toml");
  ASSERT_FALSE(nofile);
  EXPECT_EQ(nofile.error().code, Code::not_found);
}

TEST(Gitleaks, RulesWardCannotRunAreSkippedWithAReason) {
  auto imp = parse_ok(R"(
[[rules]]
id = "pkcs12-file"
path = '''\.p12$'''
[[rules]]
id = "php-only"
regex = '''sk_[a-z]{8}'''
path = '''\.php$'''
[[rules]]
id = "composite"
regex = '''client_id=([a-z]{8})'''
[[rules.required]]
id = "helper"
withinLines = 3
[[rules]]
id = "helper"
regex = '''client_secret=([a-z]{8})'''
skipReport = true
[[rules]]
id = "kept"
regex = '''kept_[a-z]{8}'''
)");
  ASSERT_EQ(imp.rules.rules.size(), 1u);
  EXPECT_EQ(imp.rules.rules[0].id, "kept");
  ASSERT_EQ(imp.skipped.size(), 4u);
  EXPECT_EQ(imp.skipped[0],
            "pkcs12-file: path-only rule: it reports files by name, ward rules "
            "match content");
  EXPECT_EQ(imp.skipped[1].rfind("php-only: applies only to paths matching '\\.php$'", 0), 0u);
  EXPECT_EQ(imp.skipped[2], "composite: composite rule ([[rules.required]]) is not supported");
  EXPECT_EQ(imp.skipped[3], "helper: skipReport rule: it only serves composite rules");
}

TEST(Gitleaks, UnknownKeysAreNoted) {
  auto imp = parse_ok(R"(
[[rules]]
id = "r"
regex = '''r_[a-z]{8}'''
secret_group = 1
)");
  EXPECT_TRUE(has_text(imp.notes, "g.toml:5: rule r: unknown key 'secret_group' ignored"));
}

TEST(Gitleaks, ErrorsNameTheLineAndField) {
  struct Case {
    const char* toml;
    const char* message;
  };
  const Case cases[] = {
      {"[[rules]]\nid = \"a\"\nregex = '''x\n", "g.toml:3:"},  // unterminated string
      {"title = \"t\"\n[[rules]]\ndescription = \"no id\"\nregex = 'x'\n",
       "g.toml:2: rule has no id"},
      {"[[rules]]\nid = \"a\"\ndescription = \"nothing to match\"\n",
       "g.toml:1: rule a: has neither regex nor path"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\n\n[[rules]]\nid = \"a\"\nregex = 'y'\n",
       "g.toml:5: rule id 'a' appears twice (first at line 1)"},
      {"[[rules]]\nid = \"a\"\nregex = 'a(b)'\nsecretGroup = 2\n",
       "g.toml:1: rule a: secretGroup: 2 but the regex has 1 capture groups"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\nsecretGroup = -1\n",
       "g.toml:4: rule a: secretGroup: out of range"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\nsecretGroup = \"1\"\n",
       "g.toml:4: rule a: secretGroup: expected a whole number"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\nentropy = \"high\"\n",
       "g.toml:4: rule a: entropy: expected a number"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\nentropy = nan\n",
       "g.toml:4: rule a: entropy: expected a number >= 0"},
      {"[[rules]]\nid = \"a\"\nregex = '(x'\n", "g.toml:3: rule a: regex: invalid regex:"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\nkeywords = \"x\"\n",
       "g.toml:4: rule a: keywords: expected a list of strings"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\ntags = [1]\n",
       "g.toml:4: rule a: tags: expected a list of strings"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\ncondition = \"XOR\"\n"
       "regexes = ['y']\n",
       "g.toml:5: rule a: condition: expected AND or OR"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\nregexTarget = \"file\"\n"
       "regexes = ['y']\n",
       "g.toml:5: rule a: regexTarget: expected secret, match or line"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\ndescription = \"empty\"\n",
       "g.toml:4: rule a: has no commits, paths, regexes or stopwords"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\nregexes = ['(']\n",
       "g.toml:5: rule a: regexes: invalid regex:"},
      {"[[rules]]\nid = \"a\"\nregex = 'x'\n[rules.allowlist]\nregexes = ['y']\n"
       "[[rules.allowlists]]\nregexes = ['z']\n",
       "rule a: allowlist: cannot be used alongside [[rules.allowlists]]"},
      {"[allowlist]\nregexes = ['y']\n[[allowlists]]\nregexes = ['z']\n",
       "g.toml:1: allowlist: cannot be used alongside [[allowlists]]"},
      {"[[allowlists]]\ntargetRules = [\"ghost\"]\nregexes = ['y']\n[[rules]]\nid = \"a\"\n"
       "regex = 'x'\n",
       "g.toml:1: allowlist: targetRules: no rule 'ghost'"},
      {"[extend]\nuseDefault = true\npath = \"x.toml\"\n",
       "g.toml:1: extend: useDefault and path cannot both be set"},
      {"[extend]\nuseDefault = \"yes\"\n", "g.toml:2: extend: useDefault: expected true or false"},
      {"rules = \"none\"\n", "g.toml:1: rules: expected [[rules]] tables"},
      {"[rules]\nid = \"a\"\n", "g.toml:1: rules: expected [[rules]] tables"},
  };
  for (const Case& c : cases) {
    std::string message = parse_error(c.toml);
    EXPECT_NE(message.find(c.message), std::string::npos)
        << "got: " << message << "\nwanted: " << c.message;
  }
  // toml++ 3.3.0 reached undefined behaviour on this (see gitleaks.cpp).
  EXPECT_EQ(parse_error("x = \xc3\xa9\n").rfind("g.toml:1:5: invalid TOML:", 0), 0u)
      << parse_error("x = \xc3\xa9\n");
  // toml++ says where the syntax broke, column included.
  EXPECT_EQ(parse_error("a = 1\nb = = 2\n").rfind("g.toml:2:5: invalid TOML:", 0), 0u)
      << parse_error("a = 1\nb = = 2\n");
}

// gitleaks' own default configuration (tests/fixtures/gitleaks/gitleaks.toml,
// MIT-licensed, unmodified) loads, compiles into one scanner and finds the
// tokens it is made for. The tokens are synthetic.
TEST(Gitleaks, GitleaksDefaultConfigBuildsAndFinds) {
  auto imp = load_gitleaks_config(WARD_TEST_FIXTURES "/gitleaks/gitleaks.toml");
  ASSERT_TRUE(imp) << imp.error().message;
  EXPECT_EQ(imp->rules.rules.size(), 204u);
  EXPECT_EQ(imp->skipped.size(), 5u);  // pkcs12-file and four path-restricted rules
  EXPECT_TRUE(has_text(imp->skipped, "pkcs12-file: path-only rule"));
  EXPECT_TRUE(has_text(imp->skipped, "nuget-config-password: applies only to paths"));
  EXPECT_TRUE(has_text(imp->notes, "generic-api-key: allowlist at"));
  const Rule* generic = find_rule(imp->rules, "generic-api-key");
  ASSERT_NE(generic, nullptr);
  EXPECT_TRUE(generic->generic());
  EXPECT_EQ(generic->keywords.size(), 10u);  // proven to be in every match
  EXPECT_GT(generic->allow.stopwords.size(), 1000u);

  auto start = std::chrono::steady_clock::now();
  auto built = Scanner::build(imp->rules);
  ASSERT_TRUE(built) << built.error().message;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("gitleaks default config: %zu rules, %zu on RE2 alone, built in %.1f s\n",
              imp->rules.rules.size(), built->re2_only(), seconds);
  // Without the leading [\w.-]{0,50}? Hyperscan takes all but a few (with
  // it, 67 rules fall back to RE2 and the build takes five times longer).
  EXPECT_LE(built->re2_only(), 12u);

  const std::string pat = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";
  const std::string aws = "AKIAJWF2TWBX3XL565EK";
  const std::string stripe = "sk_live_9fQ2xL7mR4tZ8vB1nK6pW3sD";
  const std::string api = "Zx8Qm2Lp9Rt4Vw7Ks1Nb";
  const std::string key = "MIIEpQIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8kdQjAbYr5e7hUqxkJ1Z2WsTt0Pq";
  std::string text = "token: " + pat + "\naws_access_key_id = " + aws +
                     "\naws_example = AKIAIOSFODNN7EXAMPLE\nSTRIPE_KEY=" + stripe +
                     "\nconst api_key = \"" + api + "\";\n-----BEGIN RSA PRIVATE KEY-----\n" + key +
                     "\n-----END RSA PRIVATE KEY-----\n";
  auto scratch = built->make_scratch();
  std::set<std::pair<std::string, std::string>> found;
  for (const Finding& f : built->scan(text, "src/config.py", *scratch)) {
    found.emplace(built->rules().rules[f.rule].id, text.substr(f.offset, f.length));
  }
  EXPECT_TRUE(found.count({"github-pat", pat}));
  EXPECT_TRUE(found.count({"aws-access-token", aws}));
  EXPECT_TRUE(found.count({"stripe-access-token", stripe}));
  EXPECT_TRUE(found.count({"generic-api-key", api}));
  EXPECT_TRUE(std::any_of(found.begin(), found.end(),
                          [](const auto& f) { return f.first == "private-key"; }));
  // The rule's allow-list (.+EXAMPLE$) and paths, and the global paths, hold.
  for (const auto& f : found) EXPECT_EQ(f.second.find("EXAMPLE"), std::string::npos);
  std::string readme = "token: " + pat + "\n";
  for (const Finding& f : built->scan(readme, "lib/@octokit/auth-token/README.md", *scratch)) {
    EXPECT_NE(built->rules().rules[f.rule].id, "github-pat");
  }
  EXPECT_TRUE(built->path_excluded("docs/logo.png"));
  EXPECT_TRUE(built->path_excluded("go.sum"));
}

}  // namespace
}  // namespace ward::scan
