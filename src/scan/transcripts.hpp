// Where AI coding agents and shells keep what they saw: session transcripts,
// prompt histories, tool output spilled to files, shell histories. A secret
// that was pasted into a prompt, printed by `cat .env` or typed on a command
// line stays in these files long after the session; `ward scan agents`
// scans each of them (as bytes, whatever the format) and can redact them.
//
// Known locations under the home directory (from the agents' documentation
// and session-reader projects, 2025-2026), one line each with what it holds:
//
// claude-code .claude/projects/*/*.jsonl             sessions: prompts, replies, tool calls
// claude-code .claude/projects/*/*/subagents/*.jsonl subagent sessions, same records
// claude-code .claude/projects/*/*/tool-results/*.txt  tool output too large for a session line
// claude-code .claude/history.jsonl                  every prompt typed, all projects
// claude-code .claude/shell-snapshots/*.sh           shell state for the Bash tool (aliases...)
// claude-code .claude.json                           config: per-project prompts, MCP env
// codex       .codex/sessions/YYYY/MM/DD/*.jsonl     rollouts: prompts, replies, commands, output
// codex       .codex/history.jsonl                   every prompt typed
// codex       .codex/log/codex-tui.log               TUI log with tool calls
// cursor      .config/Cursor/User/globalStorage/state.vscdb       SQLite: chats, composers
// cursor      .config/Cursor/User/workspaceStorage/*/state.vscdb  SQLite: prompts, older chats
// cursor      .cursor/projects/*/agent-transcripts/**  cursor-agent sessions (.txt, .jsonl)
// cursor      .cursor/chats/*/*/store.db             SQLite: cursor-agent chats
// cursor      .config/cursor/chats/*/*/store.db      SQLite: cursor-agent chats (newer)
// cursor      .config/cursor/prompt_history.json     cursor-agent prompt recall
// aider       .aider.chat.history.md                 chat transcript
// aider       .aider.input.history                   every prompt typed
// aider       .aider.llm.history                     raw LLM traffic (when enabled)
// gemini-cli  .gemini/tmp/*/logs.json                prompts of a project
// gemini-cli  .gemini/tmp/*/chats/session-*.json[l]  sessions: prompts, replies, tool calls
// gemini-cli  .gemini/tmp/*/checkpoint-*.json        conversations saved with /chat save
// gemini-cli  .gemini/tmp/*/shell_history            commands run in shell mode
// copilot-cli .copilot/session-state/*/events.jsonl  session events: prompts, replies, tools
// copilot-cli .copilot/history-session-state/*.json  sessions of versions before 0.0.342
// opencode    .local/share/opencode/opencode.db      SQLite: sessions, messages, parts
// opencode    .local/share/opencode/storage/**/*.json  the same, older versions
// opencode    .local/state/opencode/prompt-history.jsonl  every prompt typed
// shell-history .bash_history .zsh_history .histfile .sh_history .local/share/fish/fish_history
// shell-history .python_history .node_repl_history .psql_history .mysql_history
// shell-history .sqlite_history .rediscli_history    commands typed, with their arguments
//
// Agents' own credential stores (.codex/auth.json, .gemini/.env, MCP
// configs) are left out: they are where a key is meant to be, not where
// one leaked. Aider histories are listed in the home directory only (aider
// writes them to the repository it runs in; `ward scan files` sees those).
// A SQLite database also has its write-ahead log (PATH-wal) listed when one
// exists: recent writes live there until a checkpoint.
#pragma once

#include <string>
#include <vector>

#include "util/result.hpp"

namespace ward::scan {

// What a file is, which decides whether it may be rewritten.
enum class TranscriptKind {
  history,   // a record of what was seen: safe to redact
  config,    // read back by the agent (.claude.json): redacting changes what it does
  database,  // SQLite: never rewrite bytes in place, it would corrupt the database
};

struct TranscriptFile {
  std::string path;   // absolute: home + "/" + relative path
  std::string agent;  // "claude-code", "codex", "cursor", "aider", "gemini-cli",
                      // "copilot-cli", "opencode", "shell-history"
  TranscriptKind kind = TranscriptKind::history;
};

// Every existing transcript file under home, sorted by path. Regular files
// only; symbolic links (of a file or of any directory on the way) are not
// followed, missing directories are skipped. invalid_input for an empty
// home, not_found when home is not a directory; denied or io naming the
// directory when one that exists cannot be listed.
Result<std::vector<TranscriptFile>> transcript_files(const std::string& home);

}  // namespace ward::scan
