#include "scan/git_source.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../testing/temp_dir.hpp"
#include "scan/git_loader.hpp"

namespace ward::scan {
namespace {

using ward::testing::TempDir;

constexpr std::int64_t kEpoch = 1700000000;

// A repository built with the real git command: no system or user
// configuration (HOME is the test's directory), fixed identity and dates.
class Repo {
 public:
  explicit Repo(const TempDir& tmp, const std::string& name = "repo")
      : home_(tmp.path()), dir_(tmp / name) {
    std::filesystem::create_directories(dir_);
    git({"init", "-q", "-b", "main"});
  }

  const std::string& dir() const { return dir_; }

  // Runs git in dir (or in cwd when given), its stdin read from the file
  // input when given, and returns its stdout without the final newline;
  // fails the test when git fails.
  std::string git(const std::vector<std::string>& args, const std::string& cwd = "",
                  const std::vector<std::string>& extra_env = {}, const std::string& input = "") {
    std::vector<std::string> argv = {"git",
                                     "-c",
                                     "user.name=Alice",
                                     "-c",
                                     "user.email=alice@example.com",
                                     "-c",
                                     "commit.gpgsign=false",
                                     "-c",
                                     "core.autocrlf=false"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string date = fmt_date();
    std::vector<std::string> env = {std::string("PATH=") + (::getenv("PATH") ?: "/usr/bin:/bin"),
                                    "HOME=" + home_,
                                    "GIT_CONFIG_NOSYSTEM=1",
                                    "LC_ALL=C",
                                    "GIT_AUTHOR_DATE=" + date,
                                    "GIT_COMMITTER_DATE=" + date};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return run(argv, env, cwd.empty() ? dir_ : cwd, input);
  }

  void write(const std::string& path, const std::string& content) {
    std::filesystem::path p = std::filesystem::path(dir_) / path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }

  // Stages everything and commits it; returns the commit's id.
  std::string commit(const std::string& message, const std::string& author = "") {
    git({"add", "-A"});
    std::vector<std::string> args = {"commit", "-q", "--allow-empty", "-m", message};
    if (!author.empty()) args.push_back("--author=" + author);
    git(args);
    ++tick_;
    return git({"rev-parse", "HEAD"});
  }

  std::int64_t time() const { return kEpoch + tick_; }

 private:
  std::string fmt_date() const { return "@" + std::to_string(time()) + " +0000"; }

  static std::string run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const std::string& cwd, const std::string& input) {
    int out[2];
    if (::pipe(out) != 0) {
      ADD_FAILURE() << "pipe failed";
      return {};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    if (!input.empty()) posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, "git", &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    std::string output;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0) output.append(buf, static_cast<size_t>(n));
    ::close(out[0]);
    if (rc != 0) {
      ADD_FAILURE() << "cannot start git";
      return {};
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
    if (!output.empty() && output.back() == '\n') output.pop_back();
    return output;
  }

  std::string home_;
  std::string dir_;
  int tick_ = 0;
};

// Everything a scan visited, copied.
struct Collected {
  std::vector<AddedText> texts;
  AddedTextVisitor visitor() {
    return [this](const AddedText& t) -> Status {
      texts.push_back(t);
      return {};
    };
  }
  // The texts of commit that touch path.
  std::vector<AddedText> of(const std::string& commit, const std::string& path) const {
    std::vector<AddedText> out;
    for (const auto& t : texts) {
      if (t.commit == commit && t.path == path) out.push_back(t);
    }
    return out;
  }
  bool has_commit(const std::string& commit) const {
    return std::any_of(texts.begin(), texts.end(),
                       [&](const AddedText& t) { return t.commit == commit; });
  }
  std::size_t count(const std::string& needle) const {
    std::size_t n = 0;
    for (const auto& t : texts) {
      for (auto at = t.text.find(needle); at != std::string::npos;
           at = t.text.find(needle, at + 1)) {
        ++n;
      }
    }
    return n;
  }
};

Collected history(const std::string& repo, GitOptions options = {}) {
  Collected c;
  auto st = scan_history(repo, options, c.visitor());
  EXPECT_TRUE(st) << st.error().message;
  return c;
}

Collected staged(const std::string& repo) {
  Collected c;
  auto st = scan_staged(repo, c.visitor());
  EXPECT_TRUE(st) << st.error().message;
  return c;
}

TEST(GitSource, SecretAddedThenRemovedIsReportedOnceByItsCommit) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("config.env", "HOST=db\n");
  std::string c1 = repo.commit("one");
  repo.write("config.env", "HOST=db\nTOKEN=sk_live_a1b2c3\n");
  std::int64_t t2 = repo.time();
  std::string c2 = repo.commit("two", "Bob <bob@example.com>");
  repo.write("config.env", "HOST=db\n");
  std::string c3 = repo.commit("three");

