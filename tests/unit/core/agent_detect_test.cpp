#include "core/agent_detect.hpp"

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/process_info.hpp"

extern char** environ;

namespace ward {

namespace {

namespace fs = std::filesystem;

// A shell started under a chosen name that runs `sleep`; the sleep is the
// process whose ancestry the tests inspect. Both are killed on destruction.
class ShellWithSleep {
 public:
  // Runs program with argv[0] = argv0 and `-c 'sleep 30; exit 0'` (the second
  // command stops the shell from exec'ing sleep in its own place).
  ShellWithSleep(const std::string& program, const std::string& argv0) {
    std::string dash_c = "-c";
    std::string script = "sleep 30; exit 0";
    char* argv[] = {const_cast<char*>(argv0.c_str()), dash_c.data(), script.data(), nullptr};
    if (::posix_spawn(&shell_, program.c_str(), nullptr, nullptr, argv, environ) != 0) {
      shell_ = -1;
      return;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (sleep_ <= 0 && std::chrono::steady_clock::now() < deadline) {
      sleep_ = first_child(shell_);
      if (sleep_ <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~ShellWithSleep() {
    if (sleep_ > 0) ::kill(sleep_, SIGKILL);
    if (shell_ > 0) {
      ::kill(shell_, SIGKILL);
      ::waitpid(shell_, nullptr, 0);
    }
  }
  pid_t shell() const { return shell_; }
  pid_t sleeper() const { return sleep_; }

 private:
  // The first child of pid that has exec'ed sleep, or 0.
  static pid_t first_child(pid_t pid) {
    std::string task = std::to_string(pid);
    std::ifstream children("/proc/" + task + "/task/" + task + "/children");
    pid_t child = 0;
    if (!(children >> child)) return 0;
    ProcStat stat;
    if (!proc::read_stat(child, stat) || stat.comm != "sleep") return 0;
    return child;
  }

  pid_t shell_ = -1;
  pid_t sleep_ = 0;
};

// A temporary directory, removed when the test passed.
class AgentDetectDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr ? base : "/tmp") + "/ward-agent-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  // Copies /bin/sh into the directory under name; returns its path.
  std::string shell_named(const std::string& name) {
    fs::path target = dir_ / name;
    fs::copy_file(fs::canonical("/bin/sh"), target);
    fs::permissions(target, fs::perms::owner_all);
    return target.string();
  }
  fs::path dir_;
};

}  // namespace

TEST(AgentDetect, MapsEnvMarkers) {
  EXPECT_EQ(agent_for_env_name("CLAUDECODE"), "claude-code");
  EXPECT_EQ(agent_for_env_name("CLAUDE_CODE_ENTRYPOINT"), "claude-code");
  EXPECT_EQ(agent_for_env_name("CURSOR_AGENT"), "cursor");
  EXPECT_EQ(agent_for_env_name("CODEX_THREAD_ID"), "codex");
  EXPECT_EQ(agent_for_env_name("REPL_ID"), "replit");
  EXPECT_EQ(agent_for_env_name("AI_AGENT"), "ai-agent");
  EXPECT_EQ(agent_for_env_name("claudecode"), "");
  EXPECT_EQ(agent_for_env_name("CLAUDECODE_X"), "");
  EXPECT_EQ(agent_for_env_name("PATH"), "");
}

TEST(AgentDetect, MatchesProcessNames) {
  EXPECT_EQ(agent_for_process_name("claude"), "claude-code");
  EXPECT_EQ(agent_for_process_name("Claude-Code"), "claude-code");
  EXPECT_EQ(agent_for_process_name("claude.exe"), "claude-code");
  EXPECT_EQ(agent_for_process_name("cursor-agent"), "cursor");
  EXPECT_EQ(agent_for_process_name("auggie"), "augment");
  EXPECT_EQ(agent_for_process_name("aider"), "aider");
  EXPECT_EQ(agent_for_process_name("opencode"), "opencode");
  EXPECT_EQ(agent_for_process_name("claudette"), "");
  EXPECT_EQ(agent_for_process_name("xclaude"), "");
  EXPECT_EQ(agent_for_process_name("claud"), "");
  EXPECT_EQ(agent_for_process_name("node"), "");
  EXPECT_EQ(agent_for_process_name(""), "");
}

TEST(AgentDetect, FindsClaudeViaEnvMarker) {
  AgentDetection d = detect_ai_agent({"HOME", "CLAUDECODE", "PATH"}, ::getpid());
  EXPECT_TRUE(d.detected);
  EXPECT_EQ(d.name, "claude-code");
  EXPECT_EQ(d.via, "env:CLAUDECODE");
  ASSERT_FALSE(d.chain.empty());
  EXPECT_EQ(d.chain[0], read_process(::getppid())->comm);
}

TEST(AgentDetect, EarlierMarkerWins) {
  AgentDetection d = detect_ai_agent({"AI_AGENT", "CURSOR_TRACE_ID"}, ::getpid());
  EXPECT_EQ(d.name, "cursor");
  EXPECT_EQ(d.via, "env:CURSOR_TRACE_ID");
}

TEST_F(AgentDetectDir, FindsClaudeInAncestry) {
  std::string claude = shell_named("claude");
  ShellWithSleep run(claude, claude);
  ASSERT_GT(run.sleeper(), 0);

  std::vector<ProcessInfo> chain = process_ancestry(run.sleeper());
  ASSERT_GE(chain.size(), 2u);
  EXPECT_EQ(chain[0].pid, run.shell());
  EXPECT_EQ(chain[0].comm, "claude");
  EXPECT_EQ(chain[0].argv0, "claude");
  EXPECT_EQ(chain[0].exe, fs::canonical(claude).string());
  EXPECT_EQ(chain[1].pid, ::getpid());

  AgentDetection d = detect_ai_agent({}, run.sleeper());
  EXPECT_TRUE(d.detected);
  EXPECT_EQ(d.name, "claude-code");
  EXPECT_EQ(d.via, "ancestry:claude");
  ASSERT_GE(d.chain.size(), 2u);
  EXPECT_EQ(d.chain[0], "claude");
  EXPECT_EQ(d.chain[1], "ward_unit");
}

TEST_F(AgentDetectDir, IgnoresClaudetteInAncestry) {
  std::string claudette = shell_named("claudette");
  ShellWithSleep run(claudette, claudette);
  ASSERT_GT(run.sleeper(), 0);
  AgentDetection d = detect_ai_agent({}, run.sleeper());
  ASSERT_FALSE(d.chain.empty());
  EXPECT_EQ(d.chain[0], "claudette");
  // The test itself may run under a real agent further up; claudette must not count.
  EXPECT_NE(d.via, "ancestry:claudette");
}

TEST(AgentDetect, FindsAgentByArgv0) {
  // comm is the shell's file name; only argv[0] says "codex".
  ShellWithSleep run("/bin/sh", "/opt/tools/codex-cli");
  ASSERT_GT(run.sleeper(), 0);
  AgentDetection d = detect_ai_agent({}, run.sleeper());
  EXPECT_TRUE(d.detected);
  EXPECT_EQ(d.name, "codex");
  EXPECT_EQ(d.via, "ancestry:codex-cli");
}

TEST(AgentDetect, HereFillsChain) {
  AgentDetection d = detect_ai_agent_here();
  ASSERT_FALSE(d.chain.empty());
  EXPECT_EQ(d.chain[0], read_process(::getppid())->comm);
  if (d.detected) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_TRUE(d.via.starts_with("env:") || d.via.starts_with("ancestry:")) << d.via;
  }
}

}  // namespace ward
