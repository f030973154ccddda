#include "util/file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "../testing/temp_dir.hpp"

namespace ward {
namespace {

int count_entries(const std::string& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, PublishesOnlyOnCommit) {
  testing::TempDir dir;
  {
    auto f = AtomicFile::create(dir / "out", 0600);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write("partial"));
  }  // destroyed without commit
  EXPECT_FALSE(path_exists(dir / "out"));
  EXPECT_EQ(count_entries(dir.path()), 0);
  auto f = AtomicFile::create(dir / "out", 0600);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->write("complete"));
  ASSERT_TRUE(f->commit());
  EXPECT_EQ(read_file(dir / "out").value(), "complete");
  struct stat st {};
  ::stat((dir / "out").c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(count_entries(dir.path()), 1);
}

TEST(PrivateDir, CreatesParentsAndRefusesOpenModes) {
  testing::TempDir dir;
  ASSERT_TRUE(ensure_private_dir(dir / "a/b/c"));
  struct stat st {};
  ::stat((dir / "a/b").c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ::chmod((dir / "a/b/c").c_str(), 0755);
  auto again = ensure_private_dir(dir / "a/b/c");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::denied);
  EXPECT_NE(again.error().hint.find("chmod 700"), std::string::npos);
}

TEST(CheckPrivate, RefusesSymlinksAndMissing) {
  testing::TempDir dir;
  EXPECT_EQ(check_private(dir / "missing").error().code, Code::not_found);
  ::symlink("/etc/passwd", (dir / "link").c_str());
  EXPECT_EQ(check_private(dir / "link").error().code, Code::denied);
}

TEST(ReadFile, MissingIsNotFound) {
  EXPECT_EQ(read_file("/nonexistent/ward/file").error().code, Code::not_found);
}

TEST(ExitCodes, MatchDocumentation) {
  EXPECT_EQ(exit_code_for(Code::usage), 2);
  EXPECT_EQ(exit_code_for(Code::invalid_input), 2);
  EXPECT_EQ(exit_code_for(Code::denied), 3);
  EXPECT_EQ(exit_code_for(Code::locked), 4);
  EXPECT_EQ(exit_code_for(Code::not_found), 5);
  EXPECT_EQ(exit_code_for(Code::corrupt), 1);
  EXPECT_EQ(code_from_name(code_name(Code::timeout)), Code::timeout);
}

}  // namespace
}  // namespace ward