  Collected c = history(repo.dir());
  EXPECT_EQ(c.count("sk_live_a1b2c3"), 1u);
  auto found = c.of(c2, "config.env");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "TOKEN=sk_live_a1b2c3\n");
  EXPECT_EQ(found[0].lines, std::vector<std::uint32_t>{2});
  EXPECT_EQ(found[0].author, "Bob <bob@example.com>");
  EXPECT_EQ(found[0].time, t2);
  EXPECT_EQ(found[0].commit.size(), 40u);
  // The removal adds nothing; the root commit adds its line.
  EXPECT_FALSE(c.has_commit(c3));
  auto root = c.of(c1, "config.env");
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0].author, "Alice <alice@example.com>");
  // Newest first.
  ASSERT_EQ(c.texts.size(), 2u);
  EXPECT_EQ(c.texts[0].commit, c2);
  EXPECT_EQ(c.texts[1].commit, c1);
}

TEST(GitSource, ModifiedLinesReportNewLineNumbers) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "l1\nl2\nl3\nl4\nl5\n");
  repo.commit("one");
  repo.write("a.txt", "l1\ninserted\nl2\nL3 changed\nl4\nl5\nappended");  // no final newline
  std::string c2 = repo.commit("two");
  auto found = history(repo.dir()).of(c2, "a.txt");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "inserted\nL3 changed\nappended\n");
  EXPECT_EQ(found[0].lines, (std::vector<std::uint32_t>{2, 4, 7}));
}

TEST(GitSource, RootCommitReportsEveryLineOfEveryFile) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "x\ny\n");
  repo.write("dir/sub/b.txt", "z\n");
  std::string c1 = repo.commit("root");
  Collected c = history(repo.dir());
  ASSERT_EQ(c.texts.size(), 2u);
  auto a = c.of(c1, "a.txt");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].text, "x\ny\n");
  EXPECT_EQ(a[0].lines, (std::vector<std::uint32_t>{1, 2}));
  auto b = c.of(c1, "dir/sub/b.txt");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].text, "z\n");
}

TEST(GitSource, TimeIsTheAuthorTime) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "x\n");
  repo.git({"add", "a.txt"});
  repo.git({"commit", "-q", "-m", "dated", "--date=@1234567890 +0200"});
  Collected c = history(repo.dir());
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(c.texts[0].time, 1234567890);
  EXPECT_NE(repo.time(), 1234567890);  // the committer time
}

TEST(GitSource, RenamedFile) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("old.txt", "secret=abc\nother\n");
  repo.commit("one");
  repo.git({"mv", "old.txt", "new.txt"});
  std::string moved = repo.commit("pure rename");
  repo.git({"mv", "new.txt", "newer.txt"});
  repo.write("newer.txt", "secret=abc\nother\nmore\n");
  std::string edited = repo.commit("rename and edit");

  Collected c = history(repo.dir());
  EXPECT_FALSE(c.has_commit(moved));  // moved unchanged: nothing added
  // Moved and edited: no similarity detection, the file is added whole
  // under its new path.
  auto found = c.of(edited, "newer.txt");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "secret=abc\nother\nmore\n");
  EXPECT_EQ(found[0].lines, (std::vector<std::uint32_t>{1, 2, 3}));
}

TEST(GitSource, BinaryFilesAndSubmodulesAreSkipped) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("blob.bin", std::string("key=BINSECRET\0\x01\x02\n", 17));
  repo.write("text.txt", "key=TEXTSECRET\n");
  std::string c1 = repo.commit("one");
  // A submodule entry (gitlink); libgit2 would show it as "Subproject commit <id>".
  repo.git({"update-index", "--add", "--cacheinfo", "160000," + c1 + ",vendor/lib"});
  std::string c2 = repo.commit("submodule");
  Collected c = history(repo.dir());
  EXPECT_EQ(c.count("BINSECRET"), 0u);
  EXPECT_EQ(c.count("TEXTSECRET"), 1u);
  EXPECT_TRUE(c.of(c1, "blob.bin").empty());
  EXPECT_FALSE(c.has_commit(c2));
}

