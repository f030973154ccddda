#include "core/agent_detect.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include "core/process_info.hpp"

extern char** environ;

namespace ward {

namespace {

// How far up the process tree detection looks.
constexpr std::size_t kMaxAncestry = 16;

struct Marker {
  std::string_view key;  // variable name or lower-case process name
  std::string_view agent;
};

// Environment markers, in order of precedence when several are present.
constexpr std::array kEnvMarkers{
    Marker{"CLAUDECODE", "claude-code"}, Marker{"CLAUDE_CODE_ENTRYPOINT", "claude-code"},
    Marker{"CURSOR_TRACE_ID", "cursor"}, Marker{"CURSOR_AGENT", "cursor"},
    Marker{"GEMINI_CLI", "gemini"},      Marker{"CODEX_SANDBOX", "codex"},
    Marker{"CODEX_THREAD_ID", "codex"},  Marker{"CLINE_ACTIVE", "cline"},
    Marker{"AUGMENT_AGENT", "augment"},  Marker{"OPENCODE", "opencode"},
    Marker{"GOOSE_PROVIDER", "goose"},   Marker{"JUNIE_DATA", "junie"},
    Marker{"REPL_ID", "replit"},         Marker{"COPILOT_MODEL", "copilot"},
    Marker{"AI_AGENT", "ai-agent"},
};

// Process names of agents. "cursor-agent" is covered by "cursor" + '-'.
constexpr std::array kProcessMarkers{
    Marker{"claude", "claude-code"}, Marker{"cursor", "cursor"}, Marker{"codex", "codex"},
    Marker{"aider", "aider"},        Marker{"gemini", "gemini"}, Marker{"goose", "goose"},
    Marker{"opencode", "opencode"},  Marker{"cline", "cline"},   Marker{"augment", "augment"},
    Marker{"auggie", "augment"},     Marker{"junie", "junie"},   Marker{"copilot", "copilot"},
};

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether name is key (lower case) alone or followed by '-' or '.', ignoring case.
bool names_agent(std::string_view name, std::string_view key) {
  if (name.size() < key.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (lower(name[i]) != key[i]) return false;
  }
  return name.size() == key.size() || name[key.size()] == '-' || name[key.size()] == '.';
}

// The position of a marker variable in kEnvMarkers, kEnvMarkers.size() if none.
std::size_t env_marker_index(std::string_view name) {
  for (std::size_t i = 0; i < kEnvMarkers.size(); ++i) {
    if (kEnvMarkers[i].key == name) return i;
  }
  return kEnvMarkers.size();
}

void record_env_marker(std::size_t index, AgentDetection& out) {
  if (index >= kEnvMarkers.size()) return;
  out.detected = true;
  out.name = kEnvMarkers[index].agent;
  out.via = "env:" + std::string(kEnvMarkers[index].key);
}

// Records name as the evidence when it belongs to an agent; true if it did.
bool record_process_name(std::string_view name, AgentDetection& out) {
  std::string_view agent = agent_for_process_name(name);
  if (agent.empty()) return false;
  out.detected = true;
  out.name = agent;
  out.via = "ancestry:" + std::string(name);
  return true;
}

// The basename of an exe link, without the " (deleted)" the kernel appends.
std::string_view exe_basename(std::string_view exe) {
  constexpr std::string_view kDeleted = " (deleted)";
  if (exe.ends_with(kDeleted)) exe.remove_suffix(kDeleted.size());
  std::size_t slash = exe.rfind('/');
  return slash == std::string_view::npos ? exe : exe.substr(slash + 1);
}

// Walks the ancestors from parent up, filling out.chain and, unless a marker
// already decided, looking for an agent among their names.
void detect_from_ancestry(pid_t parent, AgentDetection& out) {
  ProcStat stat;
  pid_t next = parent;
  out.chain.reserve(8);
  while (out.chain.size() < kMaxAncestry && next > 0) {
    if (!proc::read_stat(next, stat)) break;
    out.chain.push_back(stat.comm);
    if (!out.detected && !record_process_name(stat.comm, out)) {
      std::string argv0 = proc::read_argv0(next);
      if (!record_process_name(argv0, out)) {
        std::string exe = proc::read_exe(next);
        record_process_name(exe_basename(exe), out);
      }
    }
    if (next == 1 || stat.ppid == next) break;
    next = stat.ppid;
  }
}

}  // namespace

std::string_view agent_for_env_name(std::string_view name) {
  std::size_t index = env_marker_index(name);
  return index < kEnvMarkers.size() ? kEnvMarkers[index].agent : std::string_view();
}

std::string_view agent_for_process_name(std::string_view name) {
  for (const Marker& marker : kProcessMarkers) {
    if (names_agent(name, marker.key)) return marker.agent;
  }
  return {};
}

AgentDetection detect_ai_agent(const std::vector<std::string>& env_names, pid_t pid) {
  AgentDetection out;
  std::size_t best = kEnvMarkers.size();
  for (const std::string& name : env_names) best = std::min(best, env_marker_index(name));
  record_env_marker(best, out);
  ProcStat stat;
  if (proc::read_stat(pid, stat)) detect_from_ancestry(stat.ppid, out);
  return out;
}

AgentDetection detect_ai_agent_here() {
  AgentDetection out;
  std::size_t best = kEnvMarkers.size();
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    // Stops at '=': the value is never looked at.
    const char* eq = std::strchr(*entry, '=');
    if (eq == nullptr) continue;
    best = std::min(best, env_marker_index(std::string_view(*entry, eq)));
  }
  record_env_marker(best, out);
  detect_from_ancestry(::getppid(), out);
  return out;
}

Status refuse_reveal_if_agent(const AgentDetection& d, std::string_view what) {
  if (!d.detected) return {};
  return fail(Code::denied,
              fmt::format("refusing to reveal {}: caller runs under an AI agent ({}, {})", what,
                          d.name, d.via),
              "reveal values in your own terminal; a masked 'ward get' works here");
}

}  // namespace ward
