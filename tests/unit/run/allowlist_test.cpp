#include "run/allowlist.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "../testing/temp_dir.hpp"

namespace ward {
namespace {

Allowlist parse_ok(std::string_view yaml) {
  auto result = parse_allowlist(yaml, "allow.yaml");
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  return result ? std::move(*result) : Allowlist{};
}

Error parse_error(std::string_view yaml) {
  auto result = parse_allowlist(yaml, "allow.yaml");
  EXPECT_FALSE(result.has_value());
  return result ? Error{} : result.error();
}

std::string real(const std::string& path) {
  char* r = ::realpath(path.c_str(), nullptr);
  std::string out = r ? r : "";
  ::free(r);
  return out;
}

constexpr std::string_view kPin =
    "3B1F000000000000000000000000000000000000000000000000000000000abc";

}  // namespace

TEST(Allowlist, ParsesListAndMapShapes) {
  std::string yaml = "# tools\nclaude: [ANTHROPIC_API_KEY]\naws: [\"AWS_*\"]\n";
  yaml += "/usr/local/bin/node:\n  allow: [OPENAI_API_KEY, \"HF_*\"]\n  sha256: ";
  yaml += kPin;
  yaml += "\ncodex:\n  - OPENAI_API_KEY\n  - OPENAI_ORG\n";
  Allowlist list = parse_ok(yaml);
  EXPECT_EQ(list.source_file, "allow.yaml");
  ASSERT_EQ(list.rules.size(), 4u);
  EXPECT_EQ(list.rules[0].key, "claude");
  EXPECT_EQ(list.rules[0].allow, std::vector<std::string>{"ANTHROPIC_API_KEY"});
  EXPECT_FALSE(list.rules[0].sha256);
  EXPECT_EQ(list.rules[1].allow, std::vector<std::string>{"AWS_*"});
  EXPECT_EQ(list.rules[2].key, "/usr/local/bin/node");
  EXPECT_EQ(list.rules[2].allow, (std::vector<std::string>{"OPENAI_API_KEY", "HF_*"}));
  ASSERT_TRUE(list.rules[2].sha256);
  EXPECT_EQ(*list.rules[2].sha256,
            "3b1f000000000000000000000000000000000000000000000000000000000abc");
  EXPECT_EQ(list.rules[3].allow, (std::vector<std::string>{"OPENAI_API_KEY", "OPENAI_ORG"}));
}

TEST(Allowlist, EmptyDocumentIsEmpty) {
  EXPECT_TRUE(parse_ok("").rules.empty());
  EXPECT_TRUE(parse_ok("# nothing yet\n").rules.empty());
  EXPECT_TRUE(parse_ok("tool: []\n").rules[0].allow.empty());
}

TEST(Allowlist, AbsolutePathBeatsBasename) {
  Allowlist list = parse_ok("node: [A]\n/opt/node/bin/node: [B]\n/usr/bin/node:\n  allow: [C]\n");
  const ToolRule* rule = list.rule_for("/usr/bin/node");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->key, "/usr/bin/node");
  rule = list.rule_for("/opt/node/bin/node");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->key, "/opt/node/bin/node");
  rule = list.rule_for("/home/me/.nvm/bin/node");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->key, "node");
  EXPECT_EQ(list.rule_for("/usr/bin/python3"), nullptr);
  EXPECT_EQ(list.rule_for("/usr/bin/nodejs"), nullptr);
}

TEST(Allowlist, RuleAllowsNamesAndGlobs) {
  ToolRule rule{"aws", {"AWS_*", "EXACT", "KEY_?"}, std::nullopt};
  EXPECT_TRUE(rule_allows(rule, "AWS_ACCESS_KEY_ID"));
  EXPECT_TRUE(rule_allows(rule, "AWS_"));
  EXPECT_TRUE(rule_allows(rule, "EXACT"));
  EXPECT_TRUE(rule_allows(rule, "KEY_1"));
  EXPECT_FALSE(rule_allows(rule, "KEY_12"));
  EXPECT_FALSE(rule_allows(rule, "EXACTLY"));
  EXPECT_FALSE(rule_allows(rule, "MY_AWS_KEY"));
  EXPECT_FALSE(rule_allows(rule, "aws_key"));
  EXPECT_FALSE(rule_allows(ToolRule{"none", {}, std::nullopt}, "ANY"));
}

