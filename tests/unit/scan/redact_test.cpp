#include "scan/redact.hpp"

#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../testing/temp_dir.hpp"

namespace ward::scan {
namespace {

namespace fs = std::filesystem;

void write(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st.st_mode & 07777;
}

// The names in dir: a failed redaction must leave no temporary file.
std::vector<std::string> names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

Replacement mask(const std::string& text, const std::string& secret, const std::string& with) {
  return Replacement{text.find(secret), secret.size(), with};
}

TEST(Redact, ReplacesExactlyAndKeepsMode) {
  testing::TempDir dir;
  std::string path = dir / "history";
  std::string text = "export TOKEN=ghp_abc123\ncurl -u me:hunter2 x\nend";
  write(path, text, 0600);
  std::vector<Replacement> r = {mask(text, "ghp_abc123", "[masked:ghp_…]"),
                                mask(text, "hunter2", "***")};
  auto done = redact_file(path, text, r);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read(path), "export TOKEN=[masked:ghp_…]\ncurl -u me:*** x\nend");
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(names(dir.path()), std::vector<std::string>{"history"});
}

TEST(Redact, KeepsAnOpenerMode) {
  testing::TempDir dir;
  std::string path = dir / "log";
  write(path, "a secret b", 0640);
  std::vector<Replacement> r = {{2, 6, "X"}};
  ASSERT_TRUE(redact_file(path, "a secret b", r));
  EXPECT_EQ(read(path), "a X b");
  EXPECT_EQ(mode_of(path), 0640u);
}

TEST(Redact, EdgesAndNoReplacements) {
  testing::TempDir dir;
  std::string path = dir / "f";
  write(path, "secret");
  std::vector<Replacement> whole = {{0, 6, "[masked]"}};
  ASSERT_TRUE(redact_file(path, "secret", whole));
  EXPECT_EQ(read(path), "[masked]");
  ASSERT_TRUE(redact_file(path, "[masked]", {}));
  EXPECT_EQ(read(path), "[masked]");
  std::vector<Replacement> ends = {{0, 1, "<"}, {7, 1, ">"}};
  ASSERT_TRUE(redact_file(path, "[masked]", ends));
  EXPECT_EQ(read(path), "<masked>");
}

TEST(Redact, LargeFileWithManyReplacements) {
  testing::TempDir dir;
  std::string path = dir / "big.jsonl";
  std::string text;
  std::vector<Replacement> r;
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    std::string line = "{\"n\":" + std::to_string(i) + ",\"k\":\"sk-0123456789\"}\n";
    r.push_back({text.size() + line.find("sk-"), 13, "[m]"});
    text += line;
    expected += "{\"n\":" + std::to_string(i) + ",\"k\":\"[m]\"}\n";
  }
  write(path, text);
  auto done = redact_file(path, text, r);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read(path), expected);
}

TEST(Redact, RefusesFileThatChanged) {
  testing::TempDir dir;
  std::string path = dir / "session.jsonl";
  std::string scanned = "{\"t\":\"ghp_abc\"}\n";
  std::vector<Replacement> r = {mask(scanned, "ghp_abc", "[masked]")};

  // An agent appended a line after the scan.
  std::string appended = scanned + "{\"t\":\"more\"}\n";
  write(path, appended);
  auto grown = redact_file(path, scanned, r);
  ASSERT_FALSE(grown);
  EXPECT_EQ(grown.error().code, Code::corrupt);
  EXPECT_EQ(grown.error().message, path + " changed while scanning");
  EXPECT_EQ(read(path), appended);

  // Same size, different bytes.
  std::string edited = scanned;
  edited[8] = 'X';
  write(path, edited);
  auto same_size = redact_file(path, scanned, r);
  ASSERT_FALSE(same_size);
  EXPECT_EQ(same_size.error().code, Code::corrupt);
  EXPECT_EQ(read(path), edited);

  // Shorter.
  write(path, scanned.substr(0, 5));
  auto shrunk = redact_file(path, scanned, r);
  ASSERT_FALSE(shrunk);
  EXPECT_EQ(shrunk.error().code, Code::corrupt);
  EXPECT_EQ(names(dir.path()), std::vector<std::string>{"session.jsonl"});
}

