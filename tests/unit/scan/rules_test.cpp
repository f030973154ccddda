#include "scan/rules.hpp"

#include <gtest/gtest.h>

#include <set>

#include "scan/engine.hpp"
#include "util/file.hpp"

namespace ward::scan {
namespace {

// rules/default.yaml with its samples (ward builds in a copy without them).
Result<RuleSet> source_rules() {
  auto text = read_file(WARD_RULES_SOURCE);
  if (!text) return tl::unexpected(text.error());
  return parse_rules(*text, "rules/default.yaml");
}

const Scanner& default_scanner() {
  static Scanner scanner = [] {
    auto rules = source_rules();
    EXPECT_TRUE(rules) << rules.error().message;
    auto built = Scanner::build(std::move(*rules));
    EXPECT_TRUE(built) << built.error().message;
    return std::move(*built);
  }();
  return scanner;
}

// The built-in copy (no samples, no comments) holds exactly the rules of
// the source file.
TEST(Rules, BuiltInCopyIsTheSourceWithoutSamples) {
  auto built = default_rules();
  auto source = source_rules();
  ASSERT_TRUE(built) << built.error().message;
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_LT(default_rules_text().size() * 2, read_file(WARD_RULES_SOURCE)->size());
  EXPECT_EQ(built->allow.regexes, source->allow.regexes);
  EXPECT_EQ(built->allow.stopwords, source->allow.stopwords);
  EXPECT_EQ(built->allow.paths, source->allow.paths);
  ASSERT_EQ(built->rules.size(), source->rules.size());
  for (std::size_t i = 0; i < built->rules.size(); ++i) {
    const Rule& a = built->rules[i];
    const Rule& b = source->rules[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.description, b.description) << a.id;
    EXPECT_EQ(a.regex, b.regex) << a.id;
    EXPECT_EQ(a.secret_group, b.secret_group) << a.id;
    EXPECT_EQ(a.keywords, b.keywords) << a.id;
    EXPECT_EQ(a.entropy, b.entropy) << a.id;
    EXPECT_EQ(a.tags, b.tags) << a.id;
    EXPECT_EQ(a.allow.regexes, b.allow.regexes) << a.id;
    EXPECT_EQ(a.allow.stopwords, b.allow.stopwords) << a.id;
    EXPECT_EQ(a.allow.paths, b.allow.paths) << a.id;
    EXPECT_TRUE(a.positive.empty() && a.negative.empty()) << a.id;
  }
}

TEST(Rules, DefaultSetLoadsWithEnoughRules) {
  auto rules = source_rules();
  ASSERT_TRUE(rules) << rules.error().message;
  EXPECT_GE(rules->rules.size(), 150u);
  std::set<std::string> providers;
  for (const auto& r : rules->rules) {
    EXPECT_FALSE(r.positive.empty()) << r.id;
    EXPECT_FALSE(r.negative.empty()) << r.id;
  }
}

// Every rule ships samples: each positive is reported by that rule with
// exactly its secret; no negative is reported by it.
TEST(Rules, EverySampleBehaves) {
  const Scanner& scanner = default_scanner();
  auto scratch = scanner.make_scratch();
  const auto& rules = scanner.rules().rules;
  int failures = 0;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& rule = rules[i];
    for (const Sample& s : rule.positive) {
      auto found = scanner.scan(s.text, "", *scratch, Scanner::Overlaps::keep);
      bool ok = false;
      for (const Finding& f : found) {
        if (f.rule != i) continue;
        std::string_view secret = std::string_view(s.text).substr(f.offset, f.length);
        if (!s.secret || secret == *s.secret) ok = true;
      }
      if (!ok) {
        ADD_FAILURE() << rule.id << ": positive sample not reported: " << s.text;
        if (++failures > 20) return;
      }
    }
    for (const std::string& text : rule.negative) {
      for (const Finding& f : scanner.scan(text, "", *scratch, Scanner::Overlaps::keep)) {
        if (f.rule == i) {
          ADD_FAILURE() << rule.id << ": negative sample reported: " << text;
          if (++failures > 20) return;
        }
      }
    }
  }
}

TEST(Rules, FindingsCarryLineAndColumn) {
  const Scanner& scanner = default_scanner();
  auto scratch = scanner.make_scratch();
  std::string text =
      "line one\n  token = ghp_" + std::string("aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5") + "\n";
  auto found = scanner.scan(text, "", *scratch);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].line, 2u);
  EXPECT_EQ(text.substr(found[0].offset, 4), "ghp_");
  EXPECT_EQ(found[0].column, 11u);
}

TEST(Rules, PlaceholdersAreNotFindings) {
  const Scanner& scanner = default_scanner();
  auto scratch = scanner.make_scratch();
  for (const char* text :
       {"API_KEY=${API_KEY}", "password = \"your-password-here\"", "OPENAI_API_KEY=sk-...abcd",
        "token: <token>", "SECRET=ENC[ward:v1:abcd:efgh]"}) {
    EXPECT_TRUE(scanner.scan(text, "", *scratch).empty()) << text;
  }
}

TEST(Rules, BadFilesFailWithTheirLine) {
  auto missing = parse_rules("version: 1\nrules:\n  - id: x\n", "r.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no regex"), std::string::npos);
  auto dup = parse_rules("version: 1\nrules:\n  - {id: a, regex: 'x'}\n  - {id: a, regex: 'y'}\n",
                         "r.yaml");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("twice"), std::string::npos);
  EXPECT_FALSE(parse_rules("version: 2\nrules: []\n", "r.yaml"));
  EXPECT_FALSE(parse_rules("version: 1\nrules:\n  - {id: a, regex: 'x', keywords: [AB]}\n", "r"));
  auto set = parse_rules("version: 1\nrules:\n  - {id: a, regex: '(x', secret_group: 0}\n", "r");
  ASSERT_TRUE(set);
  auto built = Scanner::build(std::move(*set));
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().message.find("rule a"), std::string::npos);
}

// A rule Hyperscan refuses (this one can match the empty string) runs on
// RE2 alone; the others still go through the one database.
TEST(Rules, RuleHyperscanRefusesRunsOnRe2) {
  auto set = parse_rules(
      "version: 1\nrules:\n"
      "  - {id: empty-ok, regex: '(tok_[a-z]{4})?', secret_group: 1}\n"
      "  - {id: plain, regex: 'key_([0-9]{6})', secret_group: 1}\n",
      "r");
  ASSERT_TRUE(set) << set.error().message;
  auto built = Scanner::build(std::move(*set));
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(built->re2_only(), 1u);
  auto scratch = built->make_scratch();
  std::string text = "a tok_abcd b key_123456\n";
  auto found = built->scan(text, "", *scratch);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(text.substr(found[0].offset, found[0].length), "tok_abcd");
  EXPECT_EQ(found[0].rule, 0u);
  EXPECT_EQ(text.substr(found[1].offset, found[1].length), "123456");
}

TEST(Rules, EntropyOfUniformAndRepeated) {
  EXPECT_DOUBLE_EQ(shannon_entropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("abcd"), 2.0);
  EXPECT_DOUBLE_EQ(shannon_entropy(""), 0.0);
}

}  // namespace
}  // namespace ward::scan