TEST(GitSource, MergeCommitsAreSkipped) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("base.txt", "base\n");
  repo.commit("base");
  repo.git({"checkout", "-q", "-b", "feature"});
  repo.write("feature.txt", "from feature\n");
  std::string f1 = repo.commit("feature");
  repo.git({"checkout", "-q", "main"});
  repo.write("main.txt", "from main\n");
  std::string m1 = repo.commit("main");
  repo.git({"merge", "-q", "--no-ff", "-m", "merge", "feature"});
  std::string merge = repo.git({"rev-parse", "HEAD"});

  Collected c = history(repo.dir());
  EXPECT_FALSE(c.has_commit(merge));
  EXPECT_EQ(c.of(f1, "feature.txt").size(), 1u);
  EXPECT_EQ(c.of(m1, "main.txt").size(), 1u);
  EXPECT_EQ(c.count("from feature"), 1u);
}

TEST(GitSource, SinceExcludesCommitsReachableFromIt) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "one\n");
  std::string c1 = repo.commit("one");
  repo.write("a.txt", "one\ntwo\n");
  std::string c2 = repo.commit("two");
  repo.git({"tag", "v1"});
  repo.write("a.txt", "one\ntwo\nthree\n");
  std::string c3 = repo.commit("three");

  Collected from_c1 = history(repo.dir(), {.since = c1});
  EXPECT_FALSE(from_c1.has_commit(c1));
  EXPECT_TRUE(from_c1.has_commit(c2));
  EXPECT_TRUE(from_c1.has_commit(c3));
  Collected from_tag = history(repo.dir(), {.since = "v1"});
  ASSERT_EQ(from_tag.texts.size(), 1u);
  EXPECT_EQ(from_tag.texts[0].commit, c3);
  EXPECT_TRUE(history(repo.dir(), {.since = "HEAD"}).texts.empty());
}

TEST(GitSource, AllWalksEveryRefAndVisitsEachCommitOnce) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "shared\n");
  std::string shared = repo.commit("shared");
  repo.git({"tag", "-a", "-m", "release", "v1"});
  repo.git({"checkout", "-q", "-b", "side"});
  repo.write("side.txt", "side secret\n");
  std::string side = repo.commit("side");
  repo.git({"checkout", "-q", "main"});
  repo.write("b.txt", "main\n");
  std::string main = repo.commit("main");
  // A tag of a blob names no commit and is passed over.
  std::string blob = repo.git({"hash-object", "-w", "a.txt"});
  repo.git({"tag", "blob-tag", blob});

  Collected head_only = history(repo.dir());
  EXPECT_FALSE(head_only.has_commit(side));
  EXPECT_TRUE(head_only.has_commit(main));

  Collected all = history(repo.dir(), {.all = true});
  EXPECT_TRUE(all.has_commit(side));
  EXPECT_TRUE(all.has_commit(main));
  // shared is reachable from main, side and v1: visited once.
  EXPECT_EQ(all.of(shared, "a.txt").size(), 1u);
  EXPECT_EQ(all.count("shared"), 1u);
  EXPECT_EQ(all.texts.size(), 3u);

  // A detached HEAD's own commit is part of --all too.
  repo.git({"checkout", "-q", "--detach"});
  repo.write("c.txt", "detached\n");
  std::string detached = repo.commit("detached");
  EXPECT_TRUE(history(repo.dir(), {.all = true}).has_commit(detached));
}

