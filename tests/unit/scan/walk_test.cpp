#include "scan/walk.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../testing/temp_dir.hpp"

namespace ward::scan {
namespace {

namespace fs = std::filesystem;

void put(const std::string& path, std::string_view text = "x") {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// The walked paths with root + '/' taken off.
std::vector<std::string> relative(const std::vector<WalkedFile>& files, const std::string& root) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    EXPECT_TRUE(f.path.starts_with(root + "/")) << f.path;
    out.push_back(f.path.substr(root.size() + 1));
  }
  return out;
}

std::vector<std::string> walk_paths(const std::string& root, const WalkOptions& options = {}) {
  WalkStats stats;
  auto files = walk({root}, options, stats);
  EXPECT_TRUE(files) << files.error().message;
  return files ? relative(*files, root) : std::vector<std::string>{};
}

using Paths = std::vector<std::string>;

TEST(Walk, NestedGitignoresNegationAnchorsAndDirectoryPatterns) {
  testing::TempDir dir;
  const std::string root_rules = "*.log\nbuild/\n/top.txt\nsecrets/\n!secrets/a.env\n";
  const std::string sub_rules = "!keep.log\n*.tmp\n";
  put(dir / ".gitignore", root_rules);
  put(dir / "top.txt");
  put(dir / "a.log");
  put(dir / "x.tmp");
  put(dir / "build/out.bin");
  put(dir / "secrets/a.env");
  put(dir / "secrets/.gitignore", "!*\n");
  put(dir / "sub/.gitignore", sub_rules);
  put(dir / "sub/top.txt");
  put(dir / "sub/keep.log");
  put(dir / "sub/drop.log");
  put(dir / "sub/x.tmp");
  put(dir / "sub/build");  // a file: "build/" matches directories only
  put(dir / "sub/deeper/z.tmp");
  put(dir / "sub/deeper/keep.log");
  WalkStats stats;
  auto files = walk({dir.path()}, {}, stats);
  ASSERT_TRUE(files);
  EXPECT_EQ(relative(*files, dir.path()),
            (Paths{".gitignore", "sub/.gitignore", "sub/build", "sub/deeper/keep.log",
                   "sub/keep.log", "sub/top.txt", "x.tmp"}));
  // top.txt a.log build secrets sub/drop.log sub/x.tmp sub/deeper/z.tmp
  EXPECT_EQ(stats.ignored, 7u);
  EXPECT_EQ(stats.files, 7u);
  EXPECT_EQ(stats.bytes, 5 + root_rules.size() + sub_rules.size());
}

TEST(Walk, SortedDepthFirstPerDirectory) {
  testing::TempDir dir;
  for (const char* name : {"b", "a-c", "a/z", "a/b/c", "A", "a.d"}) put(dir / name);
  // "a" sorts before "a-c", so its files come before it (unlike a sort of
  // whole paths, where '-' < '/').
  EXPECT_EQ(walk_paths(dir.path()), (Paths{"A", "a/b/c", "a/z", "a-c", "a.d", "b"}));
}

TEST(Walk, AgreesWithGitLsFilesOthers) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
  testing::TempDir dir;
  const std::string root = dir / "repo";
  ASSERT_EQ(std::system(("git init -q " + root).c_str()), 0);
  put(root + "/.git/info/exclude", "*.excluded\n!keep.excluded\n");
  put(root + "/.gitignore",
      "*.log\n!important.log\n/vendor/\ndocs/**/*.pdf\ncache\n**/tmp/*\n!**/tmp/keep\n"
      "[Bb]in/\n*.o\n\\#*\n");
  put(root + "/a/.gitignore", "!*.o\n/local.cfg\n*.excluded\n");
  put(root + "/a/b/.gitignore", "!cache\n*\n!*/\n!*.txt\n");
  const char* files[] = {"x.log",
                         "important.log",
                         "sub/important.log",
                         "vendor/lib.c",
                         "a/vendor/lib.c",
                         "docs/x.pdf",
                         "docs/a/b/y.pdf",
                         "docs/a/y.md",
                         "cache",
                         "a/cache/f",
                         "a/b/cache",
                         "t/tmp/f",
                         "t/tmp/keep",
                         "tmp/keep",
                         "tmp/g",
                         "bin/x",
                         "Bin/y",
                         "sub/bin",
                         "m.o",
                         "a/m.o",
                         "a/b/m.o",
                         "#hash",
                         "a/local.cfg",
                         "local.cfg",
                         "a/b/c/d.txt",
                         "a/b/c/d.bin",
                         "a/b/e.txt",
                         "r.excluded",
                         "keep.excluded",
                         "a/keep.excluded",
                         "a/b/keep.excluded",
                         "plain",
                         "deep/1/2/3/4.c",
                         "deep/1/2/3/tmp/5",
                         "deep/1/2/3/tmp/keep"};
  for (const char* f : files) put(root + "/" + f);