TEST(Allowlist, ErrorsOnBadYamlWithLine) {
  Error e = parse_error("claude: [A]\naws: [B\n\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_TRUE(e.message.starts_with("allow.yaml:")) << e.message;
  EXPECT_NE(e.message.find("invalid YAML"), std::string::npos) << e.message;
  e = parse_error("a: [A]\n  b: c: d\n");
  EXPECT_TRUE(e.message.starts_with("allow.yaml:2: invalid YAML")) << e.message;
}

TEST(Allowlist, ErrorsOnBadShapesWithLine) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  const Case cases[] = {
      {"- claude\n", "allow.yaml:1: expected a map of tools to allowed variables"},
      {"just text\n", "allow.yaml:1: expected a map of tools to allowed variables"},
      {"a: [A]\nclaude: ANTHROPIC_API_KEY\n",
       "allow.yaml:2: expected a list of variables or a map for 'claude'"},
      {"claude:\n", "allow.yaml:1: expected a list of variables or a map for 'claude'"},
      {"a: [A]\nbin/claude: [A]\n",
       "allow.yaml:2: tool 'bin/claude' is neither a basename nor an absolute path"},
      {"/usr/bin/: [A]\n",
       "allow.yaml:1: tool '/usr/bin/' is neither a basename nor an absolute path"},
      {"[a]: [A]\n", "allow.yaml:1: a tool key must be a name or an absolute path"},
      {"claude: [A]\nclaude: [B]\n", "allow.yaml:2: duplicate tool 'claude'"},
      {"claude:\n  - A\n  - sk-ant-secret\n",
       "allow.yaml:3: invalid variable name or glob for 'claude'"},
      {"claude: [[A]]\n", "allow.yaml:1: invalid variable name or glob for 'claude'"},
      {"node:\n  sha256: abc\n  allow: [A]\n",
       "allow.yaml:2: the sha256 of 'node' must be 64 hex digits"},
      {"node:\n  allow: A\n", "allow.yaml:2: the variables of 'node' must be a list"},
      {"node:\n  allow: [A]\n  pin: x\n", "allow.yaml:3: unknown or repeated field in 'node'"},
      {"node:\n  sha256: " + std::string(64, 'a') + "\n",
       "allow.yaml:1: 'node' has no 'allow' list"},
  };
  for (const auto& c : cases) {
    Error e = parse_error(c.yaml);
    EXPECT_EQ(e.code, Code::invalid_input) << c.yaml;
    EXPECT_EQ(e.message, c.message) << c.yaml;
    EXPECT_EQ(e.message.find("sk-ant"), std::string::npos);
  }
}

TEST(ResolveTool, SearchesPathAndFollowsSymlinks) {
  testing::TempDir dir;
  std::string bin = dir / "bin";
  ASSERT_EQ(::mkdir(bin.c_str(), 0700), 0);
  std::string true_path = ::access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true";
  ASSERT_EQ(::symlink(true_path.c_str(), (bin + "/claude").c_str()), 0);
  auto resolved = resolve_tool("claude", dir / "empty:" + bin + ":/usr/bin");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, real(true_path));
  EXPECT_TRUE(*resolved == "/usr/bin/true" || *resolved == "/bin/true") << *resolved;

  auto direct = resolve_tool(bin + "/claude", "");
  ASSERT_TRUE(direct);
  EXPECT_EQ(*direct, *resolved);
}

TEST(ResolveTool, FirstPathEntryWins) {
  testing::TempDir dir;
  std::string a = dir / "a", b = dir / "b";
  ASSERT_EQ(::mkdir(a.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(b.c_str(), 0700), 0);
  for (const auto& d : {a, b}) {
    std::ofstream(d + "/tool") << "#!/bin/sh\n";
    ::chmod((d + "/tool").c_str(), 0700);
  }
  EXPECT_EQ(resolve_tool("tool", a + ":" + b).value(), real(a + "/tool"));
  EXPECT_EQ(resolve_tool("tool", b + ":" + a).value(), real(b + "/tool"));
}

TEST(ResolveTool, NotFoundWhenMissingOrNotExecutable) {
  testing::TempDir dir;
  std::ofstream(dir / "plain") << "data\n";
  ::chmod((dir / "plain").c_str(), 0600);
  ASSERT_EQ(::mkdir((dir / "sub").c_str(), 0700), 0);
  for (const auto& [argv0, path] :
       std::vector<std::pair<std::string, std::string>>{{"ward-no-such-tool-xyz", "/usr/bin:/bin"},
                                                        {"plain", dir.path()},
                                                        {dir / "plain", ""},
                                                        {"sub", dir.path()},
                                                        {dir / "missing", ""},
                                                        {"", "/usr/bin"}}) {
    auto r = resolve_tool(argv0, path);
    ASSERT_FALSE(r) << argv0;
    EXPECT_EQ(r.error().code, Code::not_found) << argv0;
  }
}

TEST(Allowlist, FileSha256MatchesKnownDigest) {
  testing::TempDir dir;
  std::ofstream(dir / "abc") << "abc";
  EXPECT_EQ(file_sha256(dir / "abc").value(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto missing = file_sha256(dir / "missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::not_found);
}

}  // namespace ward