TEST(GitSource, SinceHidesAncestorsThroughMerges) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "a\n");
  std::string a = repo.commit("a");
  repo.git({"checkout", "-q", "-b", "side"});
  repo.write("s.txt", "s\n");
  std::string side = repo.commit("side");
  repo.git({"checkout", "-q", "main"});
  repo.write("b.txt", "b\n");
  std::string b = repo.commit("b");
  repo.git({"merge", "-q", "--no-ff", "-m", "merge", "side"});
  repo.write("c.txt", "c\n");
  std::string c = repo.commit("c");

  // Like `git log side..HEAD`: side and a are hidden, b and c are not.
  Collected after_side = history(repo.dir(), {.since = "side"});
  EXPECT_TRUE(after_side.has_commit(c));
  EXPECT_TRUE(after_side.has_commit(b));
  EXPECT_FALSE(after_side.has_commit(side));
  EXPECT_FALSE(after_side.has_commit(a));
  // `git log b..HEAD`: the merged side commit is not reachable from b.
  Collected after_b = history(repo.dir(), {.since = b});
  EXPECT_TRUE(after_b.has_commit(c));
  EXPECT_TRUE(after_b.has_commit(side));
  EXPECT_FALSE(after_b.has_commit(b));
  EXPECT_FALSE(after_b.has_commit(a));
  // Children before parents.
  Collected all = history(repo.dir());
  std::vector<std::string> order;
  for (const auto& t : all.texts) order.push_back(t.commit);
  auto at = [&](const std::string& id) { return std::find(order.begin(), order.end(), id); };
  EXPECT_LT(at(c), at(b));
  EXPECT_LT(at(c), at(side));
  EXPECT_LT(at(b), at(a));
  EXPECT_LT(at(side), at(a));
}

TEST(GitSource, ShallowCloneTreatsItsOldestCommitsAsRoots) {
  TempDir tmp;
  Repo origin(tmp, "origin");
  std::vector<std::string> ids;
  for (int i = 1; i <= 4; ++i) {
    origin.write("a.txt", std::string(static_cast<std::size_t>(i), 'x') + "\n");
    origin.write("f" + std::to_string(i) + ".txt", "file " + std::to_string(i) + "\n");
    ids.push_back(origin.commit("c" + std::to_string(i)));
  }
  origin.git({"clone", "-q", "--depth", "2", "file://" + origin.dir(), tmp / "shallow"},
             tmp.path());
  Collected c = history(tmp / "shallow");
  EXPECT_FALSE(c.has_commit(ids[0]));
  EXPECT_FALSE(c.has_commit(ids[1]));
  // The boundary commit adds its whole tree, the next one its change.
  auto boundary = c.of(ids[2], "f1.txt");
  ASSERT_EQ(boundary.size(), 1u);
  EXPECT_EQ(boundary[0].text, "file 1\n");
  EXPECT_EQ(c.of(ids[2], "a.txt").size(), 1u);
  auto last = c.of(ids[3], "a.txt");
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].text, "xxxx\n");
  EXPECT_TRUE(c.of(ids[3], "f1.txt").empty());
  EXPECT_TRUE(history(tmp / "shallow", {.since = ids[2]}).has_commit(ids[3]));
}

TEST(GitSource, FileTypeChanges) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("data", std::string("bin\0ary\n", 8));
  repo.write("empty.txt", "");
  std::string c1 = repo.commit("binary and empty");
  repo.write("data", "now text secret\n");
  std::string c2 = repo.commit("binary to text");
  repo.write("data", std::string("again\0binary\n", 13));
  std::string c3 = repo.commit("text to binary");
  repo.git({"rm", "-q", "data"});
  repo.git({"update-index", "--add", "--cacheinfo", "160000," + c1 + ",data"});
  repo.git({"commit", "-q", "-m", "file to submodule"});
  repo.git({"rm", "-q", "--cached", "data"});
  repo.write("data", "submodule to file\n");
  std::string c5 = repo.commit("submodule to file");

  Collected c = history(repo.dir());
  EXPECT_FALSE(c.has_commit(c1));  // a binary file and an empty file add no lines
  auto text = c.of(c2, "data");
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text[0].text, "now text secret\n");
  EXPECT_FALSE(c.has_commit(c3));
  auto file = c.of(c5, "data");
  ASSERT_EQ(file.size(), 1u);
  EXPECT_EQ(file[0].text, "submodule to file\n");
  EXPECT_EQ(c.texts.size(), 2u);
}