  std::string command =
      "git -C " + root + " -c core.excludesFile=/dev/null ls-files -o " + "--exclude-standard -z";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
  ASSERT_EQ(::pclose(pipe), 0);
  Paths expected;
  for (std::size_t at = 0, end; (end = output.find('\0', at)) != std::string::npos; at = end + 1) {
    expected.push_back(output.substr(at, end - at));
  }
  std::sort(expected.begin(), expected.end());
  ASSERT_GT(expected.size(), 10u);

  Paths walked = walk_paths(root);
  std::sort(walked.begin(), walked.end());
  EXPECT_EQ(walked, expected);
}

TEST(Walk, ExcludePatternsApplyBelowEachRoot) {
  testing::TempDir dir;
  put(dir / "one/notes.md");
  put(dir / "one/a.env");
  put(dir / "one/docs/b.env");
  put(dir / "two/docs/c.env");
  put(dir / "two/x/docs/d.env");
  put(dir / "two/e.env");
  put(dir / "two/.gitignore", "e.env\n");
  WalkOptions options;
  options.excludes = {"*.md", "/docs/", "!e.env"};  // '!' beats a .gitignore
  WalkStats stats;
  auto files = walk({dir / "one", dir / "two"}, options, stats);
  ASSERT_TRUE(files);
  Paths paths;
  for (const auto& f : *files) paths.push_back(f.path.substr(dir.path().size() + 1));
  EXPECT_EQ(paths, (Paths{"one/a.env", "two/.gitignore", "two/e.env", "two/x/docs/d.env"}));
  EXPECT_EQ(stats.ignored, 3u);
}

TEST(Walk, NoGitignoreListsEverythingButDotGit) {
  testing::TempDir dir;
  put(dir / ".gitignore", "*\n");
  put(dir / ".git/info/exclude", "*\n");
  put(dir / ".git/config");
  put(dir / "a/.git", "gitdir: nowhere\n");
  put(dir / "a/b.txt");
  WalkOptions options;
  options.gitignore = false;
  options.excludes = {"*.md"};
  put(dir / "c.md");
  EXPECT_EQ(walk_paths(dir.path(), options), (Paths{".gitignore", "a/b.txt"}));
  EXPECT_EQ(walk_paths(dir.path()), Paths{});
}

TEST(Walk, HonoursInfoExcludeOfARepositoryAndOfALinkedWorktree) {
  testing::TempDir dir;
  put(dir / "repo/.git/info/exclude", "# local\nsecret.txt\n");
  put(dir / "repo/secret.txt");
  put(dir / "repo/sub/secret.txt");
  put(dir / "repo/ok.txt");
  put(dir / "common/info/exclude", "wt-only.txt\n");
  put(dir / "common/worktrees/wt/commondir", "../..\n");
  put(dir / "tree/.git", "gitdir: ../common/worktrees/wt\n");
  put(dir / "tree/wt-only.txt");
  put(dir / "tree/kept.txt");
  put(dir / "sm/.git", "gitdir: ../common\n");  // no commondir: the gitdir itself
  put(dir / "sm/wt-only.txt");
  WalkStats stats;
  auto files = walk({dir / "repo", dir / "tree", dir / "sm"}, {}, stats);
  ASSERT_TRUE(files);
  Paths paths;
  for (const auto& f : *files) paths.push_back(f.path.substr(dir.path().size() + 1));
  EXPECT_EQ(paths, (Paths{"repo/ok.txt", "tree/kept.txt"}));
  EXPECT_EQ(stats.ignored, 4u);
}

