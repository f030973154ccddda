// IgnoreFile and glob_match against git itself: every row of kGitVerdicts
// (gitignore text, its directory, a path, whether it is a directory) was
// answered by `git check-ignore -v --non-matching --no-index` of git 2.39 in a
// fresh repository, keeping only paths none of whose parent directories git
// ignores (that rule is the walker's, see walk_test.cpp).
#include "scan/ignore.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ward::scan {
namespace {

using V = IgnoreFile::Verdict;

struct Case {
  const char* gitignore;
  const char* base;
  const char* path;
  bool is_dir;
  V verdict;
};

const char* name(V v) {
  switch (v) {
    case V::none:
      return "none";
    case V::ignored:
      return "ignored";
    case V::included:
      return "included";
  }
  return "?";
}

// clang-format off
const Case kGitVerdicts[] = {
    {"foo", "", "foo", false, V::ignored},
    {"foo", "", "foo", true, V::ignored},
    {"foo", "", "a/foo", false, V::ignored},
    {"foo", "", "a/b/foo", true, V::ignored},
    {"foo", "", "foobar", false, V::none},
    {"foo", "", "xfoo", false, V::none},
    {"foo/", "", "foo", false, V::none},
    {"foo/", "", "foo", true, V::ignored},
    {"foo/", "", "a/foo", true, V::ignored},
    {"foo/", "", "a/foo", false, V::none},
    {"/foo", "", "foo", false, V::ignored},
    {"/foo", "", "foo", true, V::ignored},
    {"/foo", "", "a/foo", false, V::none},
    {"a/b", "", "a/b", false, V::ignored},
    {"a/b", "", "a/b", true, V::ignored},
    {"a/b", "", "x/a/b", false, V::none},
    {"a/b", "", "a/bc", false, V::none},
    {"a/b/", "", "a/b", false, V::none},
    {"a/b/", "", "a/b", true, V::ignored},
    {"a/b/", "", "x/a/b", true, V::none},
    {"*.log", "", "x.log", false, V::ignored},
    {"*.log", "", "a/x.log", false, V::ignored},
    {"*.log", "", "a/b/.log", false, V::ignored},
    {"*.log", "", "x.logs", false, V::none},
    {"*.log", "", "log", false, V::none},
    {"*.log", "", "x.log", true, V::ignored},
    {"*.log\n!keep.log", "", "x.log", false, V::ignored},
    {"*.log\n!keep.log", "", "keep.log", false, V::included},
    {"*.log\n!keep.log", "", "a/keep.log", false, V::included},
    {"!keep.log\n*.log", "", "keep.log", false, V::ignored},
    {"\\#hash\n#comment", "", "#hash", false, V::ignored},
    {"\\#hash\n#comment", "", "#comment", false, V::none},
    {"\\#hash\n#comment", "", "comment", false, V::none},
    {"\\!bang", "", "!bang", false, V::ignored},
    {"\\!bang", "", "bang", false, V::none},
    {"trail   ", "", "trail", false, V::ignored},
    {"trail   ", "", "trail   ", false, V::none},
    {"esc\\ ", "", "esc ", false, V::ignored},
    {"esc\\ ", "", "esc", false, V::none},
    {"esc\\  ", "", "esc ", false, V::ignored},
    {"esc\\  ", "", "esc", false, V::none},
    {"esc\\  ", "", "esc  ", false, V::none},
    {"  lead", "", "  lead", false, V::ignored},
    {"  lead", "", "lead", false, V::none},
    {"a?c", "", "abc", false, V::ignored},
    {"a?c", "", "a/c", false, V::none},
    {"a?c", "", "ac", false, V::none},
    {"a?c", "", "x/abc", false, V::ignored},
    {"a*c", "", "abc", false, V::ignored},
    {"a*c", "", "ac", false, V::ignored},
    {"a*c", "", "abbbc", false, V::ignored},
    {"a*c", "", "x/ac", false, V::ignored},
    {"x/a*c", "", "x/abc", false, V::ignored},
    {"x/a*c", "", "x/a/c", false, V::none},
    {"x/a*c", "", "x/a/b/c", false, V::none},
    {"[a-c]x", "", "ax", false, V::ignored},
    {"[a-c]x", "", "bx", false, V::ignored},
    {"[a-c]x", "", "dx", false, V::none},
    {"[a-c]x", "", "Ax", false, V::none},
    {"[!a-c]x", "", "ax", false, V::none},
    {"[!a-c]x", "", "dx", false, V::ignored},
    {"[!a-c]x", "", "-x", false, V::ignored},
    {"[^a]x", "", "ax", false, V::none},
    {"[^a]x", "", "bx", false, V::ignored},
    {"[]]x", "", "]x", false, V::ignored},
    {"[]]x", "", "x", false, V::none},
    {"[a-]x", "", "-x", false, V::ignored},
    {"[a-]x", "", "ax", false, V::ignored},
    {"[a-]x", "", "bx", false, V::none},
    {"[[:digit:]]*", "", "1abc", false, V::ignored},
    {"[[:digit:]]*", "", "abc", false, V::none},
    {"[[:alpha:][:digit:]]z", "", "az", false, V::ignored},
    {"[[:alpha:][:digit:]]z", "", "5z", false, V::ignored},
    {"[[:alpha:][:digit:]]z", "", "_z", false, V::none},
    {"[[:bogus:]]", "", "b", false, V::none},
    {"[[:bogus:]]", "", "[[:bogus:]]", false, V::none},
    {"[abc", "", "[abc", false, V::none},
    {"[abc", "", "a", false, V::none},
    {"**/foo", "", "foo", false, V::ignored},
    {"**/foo", "", "a/foo", false, V::ignored},
    {"**/foo", "", "a/b/foo", true, V::ignored},
    {"**/foo", "", "foox", false, V::none},
    {"**/foo/bar", "", "foo/bar", false, V::ignored},
    {"**/foo/bar", "", "a/foo/bar", false, V::ignored},
    {"**/foo/bar", "", "a/b/foo/bar", false, V::ignored},
    {"**/foo/bar", "", "foo/x/bar", false, V::none},
    {"abc/**", "", "abc", true, V::none},
    {"abc/**", "", "abc/x", false, V::ignored},
    {"abc/**", "", "xabc/x", false, V::none},
    {"a/**/b", "", "a/b", false, V::ignored},
    {"a/**/b", "", "a/x/b", false, V::ignored},
    {"a/**/b", "", "a/x/y/b", false, V::ignored},
    {"a/**/b", "", "a/xb", false, V::none},
    {"a/**/b", "", "ab", false, V::none},
    {"a**b", "", "ab", false, V::ignored},
    {"a**b", "", "axb", false, V::ignored},
    {"a**b", "", "a/b", false, V::none},
    {"a**b", "", "ax/yb", false, V::none},
    {"foo**/bar", "", "foo/bar", false, V::ignored},
    {"foo**/bar", "", "fooX/bar", false, V::ignored},
    {"foo**/bar", "", "fooX/a/bar", false, V::ignored},
    {"foo**/bar", "", "foo/a/bar", false, V::ignored},
    {"**", "", "a", false, V::ignored},
    {"**", "", "a", true, V::ignored},
    {"*", "", "a", false, V::ignored},
    {"*", "", ".hidden", false, V::ignored},
    {"/*", "", "a", false, V::ignored},
    {"/*", "", "a", true, V::ignored},
    {"/*.c", "", "x.c", false, V::ignored},
    {"/*.c", "", "a/x.c", false, V::none},
    {"doc/*.txt", "", "doc/a.txt", false, V::ignored},
    {"doc/*.txt", "", "doc/x/a.txt", false, V::none},
    {"doc/*.txt", "", "a/doc/a.txt", false, V::none},
    {"*/x", "", "a/x", false, V::ignored},
    {"*/x", "", "x", false, V::none},
    {"*/x", "", "a/b/x", false, V::none},
    {"\\*", "", "*", false, V::ignored},
    {"\\*", "", "a", false, V::none},
    {"a\\", "", "a", false, V::none},
    {"a\\", "", "a\\", false, V::none},
    {"a\\b", "", "ab", false, V::ignored},
    {"a\\b", "", "a\\b", false, V::none},
    {"foo\r", "", "foo", false, V::ignored},
    {"foo\r", "", "foo\r", false, V::none},
    {"\xef""\xbb""\xbf""bom", "", "bom", false, V::ignored},
    {"bom\n\xef""\xbb""\xbf""second", "", "second", false, V::none},
    {"bom\n\xef""\xbb""\xbf""second", "", "\xef""\xbb""\xbf""second", false, V::ignored},
    {"!", "", "!", false, V::none},
    {"!", "", "a", false, V::none},
    {"/", "", "a", false, V::none},
    {"/", "", "a", true, V::none},
    {"*.env\n!.env.example\n.env.*", "", ".env", false, V::ignored},
    {"*.env\n!.env.example\n.env.*", "", "x.env", false, V::ignored},
    {"*.env\n!.env.example\n.env.*", "", ".env.example", false, V::ignored},
    {"*.env\n!.env.example\n.env.*", "", ".env.local", false, V::ignored},
    {"dir/\n!dir/", "", "dir", true, V::included},
    {"*\n!*/\n!*.keep", "", "a", true, V::included},
    {"*\n!*/\n!*.keep", "", "a/b.keep", false, V::included},
    {"*\n!*/\n!*.keep", "", "a/b.txt", false, V::ignored},
    {"*\n!*/\n!*.keep", "", "b.keep", false, V::included},
    {"a/b/c", "", "a/b/c", false, V::ignored},
    {"a/b/c", "", "a/b/c", true, V::ignored},
    {"a//b", "", "a/b", false, V::none},
    {"*.[oa]", "", "x.o", false, V::ignored},
    {"*.[oa]", "", "x.a", false, V::ignored},
    {"*.[oa]", "", "x.c", false, V::none},
    {"?", "", "a", false, V::ignored},
    {"?", "", "ab", false, V::none},
    {"**/", "", "a", true, V::ignored},
    {"**/", "", "a", false, V::none},
    {"a/**/", "", "a/b", true, V::ignored},
    {"a/**/", "", "a/b", false, V::none},
    {"a/**/", "", "a", true, V::none},
    {"/**/b", "", "b", false, V::ignored},
    {"/**/b", "", "x/b", false, V::ignored},
    {"a/*", "", "a/b", false, V::ignored},
    {"a/*", "", "a/b", true, V::ignored},
    {"a/*", "", "a", true, V::none},
    {"a*/**/c", "", "ab/c", false, V::ignored},
    {"a*/**/c", "", "ab/x/c", false, V::ignored},
    {"a*/**/c", "", "a/x/y/c", false, V::ignored},
    {"a\\/b", "", "a/b", false, V::ignored},
    {"***/x", "", "x", false, V::ignored},
    {"***/x", "", "a/x", false, V::ignored},
    {"***/x", "", "a/b/x", false, V::ignored},
    {"a/***", "", "a/b", false, V::ignored},
    {"[a-z][0-9]", "", "a1", false, V::ignored},
    {"[a-z][0-9]", "", "A1", false, V::none},
    {"[a-z][0-9]", "", "aa", false, V::none},
    {"[\\]]", "", "]", false, V::ignored},
    {"[a\\-z]", "", "-", false, V::ignored},
    {"[a\\-z]", "", "b", false, V::none},
    {"[a\\-z]", "", "z", false, V::ignored},
    {"x[!]", "", "x[!]", false, V::none},
    {"x[!]", "", "x!", false, V::none},
    {"foo", "sub", "sub/foo", false, V::ignored},
    {"foo", "sub", "sub/a/foo", false, V::ignored},
    {"/foo", "sub", "sub/foo", false, V::ignored},
    {"/foo", "sub", "sub/a/foo", false, V::none},
    {"a/b", "sub", "sub/a/b", false, V::ignored},
    {"a/b", "sub", "sub/x/a/b", false, V::none},
    {"*.txt\n!keep.txt", "sub/deep", "sub/deep/a.txt", false, V::ignored},
    {"*.txt\n!keep.txt", "sub/deep", "sub/deep/keep.txt", false, V::included},
    {"*.txt\n!keep.txt", "sub/deep", "sub/deep/x/y.txt", false, V::ignored},
    {"**/z", "sub", "sub/z", false, V::ignored},
    {"**/z", "sub", "sub/a/z", false, V::ignored},
};
// clang-format on

TEST(IgnoreFile, AgreesWithGitCheckIgnore) {
  for (const auto& c : kGitVerdicts) {
    auto file = IgnoreFile::parse(c.gitignore, c.base);
    EXPECT_STREQ(name(file.match(c.path, c.is_dir)), name(c.verdict))
        << "pattern \"" << c.gitignore << "\" in \"" << c.base << "\", path \"" << c.path << "\""
        << (c.is_dir ? " (dir)" : "");
  }
}

TEST(IgnoreFile, SkipsBlankLinesAndComments) {
  auto file = IgnoreFile::parse("\n# a comment\n   \n\r\n*.log\n", "");
  EXPECT_EQ(file.size(), 1u);
  EXPECT_EQ(file.match("x.log", false), V::ignored);
  EXPECT_TRUE(IgnoreFile::parse("# only\n\n", "").empty());
}

TEST(IgnoreFile, LastMatchingPatternWins) {
  auto file = IgnoreFile::parse("*.env\n!prod.env\nprod.*\n", "");
  EXPECT_EQ(file.match("dev.env", false), V::ignored);
  EXPECT_EQ(file.match("prod.env", false), V::ignored);  // prod.* comes last
  auto reincluded = IgnoreFile::parse("prod.*\n*.env\n!prod.env\n", "");
  EXPECT_EQ(reincluded.match("prod.env", false), V::included);
  EXPECT_EQ(reincluded.match("prod.txt", false), V::ignored);
  EXPECT_EQ(reincluded.match("other.txt", false), V::none);
}

TEST(IgnoreFile, NothingOutsideItsDirectory) {
  auto file = IgnoreFile::parse("*\n", "sub");
  EXPECT_EQ(file.match("sub/x", false), V::ignored);
  EXPECT_EQ(file.match("x", false), V::none);
  EXPECT_EQ(file.match("subx/y", false), V::none);
  EXPECT_EQ(file.match("sub", true), V::none);
  EXPECT_EQ(file.match("sub/", false), V::none);
  EXPECT_EQ(file.match("", false), V::none);
}

TEST(IgnoreFile, AddPatternTakesTheTextAsGiven) {
  IgnoreFile file;
  file.add_pattern("#not-a-comment");
  file.add_pattern("trailing ");
  file.add_pattern("");
  file.add_pattern("!");
  EXPECT_EQ(file.size(), 2u);
  EXPECT_EQ(file.match("#not-a-comment", false), V::ignored);
  EXPECT_EQ(file.match("trailing ", false), V::ignored);
  EXPECT_EQ(file.match("trailing", false), V::none);
}

TEST(GlobMatch, Wildmatch) {
  EXPECT_TRUE(glob_match("*.c", "a.c"));
  EXPECT_FALSE(glob_match("*.c", "dir/a.c"));  // '*' does not cross '/'
  EXPECT_TRUE(glob_match("**/*.c", "dir/sub/a.c"));
  EXPECT_TRUE(glob_match("**/*.c", "a.c"));
  EXPECT_TRUE(glob_match("dir/**", "dir/a/b"));
  EXPECT_FALSE(glob_match("dir/**", "dir"));
  EXPECT_TRUE(glob_match("a/**/b", "a/b"));
  EXPECT_TRUE(glob_match("a/**/b", "a/x/y/b"));
  EXPECT_FALSE(glob_match("a?b", "a/b"));
  EXPECT_TRUE(glob_match("[a-c][!0-9]", "bx"));
  EXPECT_FALSE(glob_match("[a-c][!0-9]", "b5"));
  EXPECT_FALSE(glob_match("[a/]", "/"));  // a class never matches '/'
  EXPECT_TRUE(glob_match("\\*", "*"));
  EXPECT_FALSE(glob_match("\\*", "x"));
  EXPECT_TRUE(glob_match("[[:upper:]][[:xdigit:]][[:space:]][[:punct:]]", "AF ."));
  EXPECT_FALSE(glob_match("[[:upper:]]", "a"));
  EXPECT_TRUE(glob_match("", ""));
  EXPECT_FALSE(glob_match("", "a"));
  EXPECT_FALSE(glob_match("a", ""));
  EXPECT_TRUE(glob_match("*", ""));
}

TEST(GlobMatch, HostilePatternsStayFast) {
  // Backtracking (git's wildmatch) takes exponential time on some of these
  // without its aborts, and long on others even with them; the NFA is
  // O(pattern x path). The test would time out rather than fail.
  std::string many;
  for (int i = 0; i < 40; ++i) many += "*a";
  EXPECT_FALSE(glob_match(many + "b", std::string(200, 'a')));
  EXPECT_TRUE(glob_match(many, std::string(200, 'a')));
  std::string stars;
  for (int i = 0; i < 500; ++i) stars += "*x";
  EXPECT_TRUE(glob_match(stars, std::string(800, 'x')));
  EXPECT_FALSE(glob_match(stars, std::string(499, 'x')));
  std::string nested;
  for (int i = 0; i < 60; ++i) nested += "**/*a*/";
  std::string path;
  for (int i = 0; i < 100; ++i) path += "aaaa/";
  EXPECT_FALSE(glob_match(nested + "b", path + "c"));
  auto file = IgnoreFile::parse(nested + "b\n" + many + "c\n", "");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(file.match(path + "a", false), V::none);
}

TEST(GlobMatch, CompiledOnceMatchesMany) {
  auto glob = Glob::compile("src/**/[a-z]*.c");
  EXPECT_TRUE(glob.matches("src/x.c"));
  EXPECT_TRUE(glob.matches("src/a/b/main.c"));
  EXPECT_FALSE(glob.matches("src/a/b/Main.c"));
  EXPECT_FALSE(glob.matches("lib/x.c"));
  EXPECT_FALSE(Glob::compile("a[").matches("a["));  // malformed: never matches
  EXPECT_FALSE(Glob::compile("a\\").matches("a"));
}

}  // namespace
}  // namespace ward::scan
