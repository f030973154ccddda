#include "vault/dotenv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ward {
namespace {

// Parses text held in SecretBytes, as `ward import` does; fails the test on error.
std::vector<DotenvEntry> parse_ok(std::string_view text) {
  SecretBytes input = SecretBytes::from_view(text);
  auto result = parse_dotenv(input.view());
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  return result ? std::move(*result) : std::vector<DotenvEntry>{};
}

Error parse_error(std::string_view text) {
  auto result = parse_dotenv(text);
  EXPECT_FALSE(result.has_value());
  return result ? Error{} : result.error();
}

std::string_view value(const DotenvEntry& entry) {
  return entry.value.view();
}

}  // namespace

TEST(Dotenv, ParsesSimpleAssignments) {
  auto entries = parse_ok("A=1\nB=two\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "A");
  EXPECT_EQ(value(entries[0]), "1");
  EXPECT_EQ(entries[1].name, "B");
  EXPECT_EQ(value(entries[1]), "two");
}

TEST(Dotenv, EmptyInputGivesNoEntries) {
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("\n\n  \n\t\n").empty());
}

TEST(Dotenv, SkipsBlankLinesAndComments) {
  auto entries = parse_ok("# header\n\n   # indented comment\nA=1\n\n#B=2\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "A");
  EXPECT_EQ(entries[0].line, 4);
}

TEST(Dotenv, ParsesExportPrefix) {
  auto entries = parse_ok("export A=1\n  export\tB = \"two\"\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "A");
  EXPECT_EQ(value(entries[0]), "1");
  EXPECT_EQ(entries[1].name, "B");
  EXPECT_EQ(value(entries[1]), "two");
}

TEST(Dotenv, VariableNamedExportIsAName) {
  auto entries = parse_ok("export=1\nexport = 2\nexport_X=3\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "export");
  EXPECT_EQ(value(entries[0]), "2");
  EXPECT_EQ(entries[1].name, "export_X");
}

TEST(Dotenv, AllowsSpacesAroundEquals) {
  auto entries = parse_ok("A = 1\nB\t=\t2\n  C   =3\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(value(entries[0]), "1");
  EXPECT_EQ(value(entries[1]), "2");
  EXPECT_EQ(entries[2].name, "C");
  EXPECT_EQ(value(entries[2]), "3");
}

TEST(Dotenv, AcceptsNamesWithDigitsUnderscoresAndDots) {
  auto entries = parse_ok("_X1=a\nspring.datasource.url=b\nlower_case=c\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "_X1");
  EXPECT_EQ(entries[1].name, "spring.datasource.url");
  EXPECT_EQ(entries[2].name, "lower_case");
}

TEST(Dotenv, TrimsUnquotedValue) {
  auto entries = parse_ok("A=   hello world  \t\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(value(entries[0]), "hello world");
}

TEST(Dotenv, InlineCommentEndsUnquotedValue) {
  auto entries = parse_ok("A=value # a comment\nB=v\t#tab comment\nC= # only a comment\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(value(entries[0]), "value");
  EXPECT_EQ(value(entries[1]), "v");
  EXPECT_EQ(value(entries[2]), "");
}

TEST(Dotenv, HashWithoutSpaceBelongsToUnquotedValue) {
  auto entries = parse_ok("A=pa#ss\nB=#start\nC=http://x/#frag # c\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(value(entries[0]), "pa#ss");
  EXPECT_EQ(value(entries[1]), "#start");
  EXPECT_EQ(value(entries[2]), "http://x/#frag");
}

TEST(Dotenv, UnquotedValueKeepsInnerQuotesAndBackslashes) {
  auto entries = parse_ok("A=it's \"x\" \\n\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(value(entries[0]), "it's \"x\" \\n");
}

TEST(Dotenv, SingleQuotedValueIsLiteral) {
  auto entries = parse_ok("A='  raw \\n \"x\" # not a comment $HOME  '\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(value(entries[0]), "  raw \\n \"x\" # not a comment $HOME  ");
}

TEST(Dotenv, BacktickQuotedValueIsLiteral) {
  auto entries = parse_ok("A=`it's \"both\" \\t`\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(value(entries[0]), "it's \"both\" \\t");
}

TEST(Dotenv, DoubleQuotedValueUnescapes) {
  auto entries = parse_ok(R"(A="a\nb\rc\td\"e\\f\$g")"
                          "\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(value(entries[0]), "a\nb\rc\td\"e\\f$g");
}

TEST(Dotenv, DoubleQuotedValueKeepsUnknownEscape) {
  auto entries = parse_ok(R"(A="\q\w\\q")"
                          "\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(value(entries[0]), R"(\q\w\q)");
}

TEST(Dotenv, DoubleQuotedValueKeepsHashAndSpaces) {
  auto entries = parse_ok("A=\"  x # y  \"\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(value(entries[0]), "  x # y  ");
}

TEST(Dotenv, DoubleQuotedValueSpansLines) {
  auto entries = parse_ok(
      "KEY=\"-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----\"\n"
      "NEXT=1\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(value(entries[0]), "-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----");
  EXPECT_EQ(entries[0].line, 1);
  EXPECT_EQ(entries[1].name, "NEXT");
  EXPECT_EQ(entries[1].line, 5);
}

TEST(Dotenv, CommentAfterClosingQuote) {
  auto entries = parse_ok("A=\"x\" # comment\nB='y'\t# c\nC=`z`#c\nD=\"w\"   \n");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(value(entries[0]), "x");
  EXPECT_EQ(value(entries[1]), "y");
  EXPECT_EQ(value(entries[2]), "z");
  EXPECT_EQ(value(entries[3]), "w");
}

TEST(Dotenv, EmptyValues) {
  auto entries = parse_ok("A=\nB=\"\"\nC=''\nD=``\nE=   \n");
  ASSERT_EQ(entries.size(), 5u);
  for (const auto& entry : entries) {
    EXPECT_TRUE(entry.value.empty()) << entry.name;
  }
}

TEST(Dotenv, HandlesCrlfLineEndings) {
  auto entries = parse_ok("# c\r\nA=1\r\nB = 'two' \r\nC=\"x\r\ny\"\r\n\r\nD=4");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(value(entries[0]), "1");
  EXPECT_EQ(value(entries[1]), "two");
  EXPECT_EQ(value(entries[2]), "x\ny");
  EXPECT_EQ(value(entries[3]), "4");
  EXPECT_EQ(entries[0].line, 2);
  EXPECT_EQ(entries[3].line, 7);
}

TEST(Dotenv, LastLineWithoutNewline) {
  auto entries = parse_ok("A=1\nB=\"2\"");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(value(entries[1]), "2");
}

TEST(Dotenv, SkipsByteOrderMark) {
  auto entries = parse_ok(
      "\xEF\xBB\xBF"
      "A=1\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "A");
}

TEST(Dotenv, LaterDuplicateWinsInFirstPosition) {
  auto entries = parse_ok("A=first\nB=b\nA=second\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "A");
  EXPECT_EQ(value(entries[0]), "second");
  EXPECT_EQ(entries[0].line, 3);
  EXPECT_EQ(entries[1].name, "B");
}

TEST(Dotenv, KeepsVariableReferencesLiterally) {
  auto entries =
      parse_ok("A=${OTHER}\nB=\"${ward:llm/anthropic}\"\nC='$HOME'\nD=\"\\${X}\"\nE=pre${B}post\n");
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(value(entries[0]), "${OTHER}");
  EXPECT_EQ(value(entries[1]), "${ward:llm/anthropic}");
  EXPECT_EQ(value(entries[2]), "$HOME");
  EXPECT_EQ(value(entries[3]), "${X}");
  EXPECT_EQ(value(entries[4]), "pre${B}post");
}

TEST(Dotenv, RecordsLineNumbers) {
  auto entries = parse_ok("\n# c\nA=1\n\nB='2'\nC=\"3\n\n\"\nD=4\n");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].line, 3);
  EXPECT_EQ(entries[1].line, 5);
  EXPECT_EQ(entries[2].line, 6);
  EXPECT_EQ(entries[3].line, 9);
}

TEST(Dotenv, RejectsLineWithoutEquals) {
  Error e = parse_error("A=1\nB=2\njust some text\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 3: expected NAME=value");
}

TEST(Dotenv, RejectsExportWithoutAssignment) {
  Error e = parse_error("export A\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 1: expected NAME=value");
}

TEST(Dotenv, RejectsNameStartingWithDigit) {
  Error e = parse_error("A=1\n1ABC=x\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 2: invalid variable name");
  EXPECT_FALSE(e.hint.empty());
}

TEST(Dotenv, RejectsNameWithInvalidCharacter) {
  Error e = parse_error("\nMY-VAR=x\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 2: invalid variable name");
}

TEST(Dotenv, RejectsNameWithSpace) {
  Error e = parse_error("MY VAR=x\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 1: invalid variable name");
}

TEST(Dotenv, RejectsEmptyName) {
  Error e = parse_error("A=1\n\n\n = value\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 4: invalid variable name");
}

TEST(Dotenv, RejectsUnterminatedSingleQuote) {
  Error e = parse_error("A=1\nB='open");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 2: unterminated single-quoted value for B");
}

TEST(Dotenv, RejectsSingleQuoteSpanningLines) {
  Error e = parse_error("A='one\ntwo'\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 1: unterminated single-quoted value for A");
}

TEST(Dotenv, RejectsUnterminatedBacktick) {
  Error e = parse_error("# c\nA=`one\ntwo`\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 2: unterminated backtick-quoted value for A");
}

TEST(Dotenv, RejectsUnterminatedDoubleQuote) {
  Error e = parse_error("A=1\nB=2\n\n\n\n\nKEY=\"never\nclosed\nC=3\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 7: unterminated double-quoted value for KEY");
}

TEST(Dotenv, RejectsEscapedClosingDoubleQuote) {
  Error e = parse_error("A=\"ends with escape\\\"\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 1: unterminated double-quoted value for A");
  e = parse_error("A=\"trailing backslash\\");
  EXPECT_EQ(e.message, "line 1: unterminated double-quoted value for A");
}

TEST(Dotenv, RejectsTextAfterClosingDoubleQuote) {
  Error e = parse_error("A=\"x\"y\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 1: unexpected text after the closing quote of A");
}

TEST(Dotenv, RejectsTextAfterMultiLineValueOnClosingLine) {
  Error e = parse_error("A=\"x\ny\" z\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 2: unexpected text after the closing quote of A");
}

TEST(Dotenv, RejectsTextAfterClosingSingleQuote) {
  Error e = parse_error("A=1\nB='x' 'y'\n");
  EXPECT_EQ(e.code, Code::invalid_input);
  EXPECT_EQ(e.message, "line 2: unexpected text after the closing quote of B");
}

TEST(Dotenv, ErrorsNeverQuoteTheInput) {
  const std::string_view secret = "sk-ant-api03-SECRETSECRET";
  const std::string inputs[] = {
      std::string(secret) + "\n",
      "A=\"" + std::string(secret) + "\" " + std::string(secret) + "\n",
      "A='" + std::string(secret) + "\n",
      "A=\"" + std::string(secret) + "\n",
      std::string(secret) + "-x=1\n",
  };
  for (const auto& input : inputs) {
    Error e = parse_error(input);
    EXPECT_EQ(e.code, Code::invalid_input);
    EXPECT_EQ(e.message.find("SECRET"), std::string::npos) << e.message;
    EXPECT_EQ(e.hint.find("SECRET"), std::string::npos) << e.hint;
  }
}

}  // namespace ward