TEST(GitSource, DirectoryMovedUnchangedAddsNothing) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("src/a/one.txt", "one\n");
  repo.write("src/a/deep/two.txt", "two\n");
  repo.commit("one");
  repo.git({"mv", "src/a", "lib"});
  repo.write("lib/new.txt", "new\n");
  std::string moved = repo.commit("move");
  Collected c = history(repo.dir());
  ASSERT_EQ(c.of(moved, "lib/new.txt").size(), 1u);
  EXPECT_TRUE(c.of(moved, "lib/one.txt").empty());
  EXPECT_TRUE(c.of(moved, "lib/deep/two.txt").empty());
  // Names that sort differently as trees and files ("a.b" < "a/" < "a0").
  repo.write("x/a.b", "1\n");
  repo.write("x/a0", "2\n");
  repo.write("x/a/c", "3\n");
  std::string sorted = repo.commit("order");
  Collected d = history(repo.dir());
  EXPECT_EQ(d.of(sorted, "x/a.b").size(), 1u);
  EXPECT_EQ(d.of(sorted, "x/a0").size(), 1u);
  EXPECT_EQ(d.of(sorted, "x/a/c").size(), 1u);
  repo.git({"rm", "-q", "-r", "x/a"});
  repo.write("x/a", "was a directory\n");
  std::string replaced = repo.commit("directory to file");
  auto file = history(repo.dir()).of(replaced, "x/a");
  ASSERT_EQ(file.size(), 1u);
  EXPECT_EQ(file[0].text, "was a directory\n");
}

TEST(GitSource, StagedChangesBeforeTheFirstCommit) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "staged secret\n");
  repo.write("untracked.txt", "not staged\n");
  repo.git({"add", "a.txt"});
  Collected c = staged(repo.dir());
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(c.texts[0].commit, "");
  EXPECT_EQ(c.texts[0].author, "");
  EXPECT_EQ(c.texts[0].path, "a.txt");
  EXPECT_EQ(c.texts[0].text, "staged secret\n");
  EXPECT_EQ(c.texts[0].lines, std::vector<std::uint32_t>{1});
  // And the history of a repository without commits is empty.
  EXPECT_TRUE(history(repo.dir()).texts.empty());
}

TEST(GitSource, StagedChangesAgainstHead) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "one\ntwo\n");
  repo.commit("one");
  repo.write("a.txt", "one\nstaged\ntwo\n");
  repo.git({"add", "a.txt"});
  repo.write("a.txt", "one\nstaged\ntwo\nunstaged\n");  // in the work tree only
  Collected c = staged(repo.dir());
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(c.texts[0].text, "staged\n");
  EXPECT_EQ(c.texts[0].lines, std::vector<std::uint32_t>{2});
  EXPECT_EQ(c.count("unstaged"), 0u);
}

TEST(GitSource, StagedReadsTheIndexNamedByGitIndexFile) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "one\n");
  repo.commit("one");
  repo.write("a.txt", "one\nonly in the other index\n");
  std::string other = tmp / "other-index";
  repo.git({"read-tree", "HEAD"}, "", {"GIT_INDEX_FILE=" + other});
  repo.git({"add", "a.txt"}, "", {"GIT_INDEX_FILE=" + other});
  EXPECT_TRUE(staged(repo.dir()).texts.empty());  // the repository's index is unchanged
  ::setenv("GIT_INDEX_FILE", other.c_str(), 1);
  Collected c = staged(repo.dir());
  ::unsetenv("GIT_INDEX_FILE");
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(c.texts[0].text, "only in the other index\n");
}

TEST(GitSource, SubdirectoryOfTheWorkTreeFindsTheRepository) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("deep/er/a.txt", "found\n");
  std::string c1 = repo.commit("one");
  Collected c = history(repo.dir() + "/deep/er");
  ASSERT_EQ(c.texts.size(), 1u);
  EXPECT_EQ(c.texts[0].path, "deep/er/a.txt");  // relative to the top, not to REPO
  EXPECT_EQ(c.texts[0].commit, c1);
  repo.write("deep/b.txt", "staged\n");
  repo.git({"add", "deep/b.txt"});
  EXPECT_EQ(staged(repo.dir() + "/deep").count("staged"), 1u);
}

TEST(GitSource, BareRepositoryHasHistoryButNoStagedChanges) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "in bare\n");
  std::string c1 = repo.commit("one");
  repo.git({"clone", "-q", "--bare", repo.dir(), tmp / "bare.git"}, tmp.path());
  Collected c = history(tmp / "bare.git");
  EXPECT_EQ(c.of(c1, "a.txt").size(), 1u);
  Collected none;
  auto st = scan_staged(tmp / "bare.git", none.visitor());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::invalid_input);
  EXPECT_NE(st.error().message.find("bare"), std::string::npos);
}

