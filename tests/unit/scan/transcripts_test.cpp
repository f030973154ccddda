#include "scan/transcripts.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "../testing/temp_dir.hpp"

namespace ward::scan {
namespace {

namespace fs = std::filesystem;

void touch(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << "x\n";
}

// path relative to home -> agent, for every file listed.
std::map<std::string, std::string> listed(const std::string& home) {
  auto files = transcript_files(home);
  EXPECT_TRUE(files) << files.error().message;
  std::map<std::string, std::string> out;
  if (!files) return out;
  for (const auto& f : *files) {
    EXPECT_TRUE(f.path.starts_with(home + "/")) << f.path;
    out[f.path.substr(home.size() + 1)] = f.agent;
  }
  return out;
}

TEST(Transcripts, ListsEveryKnownLocation) {
  testing::TempDir home;
  const std::map<std::string, std::string> expected = {
      {".claude/projects/-home-me-app/0b1c.jsonl", "claude-code"},
      {".claude/projects/-home-me-app/0b1c/subagents/agent-1.jsonl", "claude-code"},
      {".claude/projects/-home-me-app/0b1c/tool-results/t1.txt", "claude-code"},
      {".claude/history.jsonl", "claude-code"},
      {".claude/shell-snapshots/snapshot-bash-1.sh", "claude-code"},
      {".claude.json", "claude-code"},
      {".codex/sessions/2025/12/08/rollout-2025-12-08T00-37-46-abc.jsonl", "codex"},
      {".codex/history.jsonl", "codex"},
      {".codex/log/codex-tui.log", "codex"},
      {".config/Cursor/User/globalStorage/state.vscdb", "cursor"},
      {".config/Cursor/User/workspaceStorage/9f8e/state.vscdb", "cursor"},
      {".cursor/projects/home-me-app/agent-transcripts/old.txt", "cursor"},
      {".cursor/projects/home-me-app/agent-transcripts/5a/5a.jsonl", "cursor"},
      {".cursor/chats/ab12/5a/store.db", "cursor"},
      {".config/cursor/chats/ab12/5a/store.db", "cursor"},
      {".config/cursor/prompt_history.json", "cursor"},
      {".aider.chat.history.md", "aider"},
      {".aider.input.history", "aider"},
      {".aider.llm.history", "aider"},
      {".gemini/tmp/3f2a/logs.json", "gemini-cli"},
      {".gemini/tmp/3f2a/chats/session-2025-07-01T10-00-ab12.json", "gemini-cli"},
      {".gemini/tmp/app/chats/session-2026-01-01T10-00-cd34.jsonl", "gemini-cli"},
      {".gemini/tmp/3f2a/checkpoint-mytag.json", "gemini-cli"},
      {".gemini/tmp/3f2a/shell_history", "gemini-cli"},
      {".copilot/session-state/6c1d/events.jsonl", "copilot-cli"},
      {".copilot/history-session-state/session-1.json", "copilot-cli"},
      {".local/share/opencode/opencode.db", "opencode"},
      {".local/share/opencode/storage/part/msg_1/prt_1.json", "opencode"},
      {".local/state/opencode/prompt-history.jsonl", "opencode"},
      {".bash_history", "shell-history"},
      {".zsh_history", "shell-history"},
      {".histfile", "shell-history"},
      {".sh_history", "shell-history"},
      {".local/share/fish/fish_history", "shell-history"},
      {".python_history", "shell-history"},
      {".node_repl_history", "shell-history"},
      {".psql_history", "shell-history"},
      {".mysql_history", "shell-history"},
      {".sqlite_history", "shell-history"},
      {".rediscli_history", "shell-history"},
  };
  for (const auto& [rel, agent] : expected) touch(home / rel);
  EXPECT_EQ(listed(home.path()), expected);
}

TEST(Transcripts, LeavesOutWhatIsNotATranscript) {
  testing::TempDir home;
  for (const char* rel : {
           ".claude/projects/app/notes.md",                       // not a transcript name
           ".claude/projects/a/b/c/d/deep.jsonl",                 // deeper than sessions go
           ".claude/settings.json",                               // not listed
           ".codex/auth.json",                                    // a credential store
           ".gemini/.env",                                        // a credential store
           ".cursor/projects/app/mcps/tools.json",                // not under agent-transcripts
           ".cursor/projects/app/terminals/1.txt",                // not under agent-transcripts
           ".config/Cursor/User/workspaceStorage/9f8e/other.db",  // not state.vscdb
           "project/.aider.chat.history.md",                      // only home is searched
           ".bash_history.bak",                                   // not a history name
       }) {
    touch(home / rel);
  }
  fs::create_directories(home / ".codex/sessions/2025/12/08/dir.jsonl");  // a directory
  EXPECT_TRUE(listed(home.path()).empty());
}

TEST(Transcripts, DoesNotFollowSymbolicLinks) {
  testing::TempDir home;
  testing::TempDir elsewhere;
  touch(elsewhere / "sessions/s.jsonl");
  touch(elsewhere / "history");
  fs::create_directories(home / ".claude");
  fs::create_directory_symlink(elsewhere / "sessions", home / ".claude/projects");
  fs::create_directory_symlink(elsewhere.path(), home / ".codex");
  fs::create_symlink(elsewhere / "history", home / ".bash_history");
  fs::create_directories(home / ".gemini/tmp/p");
  fs::create_symlink(elsewhere / "history", home / ".gemini/tmp/p/logs.json");
  touch(home / ".zsh_history");
  auto found = listed(home.path());
  EXPECT_EQ(found, (std::map<std::string, std::string>{{".zsh_history", "shell-history"}}));
}

TEST(Transcripts, SortedWithKindsAndWriteAheadLogs) {
  testing::TempDir home;
  touch(home / ".zsh_history");
  touch(home / ".bash_history");
  touch(home / ".claude.json");
  touch(home / ".local/share/opencode/opencode.db");
  touch(home / ".local/share/opencode/opencode.db-wal");
  touch(home / ".config/Cursor/User/workspaceStorage/1/state.vscdb");
  touch(home / ".config/Cursor/User/workspaceStorage/1/state.vscdb-wal");
  auto files = transcript_files(home.path());
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 7u);
  for (std::size_t i = 1; i < files->size(); ++i) {
    EXPECT_LT((*files)[i - 1].path, (*files)[i].path);
  }
  std::map<std::string, TranscriptKind> kinds;
  for (const auto& f : *files) kinds[f.path.substr(home.path().size() + 1)] = f.kind;
  EXPECT_EQ(kinds[".bash_history"], TranscriptKind::history);
  EXPECT_EQ(kinds[".claude.json"], TranscriptKind::config);
  EXPECT_EQ(kinds[".local/share/opencode/opencode.db"], TranscriptKind::database);
  EXPECT_EQ(kinds[".local/share/opencode/opencode.db-wal"], TranscriptKind::database);
  EXPECT_EQ(kinds[".config/Cursor/User/workspaceStorage/1/state.vscdb-wal"],
            TranscriptKind::database);
}

TEST(Transcripts, EmptyHomeHasNone) {
  testing::TempDir home;
  auto files = transcript_files(home.path() + "/");
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_TRUE(files->empty());
}

TEST(Transcripts, RefusesMissingOrEmptyHome) {
  testing::TempDir dir;
  auto empty = transcript_files("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Code::invalid_input);
  auto missing = transcript_files(dir / "nobody-home");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::not_found);
  touch(dir / "file");
  auto file = transcript_files(dir / "file");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, Code::not_found);
}

