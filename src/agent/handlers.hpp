// The agent's requests: a static table of op name, whether it needs the
// vault key, and the handler. Handlers run with AgentState::mutex held.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "agent/audit_trail.hpp"
#include "agent/protocol.hpp"
#include "agent/server.hpp"
#include "audit/event.hpp"
#include "core/process_info.hpp"
#include "vault/vault.hpp"

namespace ward {

// Who is on the other end of a connection: credentials from SO_PEERCRED,
// not from anything the client says, resolved through /proc when it
// connects (kept for attribution and the audit log).
struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  // What else is known about the peer is read from /proc by the handlers
  // that need it: reading it for every request costs more than the request.
};

// What a `ward run` child (and everything it starts) may still ask for:
// registered by ward run for its own pid just before it starts the child.
struct Restriction {
  std::vector<std::string> vars;   // ENC blobs it may open, by variable
  std::vector<std::string> paths;  // secrets it may resolve
};

struct AgentState {
  std::mutex mutex;
  std::optional<Vault> vault;  // empty once locked
  AgentConfig config;
  std::int64_t started_unix_s = 0;
  std::int64_t expires_mono_ms = 0;
  std::int64_t last_activity_mono_ms = 0;
  std::atomic<bool> stop{false};
  std::string stop_reason;
  int listen_fd = -1;
  // Seals ENC[ward:v1:...] environment values; random per agent start.
  SecretBytes session_key;
  std::string session_id;
  std::map<pid_t, Restriction> restrictions;
  // Records every request's event; empty only if the log could not be opened
  // at start (then the agent does not start).
  std::unique_ptr<AuditTrail> audit;
};

// Stops accepting: removes the socket path so new clients see no agent, and
// shuts the listener down. Safe to call more than once.
void stop_listening(AgentState& state);

// A handler fills in the secrets (and, on success, the reason, tool and
// denied names) of its request's audit event; the server adds the name,
// actor and outcome and writes it before the answer goes out.
using HandlerFn = Result<Message> (*)(AgentState& state, const Peer& peer, Message& request,
                                      audit::Event& event);

enum class Activity { counts, ignored };  // whether a request resets the idle timer

struct Handler {
  const char* op;
  const char* event;  // the audit event it records; nullptr for none (status, restrict)
  bool needs_key;     // refused with 'locked' once the key is wiped
  Activity activity;
  HandlerFn fn;
};

// The dispatch table; nullptr for an unknown op.
const Handler* find_handler(std::string_view op);

// The restriction that binds peer (its own or an ancestor's), if any;
// forgets restrictions of processes that are gone.
const Restriction* restriction_for(AgentState& state, const Peer& peer);
// denied when a restricted peer asks for more than it was granted.
Status check_restriction(const Restriction& r, std::string_view op, const Message& request);

// Locks now, with st.mutex held: an auto-lock event when reason is not
// "lock", a last signed checkpoint whose head is sealed into the vault, then
// the keys are wiped and the socket closed.
void lock_agent(AgentState& st, const std::string& reason);

}  // namespace ward