TEST(Walk, SkipsLargeFilesAndCountsThem) {
  testing::TempDir dir;
  put(dir / "small", std::string(100, 'a'));
  put(dir / "big", std::string(101, 'a'));
  put(dir / "empty", "");
  WalkOptions options;
  options.max_size = 100;
  WalkStats stats;
  auto files = walk({dir.path(), dir / "big"}, options, stats);
  ASSERT_TRUE(files);
  EXPECT_EQ(relative(*files, dir.path()), (Paths{"empty", "small"}));
  EXPECT_EQ((*files)[1].size, 100u);
  EXPECT_EQ(stats.too_large, 1u);  // "big" once, though reached twice
  EXPECT_EQ(stats.files, 2u);
  EXPECT_EQ(stats.bytes, 100u);
}

TEST(Walk, NeverFollowsSymlinksButFollowsARootLink) {
  testing::TempDir dir;
  put(dir / "real/f.txt");
  put(dir / "outside/secret.env");
  fs::create_directory_symlink(dir / "outside", dir / "real/linked-dir");
  fs::create_symlink(dir / "outside/secret.env", dir / "real/linked-file");
  fs::create_symlink(dir / "nowhere", dir / "real/dangling");
  ASSERT_EQ(::mkfifo((dir / "real/fifo").c_str(), 0600), 0);
  EXPECT_EQ(walk_paths(dir / "real"), Paths{"f.txt"});
  fs::create_directory_symlink(dir / "real", dir / "root-link");
  EXPECT_EQ(walk_paths(dir / "root-link"), Paths{"f.txt"});
}

TEST(Walk, ASymlinkedGitignoreIsNotRead) {
  testing::TempDir dir;
  put(dir / "rules", "*.env\n");
  put(dir / "tree/a.env");
  fs::create_symlink(dir / "rules", dir / "tree/.gitignore");
  EXPECT_EQ(walk_paths(dir / "tree"), Paths{"a.env"});
}

TEST(Walk, FileRootIsListedAsTypedWhateverThePatterns) {
  testing::TempDir dir;
  put(dir / "d/.gitignore", "*.env\n");
  put(dir / "d/a.env", "abc");
  WalkOptions options;
  options.excludes = {"*.env"};
  WalkStats stats;
  auto files = walk({dir / "d/a.env"}, options, stats);
  ASSERT_TRUE(files);
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].path, dir / "d/a.env");
  EXPECT_EQ((*files)[0].size, 3u);
}

TEST(Walk, JoinsPathsAsTheUserTypedTheRoot) {
  testing::TempDir dir;
  put(dir / "d/x");
  WalkStats stats;
  auto slash = walk({dir / "d/"}, {}, stats);
  ASSERT_TRUE(slash);
  EXPECT_EQ((*slash)[0].path, dir / "d/x");

  auto cwd = fs::current_path();
  fs::current_path(dir / "d");
  auto dot = walk({"."}, {}, stats);
  auto bare = walk({"x"}, {}, stats);
  fs::current_path(cwd);
  ASSERT_TRUE(dot);
  ASSERT_TRUE(bare);
  EXPECT_EQ((*dot)[0].path, "./x");
  EXPECT_EQ((*bare)[0].path, "x");
}

