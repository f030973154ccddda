#include "agent/server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "agent/handlers.hpp"
#include "audit/actor.hpp"
#include "util/file.hpp"
#include "util/time.hpp"
#include "vault/store.hpp"

namespace ward {

namespace {

constexpr int kMaxConnections = 64;
std::atomic<int> g_connections{0};

Result<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return fail(Code::invalid_input, fmt::format("socket path too long: {}", path),
                "set XDG_RUNTIME_DIR or WARD_HOME to a shorter directory");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// True when something accepts connections at path.
bool socket_is_live(const sockaddr_un& addr) {
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return false;
  return ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

Result<Peer> peer_of(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return errno_error(Code::io, "cannot read peer credentials");
  }
  Peer peer{cred.pid, cred.uid, cred.gid};
  return peer;
}

// Writes the event of one request, its actor the peer as /proc shows it;
// then, when due, a signed checkpoint whose head is sealed into the vault.
// actor caches the peer's details for the connection's later requests: the
// peer behind a connection never changes (SO_PEERCRED is fixed at connect).
Status record(AgentState& st, const Peer& peer, audit::Event event,
              std::optional<audit::Actor>& actor) {
  if (!st.audit) return fail(Code::io, "no audit log");
  if (!actor) actor = audit::actor_of(peer.pid);
  event.actor = *actor;
  TRY(st.audit->record(std::move(event)));
  if (st.audit->checkpoint_due(now_unix_us())) {
    std::lock_guard<std::mutex> lock(st.mutex);
    if (st.vault && st.audit->checkpoint_due(now_unix_us())) {
      if (auto head = st.audit->checkpoint()) (void)seal_audit_head(*st.vault, *head);
    }
  }
  return {};
}

Error not_recorded(const Error& why) {
  return Error{Code::io, fmt::format("refused: the audit log cannot be written: {}", why.message),
               "check the disk holding the vault; nothing is released unrecorded"};
}

void serve_connection(AgentState& st, Fd conn) {
  auto peer = peer_of(conn.get());
  if (!peer || peer->uid != ::geteuid()) {
    // Another user reached the socket (the directory should have stopped them).
    if (peer) {
      audit::Event event;
      event.event = "peer.refused";
      event.outcome = "denied";
      event.reason = fmt::format("connection from uid {} refused", peer->uid);
      std::optional<audit::Actor> actor;
      (void)record(st, *peer, std::move(event), actor);
    }
    (void)write_message(
        conn.get(), error_message(Error{Code::denied, "connection from another user refused", ""}));
    --g_connections;
    return;
  }
  std::optional<audit::Actor> actor;
  for (;;) {
    auto request = read_message(conn.get());
    if (!request) {
      if (request.error().code != Code::unavailable) {
        (void)write_message(conn.get(), error_message(request.error()));
      }
      break;
    }
    Message response;
    auto op = json_string(request->body, "op");
    const Handler* handler = op ? find_handler(*op) : nullptr;
    if (!handler) {
      response = error_message(Error{
          Code::protocol, op ? fmt::format("unknown request '{}'", *op) : "request has no op", ""});
    } else {
      audit::Event event;
      event.event = handler->event ? handler->event : *op;
      bool recorded = handler->event != nullptr;
      {
        std::lock_guard<std::mutex> lock(st.mutex);
        const Restriction* restriction = restriction_for(st, *peer);
        Status allowed = restriction ? check_restriction(*restriction, *op, *request) : Status{};
        Status outcome;
        if (!allowed) {
          // A refusal is recorded whatever the op.
          recorded = true;
          event.secrets = request_secret_names(request->body);
          outcome = allowed;
        } else if ((handler->needs_key || recorded) && (!st.vault || st.stop)) {
          outcome = fail(Code::locked, "vault is locked", "run 'ward unlock'");
          recorded = false;
        } else {
          if (handler->activity == Activity::counts) st.last_activity_mono_ms = monotonic_ms();
          auto result = handler->fn(st, *peer, *request, event);
          if (result) {
            response = std::move(*result);
          } else {
            outcome = tl::unexpected(result.error());
          }
        }
        if (!outcome) {
          response = error_message(outcome.error());
          audit::set_failure(event, outcome.error());
        }
      }
      // Nothing leaves before its event is durable: the answer to a request
      // whose event cannot be written is that error, never the value.
      if (recorded) {
        if (auto written = record(st, *peer, std::move(event), actor); !written) {
          response = error_message(not_recorded(written.error()));
        }
      }
      if (*op == "lock" && st.stop) {
        std::lock_guard<std::mutex> lock(st.mutex);
        lock_agent(st, "lock");
      }
    }
    auto sent = write_message(conn.get(), response);
    if (!sent && sent.error().code == Code::invalid_input) {
      sent = write_message(conn.get(), error_message(sent.error()));
    }
    if (!sent || st.stop) break;
  }
  --g_connections;
}

[[noreturn]] void shut_down(AgentState& st) {
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    lock_agent(st, st.stop_reason);  // after 'lock' the keys are already gone
  }
  ::_exit(0);
}

}  // namespace