// A directory on the way that exists but may not be read is an error, not
// silence: its transcripts would go unscanned.
TEST(Transcripts, UnreadableDirectoryIsDenied) {
  testing::TempDir dir;
  std::string home = dir / "home";
  touch(home + "/.codex/sessions/2025/01/01/r.jsonl");
  ::chmod((home + "/.codex/sessions/2025").c_str(), 0);
  if (::geteuid() != 0) {
    auto files = transcript_files(home);
    ::chmod((home + "/.codex/sessions/2025").c_str(), 0700);
    ASSERT_FALSE(files);
    EXPECT_EQ(files.error().code, Code::denied);
    EXPECT_NE(files.error().message.find(".codex/sessions/2025"), std::string::npos);
    return;
  }
  // Root reads everything: check it as nobody, who owns the tree.
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    ::lchown(entry.path().c_str(), 65534, 65534);
  }
  ::chown(dir.path().c_str(), 65534, 65534);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(77);
    auto files = transcript_files(home);
    if (files) ::_exit(1);
    if (files.error().code != Code::denied) ::_exit(2);
    ::_exit(files.error().message.find(".codex/sessions/2025") != std::string::npos ? 0 : 3);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::chmod((home + "/.codex/sessions/2025").c_str(), 0700);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot switch to uid nobody";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ward::scan