TEST(GitSource, NotARepositoryIsNotFound) {
  TempDir tmp;
  Collected c;
  for (const std::string& path : {tmp.path(), tmp / "missing"}) {
    auto st = scan_history(path, {}, c.visitor());
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Code::not_found);
    EXPECT_EQ(st.error().message, "not a git repository: " + path);
    auto staged_st = scan_staged(path, c.visitor());
    ASSERT_FALSE(staged_st);
    EXPECT_EQ(staged_st.error().code, Code::not_found);
  }
  EXPECT_TRUE(c.texts.empty());
}

TEST(GitSource, BadRevisionIsInvalidInput) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "x\n");
  repo.commit("one");
  Collected c;
  auto st = scan_history(repo.dir(), {.since = "no-such-branch"}, c.visitor());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::invalid_input);
  EXPECT_EQ(st.error().message, "unknown revision: no-such-branch");
  st = scan_history(repo.dir(), {.since = "HEAD^{tree}"}, c.visitor());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::invalid_input);
  EXPECT_EQ(st.error().message, "not a commit: HEAD^{tree}");
  st = scan_history(repo.dir(), {.since = "HEAD~5"}, c.visitor());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::invalid_input);
  EXPECT_TRUE(c.texts.empty());
}

TEST(GitSource, AmbiguousRevisionIsInvalidInput) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "x\n");
  repo.commit("one");
  // Blobs "226" and "1012" share their first four hex digits.
  repo.write("b1", "226");
  repo.write("b2", "1012");
  EXPECT_EQ(repo.git({"hash-object", "-w", "b1", "b2"}),
            "0e4c1b3f9084417d02e8328b44ec4bae13645964\n0e4cd995bbd11f83e4c33ba2cb46c8b7ad17ec0b");
  std::string shared = "0e4c";
  Collected c;
  auto st = scan_history(repo.dir(), {.since = shared}, c.visitor());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::invalid_input);
  EXPECT_EQ(st.error().message, "ambiguous revision: " + shared);
}

TEST(GitSource, MissingObjectIsAnIoError) {
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "one\n");
  std::string c1 = repo.commit("one");
  repo.write("a.txt", "one\ntwo\n");
  repo.commit("two");
  auto remove_object = [&](const std::string& id) {
    std::filesystem::remove(repo.dir() + "/.git/objects/" + id.substr(0, 2) + "/" + id.substr(2));
  };
  std::string blob = repo.git({"rev-parse", "HEAD:a.txt"});
  remove_object(blob);
  Collected c;
  auto st = scan_history(repo.dir(), {}, c.visitor());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::io);
  EXPECT_NE(st.error().message.find("cannot read blob " + blob), std::string::npos);
  remove_object(c1);
  st = scan_history(repo.dir(), {}, c.visitor());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::io);
  EXPECT_NE(st.error().message.find("cannot read commit " + c1), std::string::npos);
}

TEST(GitSource, VisitorErrorStopsTheWalk) {
  TempDir tmp;
  Repo repo(tmp);
  for (int i = 0; i < 3; ++i) {
    repo.write("a.txt", std::to_string(i) + "\n");
    repo.write("b.txt", std::to_string(i) + "\n");
    repo.commit("c");
  }
  int calls = 0;
  auto refuse = [&](const AddedText&) -> Status {
    ++calls;
    return fail(Code::denied, "stop here");
  };
  auto st = scan_history(repo.dir(), {}, refuse);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::denied);
  EXPECT_EQ(st.error().message, "stop here");
  EXPECT_EQ(calls, 1);
  // The last file of a diff is flushed after git_diff_foreach: stopping there too.
  calls = 0;
  int seen = 0;
  auto refuse_second = [&](const AddedText&) -> Status {
    ++calls;
    if (++seen == 2) return fail(Code::io, "second");
    return {};
  };
  st = scan_history(repo.dir(), {}, refuse_second);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "second");
  EXPECT_EQ(calls, 2);
  repo.write("c.txt", "staged\n");
  repo.git({"add", "c.txt"});
  calls = 0;
  st = scan_staged(repo.dir(), refuse);
  ASSERT_FALSE(st);
  EXPECT_EQ(calls, 1);
}