void stop_listening(AgentState& st) {
  if (st.listen_fd < 0) return;
  ::unlink(st.config.socket_path.c_str());
  ::shutdown(st.listen_fd, SHUT_RDWR);
  st.listen_fd = -1;
}

Result<Fd> bind_agent_socket(const std::string& path) {
  sockaddr_un addr = TRY(socket_address(path));
  mode_t old_umask = ::umask(077);
  auto dir_ok = ensure_private_dir(dirname_of(path));
  if (!dir_ok) {
    ::umask(old_umask);
    return tl::unexpected(dir_ok.error());
  }
  if (path_exists(path)) {
    if (socket_is_live(addr)) {
      ::umask(old_umask);
      return fail(Code::already_exists, "an agent is already running", "run 'ward status'");
    }
    ::unlink(path.c_str());  // stale: left by an agent that died
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    ::umask(old_umask);
    return errno_error(Code::io, "cannot create socket");
  }
  ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::umask(old_umask);
  if (rc != 0) return errno_error(Code::io, fmt::format("cannot bind {}", path));
  if (::listen(fd.get(), 64) != 0) return errno_error(Code::io, "cannot listen");
  return fd;
}

Status run_agent(SecretBytes vault_key, const AgentConfig& config, int ready_fd) {
  auto report = [&](const Error& e) {
    if (ready_fd >= 0) {
      std::string line = fmt::format("error: {}\n", e.message);
      (void)write_all(ready_fd, line.data(), line.size());
    }
    return tl::unexpected(e);
  };
  auto store = Store::open(config.vault_path);
  if (!store) return report(store.error());
  auto vault = Vault::with_key(std::move(*store), std::move(vault_key));
  if (!vault) return report(vault.error());
  // No audit log, no agent: it would release values unrecorded.
  // The log lives beside the vault ($WARD_HOME/audit.jsonl); the vault path
  // was made absolute before the agent left its working directory.
  auto trail = AuditTrail::open(*vault, dirname_of(config.vault_path) + "/audit.jsonl");
  if (!trail) {
    return report(Error{trail.error().code,
                        fmt::format("cannot open the audit log: {}", trail.error().message), ""});
  }
  auto listener = bind_agent_socket(config.socket_path);
  if (!listener) return report(listener.error());

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  Fd sigfd(::signalfd(-1, &signals, SFD_CLOEXEC));
  if (!sigfd) return report(Error{Code::io, "cannot create signalfd", ""});

  static AgentState st;  // outlives detached connection threads until _exit
  st.config = config;
  st.vault.emplace(std::move(*vault));
  st.audit = std::move(*trail);
  st.session_key = SecretBytes::random(kKeySize);
  st.session_id = to_hex(random_bytes(8));
  st.started_unix_s = now_unix_s();
  st.last_activity_mono_ms = monotonic_ms();
  st.expires_mono_ms = st.last_activity_mono_ms + config.ttl_s * 1000;

  st.listen_fd = listener->get();
  if (ready_fd >= 0) {
    (void)write_all(ready_fd, "ok\n", 3);
    ::close(ready_fd);
  }

  for (;;) {
    pollfd fds[2] = {{listener->get(), POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, 250);
    if (n < 0 && errno != EINTR) shut_down(st);
    if (n > 0 && (fds[1].revents & POLLIN)) {
      st.stop_reason = "signal";
      shut_down(st);
    }
    if (st.audit && st.audit->checkpoint_due(now_unix_us())) {
      std::lock_guard<std::mutex> lock(st.mutex);
      if (st.vault) {
        if (auto head = st.audit->checkpoint()) (void)seal_audit_head(*st.vault, *head);
      }
    }
    if (n > 0 && (fds[0].revents & POLLIN) && !st.stop) {
      Fd conn(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (conn) {
        if (g_connections.load() >= kMaxConnections) {
          conn.reset();
        } else {
          ++g_connections;
          std::thread(serve_connection, std::ref(st), std::move(conn)).detach();
        }
      }
    }
    std::int64_t now = monotonic_ms();
    bool expired = false;
    {
      std::lock_guard<std::mutex> lock(st.mutex);
      if (now >= st.expires_mono_ms) st.stop_reason = "ttl", expired = true;
      if (now - st.last_activity_mono_ms >= config.idle_s * 1000) {
        st.stop_reason = "idle", expired = true;
      }
    }
    if (expired || st.stop) {
      if (st.stop) {
        // The connection that asked to lock records it, checkpoints and
        // wipes the key; then let it send its answer.
        for (int i = 0; i < 200; ++i) {
          {
            std::lock_guard<std::mutex> lock(st.mutex);
            if (!st.vault) break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      shut_down(st);
    }
  }
}

}  // namespace ward
