#include "core/process_info.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace ward {

namespace {

// A forked child that waits until killed; reaped on destruction.
class PausedChild {
 public:
  PausedChild() {
    pid_ = ::fork();
    if (pid_ == 0) {
      for (;;) ::pause();
    }
  }
  ~PausedChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// The pid of a child that has exited and been reaped.
pid_t gone_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

}  // namespace

TEST(ProcessInfo, ParsesStatLine) {
  auto stat = parse_proc_stat("4242 (bash) S 4000 4242 4242 34819 4300 4194304 100 0 0 0\n");
  ASSERT_TRUE(stat.has_value()) << stat.error().message;
  EXPECT_EQ(stat->pid, 4242);
  EXPECT_EQ(stat->comm, "bash");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 4000);
  EXPECT_EQ(stat->pgrp, 4242);
  EXPECT_EQ(stat->sid, 4242);
  EXPECT_EQ(stat->tty_nr, 34819);
}

TEST(ProcessInfo, ParsesCommWithSpacesAndParens) {
  auto stat = parse_proc_stat("77 (a b) (c) d) R 1 2 3 0 -1 0");
  ASSERT_TRUE(stat.has_value()) << stat.error().message;
  EXPECT_EQ(stat->comm, "a b) (c) d");
  EXPECT_EQ(stat->state, 'R');
  EXPECT_EQ(stat->ppid, 1);
  EXPECT_EQ(stat->pgrp, 2);
  EXPECT_EQ(stat->sid, 3);
  EXPECT_EQ(stat->tty_nr, 0);

  auto empty = parse_proc_stat("8 () S 1 8 8 0");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->comm, "");
}

TEST(ProcessInfo, RejectsMalformedStat) {
  for (const char* line : {"", "12 bash S 1 2 3 4", "12 (bash S 1 2 3 4", "x (bash) S 1 2 3 4",
                           "12 (bash) S 1 2 3", "12 (bash) S 1 2 x 4", "12 (bash)  S 1 2 3 4",
                           "12 (bash) SS 1 2 3 4", ") 12 (bash S 1 2 3 4"}) {
    auto stat = parse_proc_stat(line);
    ASSERT_FALSE(stat.has_value()) << line;
    EXPECT_EQ(stat.error().code, Code::corrupt);
  }
}

TEST(ProcessInfo, NamesTtyDevices) {
  EXPECT_EQ(tty_name_for_device(0), "");
  EXPECT_EQ(tty_name_for_device((136 << 8) | 3), "/dev/pts/3");
  // pts 300: minor 300 = low byte 44, high bits 1 << 8 stored from bit 20.
  EXPECT_EQ(tty_name_for_device((136 << 8) | 44 | (1 << 20)), "/dev/pts/300");
  EXPECT_EQ(tty_name_for_device((4 << 8) | 2), "/dev/tty2");
  EXPECT_EQ(tty_name_for_device((4 << 8) | 65), "/dev/ttyS1");
  EXPECT_EQ(tty_name_for_device((5 << 8) | 1), "/dev/console");
  EXPECT_EQ(tty_name_for_device((204 << 8) | 64), "/dev/char/204:64");
}

TEST(ProcessInfo, ReadsSelf) {
  auto info = read_process(::getpid());
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->pid, ::getpid());
  EXPECT_EQ(info->ppid, ::getppid());
  EXPECT_EQ(info->uid, ::getuid());
  EXPECT_EQ(info->sid, ::getsid(0));
  EXPECT_EQ(info->comm, "ward_unit");
  EXPECT_EQ(info->argv0, "ward_unit");
  EXPECT_TRUE(info->exe.ends_with("/ward_unit")) << info->exe;
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(info->cwd, cwd);
  if (!info->tty.empty()) {
    EXPECT_TRUE(info->tty.starts_with("/dev/")) << info->tty;
  }
}

TEST(ProcessInfo, Argv0IsOnlyTheBasenameOfTheFirstArgument) {
  auto info = read_process(::getppid());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->argv0.find('/'), std::string::npos) << info->argv0;
  EXPECT_EQ(info->argv0.find('\0'), std::string::npos);
}

TEST(ProcessInfo, MissingProcessIsNotFound) {
  auto info = read_process(gone_pid());
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, Code::not_found);
  EXPECT_EQ(read_process(0).error().code, Code::invalid_input);
}

TEST(ProcessAncestry, ForkedChildHasParent) {
  PausedChild child;
  ASSERT_GT(child.pid(), 0);
  std::vector<ProcessInfo> chain = process_ancestry(child.pid());
  ASSERT_GE(chain.size(), 2u);
  EXPECT_EQ(chain[0].pid, ::getpid());
  EXPECT_EQ(chain[0].comm, "ward_unit");
  EXPECT_EQ(chain[1].pid, ::getppid());
  for (const ProcessInfo& p : chain) EXPECT_NE(p.pid, child.pid());
  EXPECT_LE(chain.size(), 16u);
}

TEST(ProcessAncestry, RespectsMaxDepthAndStopsAtInit) {
  PausedChild child;
  std::vector<ProcessInfo> one = process_ancestry(child.pid(), 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].pid, ::getpid());

  std::vector<ProcessInfo> all = process_ancestry(child.pid(), 64);
  ASSERT_FALSE(all.empty());
  for (std::size_t i = 0; i + 1 < all.size(); ++i) EXPECT_NE(all[i].pid, 1);
  EXPECT_TRUE(process_ancestry(1).empty());
  EXPECT_TRUE(process_ancestry(gone_pid()).empty());
}

TEST(ProcessEnv, NamesOfSelfHavePathAndNoValues) {
  auto names = read_process_env_names(::getpid());
  ASSERT_TRUE(names.has_value()) << names.error().message;
  bool has_path = false;
  for (const std::string& name : *names) {
    EXPECT_EQ(name.find('='), std::string::npos) << name;
    EXPECT_FALSE(name.empty());
    if (name == "PATH") has_path = true;
  }
  EXPECT_TRUE(has_path);
}

TEST(ProcessEnv, MissingOrForeignProcessFails) {
  auto gone = read_process_env_names(gone_pid());
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, Code::not_found);

  auto init = read_process(1);
  if (::geteuid() == 0 || !init || init->uid == ::getuid()) {
    GTEST_SKIP() << "pid 1 is readable by this user";
  }
  auto foreign = read_process_env_names(1);
  ASSERT_FALSE(foreign.has_value());
  EXPECT_EQ(foreign.error().code, Code::denied);
}

}  // namespace ward