TEST(Walk, MissingRootIsNotFoundBeforeAnythingIsWalked) {
  testing::TempDir dir;
  put(dir / "a/x");
  WalkStats stats;
  auto files = walk({dir / "a", dir / "missing"}, {}, stats);
  ASSERT_FALSE(files);
  EXPECT_EQ(files.error().code, Code::not_found);
  EXPECT_EQ(files.error().message, dir / "missing" + ": no such file or directory");
  EXPECT_EQ(stats.files, 0u);
  auto below_file = walk({dir / "a/x/y"}, {}, stats);
  ASSERT_FALSE(below_file);
  EXPECT_EQ(below_file.error().code, Code::not_found);
}

TEST(Walk, SpecialFileRootIsInvalidInput) {
  testing::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  WalkStats stats;
  auto files = walk({dir / "fifo"}, {}, stats);
  ASSERT_FALSE(files);
  EXPECT_EQ(files.error().code, Code::invalid_input);
  EXPECT_NE(files.error().message.find("fifo: not a regular file or directory"), std::string::npos);
}

TEST(Walk, EachFileOnceAcrossOverlappingRootsAndHardLinks) {
  testing::TempDir dir;
  put(dir / "d/sub/a");
  put(dir / "d/b");
  fs::create_hard_link(dir / "d/b", dir / "d/sub/c");
  WalkStats stats;
  auto files = walk({dir / "d/sub", dir / "d", dir / "d/b"}, {}, stats);
  ASSERT_TRUE(files);
  Paths paths;
  for (const auto& f : *files) paths.push_back(f.path.substr(dir.path().size() + 1));
  EXPECT_EQ(paths, (Paths{"d/sub/a", "d/sub/c"}));
  EXPECT_EQ(stats.files, 2u);
}

// Walks root as an unprivileged user when run as root (root reads any
// directory); the result's counts, or -1 on failure.
struct Counts {
  long files = -1, unreadable = -1;
};

Counts walk_unprivileged(const std::string& root) {
  if (::geteuid() != 0) {
    WalkStats stats;
    auto files = walk({root}, {}, stats);
    if (!files) return {};
    return {static_cast<long>(stats.files), static_cast<long>(stats.unreadable)};
  }
  int fds[2];
  if (::pipe(fds) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    Counts counts;
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
      WalkStats stats;
      auto files = walk({root}, {}, stats);
      if (files) counts = {static_cast<long>(stats.files), static_cast<long>(stats.unreadable)};
    }
    ssize_t n = ::write(fds[1], &counts, sizeof counts);
    ::_exit(n == sizeof counts ? 0 : 1);
  }
  ::close(fds[1]);
  Counts counts;
  ssize_t n = ::read(fds[0], &counts, sizeof counts);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (n != sizeof counts || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  return counts;
}

TEST(Walk, UnreadableSubdirectoryIsCountedNotFatal) {
  testing::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  put(dir / "tree/ok/a");
  put(dir / "tree/locked/b");
  ::chmod((dir / "tree").c_str(), 0755);
  ::chmod((dir / "tree/ok").c_str(), 0755);
  ::chmod((dir / "tree/ok/a").c_str(), 0644);
  ::chmod((dir / "tree/locked").c_str(), 0);
  Counts counts = walk_unprivileged(dir / "tree");
  ::chmod((dir / "tree/locked").c_str(), 0700);
  EXPECT_EQ(counts.files, 1);
  EXPECT_EQ(counts.unreadable, 1);
}

TEST(LooksBinary, ANulInTheFirst8000Bytes) {
  EXPECT_FALSE(looks_binary("plain text\n"));
  EXPECT_FALSE(looks_binary(""));
  EXPECT_TRUE(looks_binary(std::string_view("a\0b", 3)));
  std::string late(9000, 'a');
  late[8000] = '\0';
  EXPECT_FALSE(looks_binary(late));
  late[7999] = '\0';
  EXPECT_TRUE(looks_binary(late));
}

}  // namespace
}  // namespace ward::scan