TEST(Redact, RefusesBadReplacements) {
  testing::TempDir dir;
  std::string path = dir / "f";
  std::string text = "0123456789";
  write(path, text);
  const std::vector<std::vector<Replacement>> bad = {
      {{2, 4, "a"}, {5, 2, "b"}},  // overlap
      {{6, 1, "a"}, {2, 1, "b"}},  // out of order
      {{8, 3, "a"}},               // past the end
      {{11, 0, "a"}},              // starts past the end
      {{2, SIZE_MAX, "a"}},        // length overflows
      {{SIZE_MAX, 2, "a"}},        // offset overflows
  };
  for (const auto& r : bad) {
    auto done = redact_file(path, text, r);
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code, Code::invalid_input) << done.error().message;
  }
  EXPECT_EQ(read(path), text);
  // Adjacent replacements touch but do not overlap.
  std::vector<Replacement> adjacent = {{2, 3, "a"}, {5, 2, "b"}};
  ASSERT_TRUE(redact_file(path, text, adjacent));
  EXPECT_EQ(read(path), "01ab789");
}

TEST(Redact, RefusesSymbolicLink) {
  testing::TempDir dir;
  std::string target = dir / "target";
  write(target, "secret");
  fs::create_symlink(target, dir / "link");
  std::vector<Replacement> r = {{0, 6, "x"}};
  auto done = redact_file(dir / "link", "secret", r);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, Code::denied);
  EXPECT_EQ(read(target), "secret");
  EXPECT_TRUE(fs::is_symlink(dir / "link"));
  EXPECT_EQ(names(dir.path()), (std::vector<std::string>{"link", "target"}));
}

TEST(Redact, RefusesMissingAndNonRegular) {
  testing::TempDir dir;
  auto missing = redact_file(dir / "gone", "", {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::not_found);

  fs::create_directory(dir / "sub");
  auto directory = redact_file(dir / "sub", "", {});
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code, Code::invalid_input);

  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  auto fifo = redact_file(dir / "fifo", "", {});  // must not block
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().code, Code::invalid_input);
}

// Masks put inside JSON strings keep every line of a transcript valid JSON.
TEST(Redact, JsonLinesStayValid) {
  testing::TempDir dir;
  std::string path = dir / "rollout.jsonl";
  const std::vector<std::string> secrets = {"ghp_R2d2C3poX9w8v7u6t5s4r3q2p1o0nMlKjIhG",
                                            "sk-proj-abcDEF123456", "hunter2"};
  std::string text;
  for (int i = 0; i < 3; ++i) {
    nlohmann::json line = {
        {"type", "response_item"},
        {"payload", {{"output", "export TOKEN=" + secrets[i] + "\n\"quoted\" \\ tab\t"}}}};
    text += line.dump() + "\n";
  }
  std::vector<Replacement> r;
  for (const auto& s : secrets) {
    r.push_back({text.find(s), s.size(), "[masked:" + s.substr(0, 4) + "…]"});
  }
  write(path, text);
  auto done = redact_file(path, text, r);
  ASSERT_TRUE(done) << done.error().message;
  std::istringstream lines(read(path));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << line;
    std::string output = parsed["payload"]["output"];
    EXPECT_TRUE(output.starts_with("export TOKEN=[masked:")) << output;
    EXPECT_EQ(output.find(secrets[count]), std::string::npos);
    ++count;
  }
  EXPECT_EQ(count, 3);
}

// Root rewrites another user's file as that user: owner and group are
// kept, and root's own file identity is restored afterwards.
TEST(Redact, KeepsOwnerWhenRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  testing::TempDir dir;
  std::string home = dir / "home";
  fs::create_directory(home);
  ASSERT_EQ(::chown(home.c_str(), 65534, 65534), 0);
  ::chmod(home.c_str(), 0700);
  ::chmod(dir.path().c_str(), 0711);
  std::string path = home + "/.bash_history";
  write(path, "mysql -pS3cret\n", 0600);
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  std::vector<Replacement> r = {{8, 6, "***"}};
  auto done = redact_file(path, "mysql -pS3cret\n", r);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read(path), "mysql -p***\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(::setfsuid(static_cast<uid_t>(-1)), 0);
  EXPECT_EQ(::setfsgid(static_cast<gid_t>(-1)), 0);
}

// When the new file cannot be created (here: the owner may not write the
// directory), the error is io, the file is untouched and nothing is left.
TEST(Redact, FailedWriteLeavesNothingBehind) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a file of another user";
  testing::TempDir dir;
  std::string path = dir / "history";
  write(path, "token=abc\n", 0644);
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  std::vector<Replacement> r = {{6, 3, "***"}};
  auto done = redact_file(path, "token=abc\n", r);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, Code::io);
  EXPECT_EQ(read(path), "token=abc\n");
  EXPECT_EQ(names(dir.path()), std::vector<std::string>{"history"});
  EXPECT_EQ(::setfsuid(static_cast<uid_t>(-1)), 0);
}

}  // namespace
}  // namespace ward::scan