TEST(GitSource, RepositoryOwnedBySomeoneElseIsDenied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the repository away";
  TempDir tmp;
  Repo repo(tmp);
  repo.write("a.txt", "x\n");
  repo.commit("one");
  ASSERT_EQ(::chown(repo.dir().c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chown((repo.dir() + "/.git").c_str(), 65534, 65534), 0);
  // libgit2's configuration: only tmp/.gitconfig, for this test only.
  const GitApi& api = **git_api();
  const int levels[] = {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL};
  for (int level : levels) {
    std::string dir = level == GIT_CONFIG_LEVEL_GLOBAL ? tmp.path() : tmp / "none";
    ASSERT_EQ(api.libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, dir.c_str()), 0);
  }
  auto scan = [&] {
    Collected c;
    return scan_history(repo.dir(), {}, c.visitor());
  };
  auto no_safe_directory = scan();  // libgit2 1.5 fails in its own way here
  std::ofstream(tmp / ".gitconfig") << "[safe]\n\tdirectory = /elsewhere\n";
  auto other_safe_directory = scan();
  std::ofstream(tmp / ".gitconfig") << "[safe]\n\tdirectory = " << repo.dir() << "\n";
  auto trusted = scan();
  for (int level : levels) api.libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, nullptr);
  for (const auto& st : {no_safe_directory, other_safe_directory}) {
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Code::denied);
    EXPECT_EQ(st.error().message, "git repository owned by someone else: " + repo.dir());
    EXPECT_NE(st.error().hint.find("safe.directory " + repo.dir()), std::string::npos);
  }
  EXPECT_TRUE(trusted) << trusted.error().message;
}

// Many commits through fast-import: each visited once, newest first.
TEST(GitSource, LongHistoryIsWalkedInOrder) {
  TempDir tmp;
  Repo repo(tmp);
  constexpr int kCommits = 500;
  std::string stream;
  for (int i = 1; i <= kCommits; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    std::string msg = "c" + std::to_string(i);
    stream += "commit refs/heads/main\nmark :" + std::to_string(i) + "\n";
    stream += "committer A <a@example.com> " + std::to_string(kEpoch + i) + " +0000\n";
    stream += "data " + std::to_string(msg.size()) + "\n" + msg + "\n";
    if (i > 1) stream += "from :" + std::to_string(i - 1) + "\n";
    stream += "M 100644 inline f" + std::to_string(i % 7) + ".txt\n";
    stream += "data " + std::to_string(line.size()) + "\n" + line + "\n";
  }
  std::string file = tmp / "stream";
  std::ofstream(file, std::ios::binary) << stream;
  repo.git({"fast-import", "--quiet"}, "", {}, file);
  repo.git({"reset", "-q", "--hard"});

  Collected c = history(repo.dir());
  ASSERT_EQ(c.texts.size(), static_cast<std::size_t>(kCommits));
  for (int k = 0; k < kCommits; ++k) {
    int i = kCommits - k;
    EXPECT_EQ(c.texts[k].text, "line " + std::to_string(i) + "\n") << k;
    EXPECT_EQ(c.texts[k].path, "f" + std::to_string(i % 7) + ".txt");
    EXPECT_EQ(c.texts[k].author, "A <a@example.com>");
    EXPECT_EQ(c.texts[k].time, kEpoch + i);
  }
}

TEST(GitLoader, LoadsLibgit2) {
  auto api = git_api();
  ASSERT_TRUE(api) << api.error().message;
  EXPECT_NE((*api)->diff_buffers, nullptr);
}

TEST(GitLoader, MissingLibraryIsUnavailable) {
  auto api = load_git_library("libward-no-such-library.so.0");
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code, Code::unavailable);
  EXPECT_NE(api.error().message.find("cannot load libward-no-such-library.so.0"),
            std::string::npos);
  EXPECT_EQ(api.error().hint, "install libgit2 (apt install libgit2-1.5)");
}

TEST(GitLoader, LibraryWithoutTheFunctionsIsUnavailable) {
  auto api = load_git_library("libz.so.1");
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code, Code::unavailable);
  EXPECT_EQ(api.error().message, "libz.so.1 has no git_libgit2_init");
  EXPECT_EQ(api.error().hint, "install libgit2 (apt install libgit2-1.5)");
}

}  // namespace
}  // namespace ward::scan
