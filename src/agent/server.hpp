// The agent daemon: holds the unwrapped vault key in locked memory and
// serves requests on a Unix socket.
//
// Hardening follows ssh-agent: the socket is created in a 0700 directory
// under umask 0177; every connection's peer uid is checked with SO_PEERCRED
// and other users are refused; the process is undumpable with no core
// files. A static dispatch table names each request and whether it needs
// the key. The agent locks itself (wipes the key and exits) on 'lock', when
// its TTL or idle timeout runs out, and on SIGTERM/SIGINT/SIGHUP.
//
// One epoll loop serves every connection (reads, handlers, answers); a
// committer thread writes the audit events of each turn of the loop as one
// group with one fdatasync, and a request is answered only once its event
// is durable.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "crypto/secret_bytes.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

namespace ward {

struct AgentConfig {
  std::string socket_path;
  std::string vault_path;
  std::int64_t ttl_s = 8 * 3600;
  std::int64_t idle_s = 30 * 60;
};

// Creates the listening socket in a private directory. Replaces a stale
// socket left by a dead agent; already_exists when a live agent answers.
Result<Fd> bind_agent_socket(const std::string& path);

// Serves until locked. Writes "ok\n" to ready_fd (-1: none) once listening, or
// "error: MESSAGE\n" when it cannot start (then returns the error). Never
// returns after a successful start: the process exits when it locks.
Status run_agent(SecretBytes vault_key, const AgentConfig& config, int ready_fd);

}  // namespace ward
