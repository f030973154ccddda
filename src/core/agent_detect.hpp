// Detects whether a process runs under an AI coding agent (Claude Code,
// Cursor, Codex, aider, ...). ward uses the answer to tighten what it hands
// out and to record who asked in the audit log.
//
// Two kinds of evidence count, each on its own: marker variables the agents
// set in their children's environment (CLAUDECODE, CURSOR_TRACE_ID, ...), and
// the names of the process's ancestors (comm, argv[0] basename and exe
// basename). Markers are cheap and precise but can be unset; ancestry survives
// that. Detection runs on every `ward get`, so the walk reads only the stat
// line of each ancestor plus, until something matched, its argv[0] and exe
// link, into fixed buffers.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ward {

// The verdict, with the evidence that decided it.
struct AgentDetection {
  bool detected = false;
  std::string name;                // "claude-code", "cursor", "codex", ... or "ai-agent"
  std::string via;                 // "env:CLAUDECODE" or "ancestry:claude" (the name that matched)
  std::vector<std::string> chain;  // comms of the ancestors, nearest first (always filled)
};

// The agent an environment variable name marks ("CLAUDECODE" -> "claude-code"),
// "" when it is no marker. Exact, case-sensitive match.
std::string_view agent_for_env_name(std::string_view name);

// The agent a process name (comm, argv[0] or exe basename) belongs to, "" when
// none. Case-insensitive; the agent's name alone or followed by '-' or '.', so
// "claude" and "claude-code" match but "claudette" does not.
std::string_view agent_for_process_name(std::string_view name);

// Whether process pid runs under an AI coding agent. env_names are the names of
// its environment variables (from environ for this process, from
// read_process_env_names for a peer). Markers are checked first, then the
// ancestors of pid (not pid itself). Never fails: unreadable ancestors end the walk.
AgentDetection detect_ai_agent(const std::vector<std::string>& env_names, pid_t pid);

// detect_ai_agent for the current process, reading names straight from environ.
AgentDetection detect_ai_agent_here();

// denied, naming the agent and how it was found, when d detected one: the
// one refusal every value-revealing path gives.
Status refuse_reveal_if_agent(const AgentDetection& d, std::string_view what);

}  // namespace ward
