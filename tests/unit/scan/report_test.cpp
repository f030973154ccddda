#include "scan/report.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../testing/temp_dir.hpp"
#include "scan/runner.hpp"

namespace ward::scan {
namespace {

using ward::testing::TempDir;

// A token rule and a generic one.
RuleSet small_rules() {
  RuleSet rules;
  Rule token;
  token.id = "acme-token";
  token.description = "ACME token";
  token.regex = R"(\b(acme_[a-z0-9]{24})\b)";
  token.secret_group = 1;
  rules.rules.push_back(token);
  Rule generic;
  generic.id = "generic-secret";
  generic.description = "generic";
  generic.regex = R"re(secret\s*=\s*"([^"]{8,})")re";
  generic.secret_group = 1;
  generic.tags = {"generic"};
  rules.rules.push_back(generic);
  return rules;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

constexpr const char* kToken = "acme_0123456789abcdefghijklmn";

TEST(ScanReport, ValueHashIsStableKeyedAndShort) {
  EXPECT_EQ(value_hash("abc"), value_hash("abc"));
  EXPECT_NE(value_hash("abc"), value_hash("abd"));
  EXPECT_EQ(value_hash("abc").size(), 12u);
  // Keyed: not the plain BLAKE2b-48 of the value.
  EXPECT_NE(value_hash(""), "");
}

TEST(ScanReport, PreviewNeverShowsTheValue) {
  Exposure e;
  e.rule = "acme-token";
  e.length = 29;
  e.hash = value_hash(kToken);
  EXPECT_EQ(e.preview(), "acme-token, 29 chars, #" + e.hash.substr(0, 6));
  e.encoding = "base64";
  EXPECT_NE(e.preview().find(", base64"), std::string::npos);
}

TEST(ScanReport, InlineAllowOnlyOnItsLine) {
  std::string text = "a = 1 # ward:allow\nb = 2\n";
  EXPECT_TRUE(allowed_inline(text, 2));
  EXPECT_FALSE(allowed_inline(text, text.find('b')));
  EXPECT_TRUE(allowed_inline("x ward:allow", 0));
}

TEST(ScanReport, ScanTextFindsDecodedRunsAtTheirPlace) {
  auto scanner = Scanner::build(small_rules());
  ASSERT_TRUE(scanner) << scanner.error().message;
  auto scratch = scanner->make_scratch();
  // "token acme_0123456789abcdefghijklmn\n" in base64 on line 2, column 7.
  std::string text = "kind: Secret\ndata: dG9rZW4gYWNtZV8wMTIzNDU2Nzg5YWJjZGVmZ2hpamtsbW4K\n";
  Origin origin;
  origin.base.path = "k8s.yaml";
  origin.where = "k8s.yaml";
  Found found;
  scan_text(*scanner, *scratch, text, origin, found, true);
  ASSERT_EQ(found.exposures.size(), 1u);
  const Exposure& e = found.exposures[0];
  EXPECT_EQ(e.rule, "acme-token");
  EXPECT_EQ(e.encoding, "base64");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 7u);
  EXPECT_EQ(e.length, 29u);
  EXPECT_EQ(e.offset, text.find("dG9r"));
  EXPECT_EQ(e.extent, text.size() - 1 - e.offset);
  EXPECT_EQ(e.fingerprint, "acme-token:k8s.yaml:" + value_hash(kToken));
  ASSERT_EQ(found.values.size(), 1u);
  EXPECT_EQ(found.values[0].view(), kToken);
}

TEST(ScanReport, ScanFilesKeepsOrderSkipsBinariesAndNamesFilesUnderTheirRoot) {
  TempDir dir;
  auto scanner = Scanner::build(small_rules());
  ASSERT_TRUE(scanner);
  std::filesystem::create_directories(dir / "src");
  write(dir / "src/b.txt", std::string("x\ny = ") + kToken + "\n");
  write(dir / "src/a.txt", std::string(kToken) + " # ward:allow\n");
  write(dir / "bin.dat", std::string("\0\1", 2) + kToken);
  std::vector<std::string> paths = {dir / "src/b.txt", dir / "src/a.txt", dir / "bin.dat",
                                    dir / "gone.txt"};
  ScanStats stats;
  Found found = scan_files(*scanner, paths, {dir.path() + "/"}, false, 2, stats);
  ASSERT_EQ(found.exposures.size(), 1u);
  EXPECT_EQ(found.exposures[0].path, dir / "src/b.txt");
  EXPECT_EQ(found.exposures[0].line, 2u);
  EXPECT_EQ(found.exposures[0].fingerprint.find("acme-token:src/b.txt:"), 0u);
  EXPECT_TRUE(found.values.empty());
  EXPECT_EQ(stats.files, 2u);
  EXPECT_EQ(stats.skipped, 2u);  // the binary and the vanished file
}

TEST(ScanReport, SuppressionsFromIgnoreFilesAndBaselines) {
  TempDir dir;
  Suppressions s;
  EXPECT_TRUE(s.add_ignore_file(dir / "missing"));
  write(dir / ".wardignore", "# reviewed\n\n  r:a.txt:000000000001  \n");
  ASSERT_TRUE(s.add_ignore_file(dir / ".wardignore"));
  Exposure e;
  e.fingerprint = "r:a.txt:000000000001";
  EXPECT_TRUE(s.suppressed(e));
  e.fingerprint = "r:a.txt:000000000002";
  EXPECT_FALSE(s.suppressed(e));

  write(dir / "base.json", to_json({e}, {}));
  ASSERT_TRUE(s.add_baseline(dir / "base.json"));
  EXPECT_TRUE(s.suppressed(e));
  for (const char* bad : {"[]", "{", R"({"findings": {}})", R"({"findings": [{"x": 1}]})"}) {
    write(dir / "bad.json", bad);
    auto r = s.add_baseline(dir / "bad.json");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::invalid_input);
  }
  auto missing = s.add_baseline(dir / "nope.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::not_found);
}

TEST(ScanReport, JsonAndSarifCarryTheFields) {
  Exposure e;
  e.rule = "acme-token";
  e.description = "ACME token";
  e.source = Source::git;
  e.path = "a.py";
  e.line = 3;
  e.column = 5;
  e.length = 29;
  e.hash = value_hash(kToken);
  e.fingerprint = "acme-token:a.py:" + e.hash;
  e.commit = std::string(40, 'a');
  e.author = "Dev <dev@example.com>";
  ScanStats stats;
  stats.files = 4;
  auto j = nlohmann::json::parse(to_json({e}, stats));
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["findings"][0]["commit"], e.commit);
  EXPECT_EQ(j["findings"][0]["source"], "git");
  EXPECT_TRUE(j["findings"][0]["managed"].is_null());
  EXPECT_EQ(j["stats"]["files"], 4);
  auto sarif = nlohmann::json::parse(to_sarif({e, e}));
  EXPECT_EQ(sarif["version"], "2.1.0");
  auto& run = sarif["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["rules"].size(), 1u);
  EXPECT_EQ(run["results"].size(), 2u);
  EXPECT_EQ(run["results"][1]["ruleIndex"], 0);
  auto& region = run["results"][0]["locations"][0]["physicalLocation"]["region"];
  EXPECT_EQ(region["startLine"], 3);
  EXPECT_EQ(region["endColumn"], 34);
  EXPECT_EQ(to_table({e}, Source::git).size(), 2u);
}

TEST(ScanEngine, CachedDatabaseIsReusedAndADamagedOneRebuilt) {
  TempDir dir;
  std::string cache = dir / "cache";
  auto first = Scanner::build(small_rules(), cache);
  ASSERT_TRUE(first);
  std::vector<std::string> files;
  for (const auto& f : std::filesystem::directory_iterator(cache)) files.push_back(f.path());
  ASSERT_EQ(files.size(), 1u);
  struct stat st {};
  ASSERT_EQ(::stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto check = [&](const Scanner& s) {
    auto scratch = s.make_scratch();
    auto found = s.scan(std::string("t ") + kToken, "", *scratch);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].offset, 2u);
  };
  auto second = Scanner::build(small_rules(), cache);
  ASSERT_TRUE(second);
  check(*second);
  // Garbage after the header: ignored and rewritten, never trusted.
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f << std::string(64, '\xff');
  }
  auto third = Scanner::build(small_rules(), cache);
  ASSERT_TRUE(third);
  check(*third);
  // Other rules: another file.
  RuleSet other = small_rules();
  other.rules[0].regex = R"(\b(acme_[a-z0-9]{25})\b)";
  ASSERT_TRUE(Scanner::build(other, cache));
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(cache)) ++n;
  EXPECT_EQ(n, 2u);
}

TEST(ScanEngine, SpecificFindingDisplacesEveryOverlappingGenericOne) {
  RuleSet rules = small_rules();
  rules.rules[1].regex = R"re(secret\s*=\s*"([^"]{8,}))re";  // runs into the token
  Rule generic2 = rules.rules[1];
  generic2.id = "generic-two";
  generic2.regex = R"((y = acme_[a-z0-9]+))";  // starts between the other two
  rules.rules.push_back(generic2);
  auto scanner = Scanner::build(std::move(rules));
  ASSERT_TRUE(scanner);
  auto scratch = scanner->make_scratch();
  std::string text = std::string("secret = \"xy = ") + kToken;
  auto kept = scanner->scan(text, "", *scratch, Scanner::Overlaps::keep);
  ASSERT_EQ(kept.size(), 3u);
  auto resolved = scanner->scan(text, "", *scratch);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(scanner->rules().rules[resolved[0].rule].id, "acme-token");
}

}  // namespace
}  // namespace ward::scan
