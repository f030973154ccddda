#include "run/template.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "../testing/temp_dir.hpp"

namespace ward {
namespace {

std::vector<TemplateEntry> parse_ok(std::string_view text) {
  auto result = parse_template(text);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  return result ? std::move(*result) : std::vector<TemplateEntry>{};
}

Error parse_error(std::string_view text) {
  auto result = parse_template(text);
  EXPECT_FALSE(result.has_value());
  return result ? Error{} : result.error();
}

// Resolves from a fixed map; not_found otherwise.
Result<SecretBytes> resolve_from(const std::map<std::string, std::string>& vault,
                                 const std::string& path) {
  auto it = vault.find(path);
  if (it == vault.end()) return fail(Code::not_found, "no secret " + path);
  return SecretBytes::from_view(it->second);
}

std::string render(const TemplateEntry& entry, const std::map<std::string, std::string>& vault) {
  auto value = render_entry(entry, [&](const std::string& p) { return resolve_from(vault, p); });
  EXPECT_TRUE(value.has_value());
  return value ? std::string(value->view()) : std::string();
}

}  // namespace

TEST(Template, PlainValueIsOneLiteral) {
  auto entries = parse_ok("LOG_LEVEL=debug\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].var, "LOG_LEVEL");
  EXPECT_EQ(entries[0].line, 1);
  ASSERT_EQ(entries[0].parts.size(), 1u);
  EXPECT_FALSE(entries[0].parts[0].is_ref);
  EXPECT_EQ(entries[0].parts[0].literal.view(), "debug");
  EXPECT_TRUE(entries[0].paths().empty());
  EXPECT_EQ(render(entries[0], {}), "debug");
}

TEST(Template, EmptyValueHasNoParts) {
  auto entries = parse_ok("EMPTY=\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].parts.empty());
  EXPECT_EQ(render(entries[0], {}), "");
}

TEST(Template, WholeWardBraceReference) {
  auto entries = parse_ok("# comment\n\nANTHROPIC_API_KEY=${ward:llm/anthropic}\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].line, 3);
  ASSERT_EQ(entries[0].parts.size(), 1u);
  EXPECT_TRUE(entries[0].parts[0].is_ref);
  EXPECT_EQ(entries[0].parts[0].path, "llm/anthropic");
  EXPECT_EQ(render(entries[0], {{"llm/anthropic", "sk-1"}}), "sk-1");
}

TEST(Template, WardSchemeReference) {
  auto entries = parse_ok("export TOKEN=ward://ci/github-token\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].paths(), std::vector<std::string>{"ci/github-token"});
  EXPECT_EQ(render(entries[0], {{"ci/github-token", "ghp_x"}}), "ghp_x");
}

TEST(Template, KmsReferenceMeansWard) {
  auto entries = parse_ok("A=${kms:prod/api}\nB=\"x-${kms:prod/api}-y\"\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].paths(), std::vector<std::string>{"prod/api"});
  EXPECT_EQ(render(entries[1], {{"prod/api", "K"}}), "x-K-y");
}

TEST(Template, EmbeddedReferences) {
  auto entries = parse_ok(
      "DATABASE_URL=postgres://${ward:prod/db/user}:${ward:prod/db/password}@db:5432/app\n");
  ASSERT_EQ(entries.size(), 1u);
  const auto& parts = entries[0].parts;
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(parts[0].literal.view(), "postgres://");
  EXPECT_EQ(parts[1].path, "prod/db/user");
  EXPECT_EQ(parts[2].literal.view(), ":");
  EXPECT_EQ(parts[3].path, "prod/db/password");
  EXPECT_EQ(parts[4].literal.view(), "@db:5432/app");
  EXPECT_EQ(entries[0].paths(), (std::vector<std::string>{"prod/db/user", "prod/db/password"}));
  EXPECT_EQ(render(entries[0], {{"prod/db/user", "app"}, {"prod/db/password", "p@ss"}}),
            "postgres://app:p@ss@db:5432/app");
}

TEST(Template, AdjacentAndRepeatedReferences) {
  auto entries = parse_ok("X=${ward:a}${ward:b}${ward:a}\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].parts.size(), 3u);
  EXPECT_EQ(entries[0].paths(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(render(entries[0], {{"a", "1"}, {"b", "2"}}), "121");
}

TEST(Template, OtherBracesStayLiteral) {
  auto entries = parse_ok("A='${HOME}/x ${other:y} $ward'\n");
  ASSERT_EQ(entries.size(), 1u);
  ASSERT_EQ(entries[0].parts.size(), 1u);
  EXPECT_EQ(entries[0].parts[0].literal.view(), "${HOME}/x ${other:y} $ward");
}

TEST(Template, OnePasswordReferenceIsMapped) {
  auto entries = parse_ok(
      "OPENAI_API_KEY=op://Private/OpenAI API Key/credential\n"
      "DB=\"op://Work Vault/Prod  DB (main)/Section 1/pass_word\"\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].paths(), std::vector<std::string>{"private/openai-api-key/credential"});
  EXPECT_EQ(entries[1].paths(), std::vector<std::string>{"work-vault/prod-db-main/pass_word"});
}

TEST(Template, OnePasswordMappingRules) {
  EXPECT_EQ(op_reference_path("op://Dev/--My.Item--/api-key").value(), "dev/my.item/api-key");
  EXPECT_EQ(op_reference_path("op://Dev/Caf\xc3\xa9/x").value(), "dev/caf/x");
  EXPECT_EQ(op_reference_path("op://a/b/c/d").value(), "a/b/d");
  EXPECT_FALSE(op_reference_path("op://a/b"));
  EXPECT_FALSE(op_reference_path("op://a/b/c/d/e"));
  EXPECT_FALSE(op_reference_path("op://a/b/c?attribute=otp"));
  EXPECT_FALSE(op_reference_path("op://a/!!!/c"));  // maps to an empty segment
  EXPECT_FALSE(op_reference_path("ward://a/b/c"));
}

TEST(Template, ErrorsOnOnePasswordShape) {
  Error e = parse_error("A=1\nTOKEN=op://vault/item\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 2: malformed 1password reference in TOKEN");
  e = parse_error("TOKEN=op://v/i/f?attribute=otp\n");
  EXPECT_EQ(e.message,
            "line 1: 1password reference attributes ('?...') are not supported in TOKEN");
  e = parse_error("TOKEN=op://v/!!!/f\n");
  EXPECT_EQ(e.message, "line 1: 1password reference maps to an invalid secret path in TOKEN");
}

TEST(Template, ErrorsOnInvalidPathWithoutQuotingIt) {
  for (std::string_view text : {"KEY=${ward:Prod/Secret}\n", "KEY=ward://a//b\n",
                                "KEY=x${kms:../up}y\n", "KEY=ward://\n", "KEY=${ward:}\n"}) {
    Error e = parse_error(text);
    EXPECT_EQ(e.code, Code::invalid_input) << text;
    EXPECT_EQ(e.message, "line 1: invalid secret path in the reference of KEY") << text;
    EXPECT_FALSE(e.hint.empty());
  }
}

TEST(Template, ErrorsOnUnterminatedReference) {
  Error e = parse_error("A=1\n\nURL=\"postgres://${ward:prod/db\"\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 3: unterminated ${ward:...} reference in URL");
  EXPECT_EQ(parse_error("A=${kms:x").message, "line 1: unterminated ${ward:...} reference in A");
}

TEST(Template, PassesDotenvErrorsThrough) {
  Error e = parse_error("A=1\nnot an assignment\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 2: expected NAME=value");
  EXPECT_EQ(parse_error("A=\"open\n").message, "line 1: unterminated double-quoted value for A");
}

TEST(Template, RenderPassesResolveErrorsThrough) {
  auto entries = parse_ok("A=x${ward:missing}\n");
  ASSERT_EQ(entries.size(), 1u);
  auto value = render_entry(entries[0], [](const std::string& p) { return resolve_from({}, p); });
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code, Code::not_found);
}

TEST(Template, LoadsFileAndPrefixesErrors) {
  testing::TempDir dir;
  std::ofstream(dir / "claude.env") << "ANTHROPIC_API_KEY=${ward:llm/anthropic}\nMODE=ci\n";
  auto entries = load_template_file(dir / "claude.env");
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].paths(), std::vector<std::string>{"llm/anthropic"});

  std::ofstream(dir / "bad.env") << "A=ward://BAD\n";
  auto bad = load_template_file(dir / "bad.env");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            dir / "bad.env" + ": line 1: invalid secret path in the reference of A");

  auto missing = load_template_file(dir / "missing.env");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::not_found);
}

TEST(Template, ReferencePathClassifiesWholeValues) {
  EXPECT_EQ(reference_path("ward://llm/anthropic"), "llm/anthropic");
  EXPECT_EQ(reference_path("${ward:prod/db}"), "prod/db");
  EXPECT_EQ(reference_path("${kms:prod/db}"), "prod/db");
  EXPECT_EQ(reference_path("sk-ant-123"), std::nullopt);
  EXPECT_EQ(reference_path(""), std::nullopt);
  EXPECT_EQ(reference_path("x${ward:a}"), std::nullopt);
  EXPECT_EQ(reference_path("${ward:a}x"), std::nullopt);
  EXPECT_EQ(reference_path("${ward:a}${ward:b}"), std::nullopt);
  EXPECT_EQ(reference_path("${ward:a"), std::nullopt);
  EXPECT_EQ(reference_path("${HOME}"), std::nullopt);
  EXPECT_EQ(reference_path("op://a/b/c"), std::nullopt);
}

}  // namespace ward
