#include "agent/server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "agent/handlers.hpp"
#include "audit/actor.hpp"
#include "util/file.hpp"
#include "util/time.hpp"
#include "vault/store.hpp"

namespace ward {

namespace {

constexpr std::size_t kMaxConnections = 64;

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

[[noreturn]] void shut_down(AgentState& st) {
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    lock_agent(st, st.stop_reason);  // after 'lock' the keys are already gone
  }
  ::_exit(0);
}

Error not_recorded(const Error& why) {
  return Error{Code::io, fmt::format("refused: the audit log cannot be written: {}", why.message),
               "check the disk holding the vault; nothing is released unrecorded"};
}

// One client connection, served by the event loop. Received bytes sit in
// locked memory (a request may carry a value); at most one request per
// connection is in flight, so answers go out in order.
struct Connection {
  std::uint64_t id = 0;
  Fd fd;
  Peer peer;
  std::shared_ptr<const audit::Actor> actor;  // the peer as /proc showed it, read once
  SecretBytes in;                             // capacity; the first in_len bytes are received
  std::size_t in_len = 0;
  std::string out;  // answer frames not yet sent
  std::optional<SecretBytes> out_payload;
  std::size_t out_sent = 0;  // across out, then out_payload
  bool waiting = false;      // its request's event is being written
  bool closing = false;      // close once the answer is out
  bool dead = false;         // closed at the end of this turn of the loop
};

// A request's answer held back until its event is durable.
struct PendingAnswer {
  std::uint64_t conn = 0;
  pid_t pid = 0;
  std::shared_ptr<const audit::Actor> actor;  // the connection's, once read
  audit::Event event;
  Message response;
  bool lock = false;  // the answer to 'lock': the agent locks before sending it
};

// Writes events in groups on its own thread while the loop goes on reading
// and handling: one write and one fdatasync for everything that arrived
// during the previous one. Answers come back through an eventfd. Also keeps
// the checkpoints: every 100 events or 10 minutes, a signed checkpoint
// whose head is sealed into the vault.
class Committer {
 public:
  explicit Committer(AgentState& st) : st_(st), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

  Status start() {
    if (!wake_) return errno_error(Code::io, "cannot create eventfd");
    std::thread([this] { run(); }).detach();  // runs until the process exits
    return {};
  }
  int ready_fd() const { return wake_.get(); }

  void submit(std::vector<PendingAnswer>& answers) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (PendingAnswer& a : answers) queue_.push_back(std::move(a));
    answers.clear();
    work_.notify_one();
  }

  // Answers whose events are durable (or failed to be written).
  std::vector<PendingAnswer> take_done() {
    std::uint64_t count;
    (void)!::read(wake_.get(), &count, sizeof count);
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(done_, {});
  }

 private:
  void run() {
    for (;;) {
      std::vector<PendingAnswer> batch;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        work_.wait_for(lock, std::chrono::seconds(1), [this] { return !queue_.empty(); });
        batch.swap(queue_);
      }
      if (!batch.empty()) commit(batch);
      if (st_.audit->checkpoint_due(now_unix_us())) {
        std::lock_guard<std::mutex> lock(st_.mutex);
        if (st_.vault && !st_.stop) {
          if (auto head = st_.audit->checkpoint()) (void)seal_audit_head(*st_.vault, *head);
        }
      }
    }
  }

  void commit(std::vector<PendingAnswer>& batch) {
    std::vector<audit::Event> events;
    events.reserve(batch.size());
    for (PendingAnswer& a : batch) {
      // Read here, off the loop: /proc costs more than most requests.
      if (!a.actor) a.actor = std::make_shared<const audit::Actor>(audit::actor_of(a.pid));
      a.event.actor = *a.actor;
      events.push_back(std::move(a.event));
    }
    auto written = st_.audit->record_all(events);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i].event = std::move(events[i]);
      // Nothing leaves before its event is durable: the answer to a request
      // whose event cannot be written is that error, never the value.
      if (!written) batch[i].response = error_message(not_recorded(written.error()));
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (PendingAnswer& a : batch) done_.push_back(std::move(a));
    }
    std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
  }

  AgentState& st_;
  Fd wake_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::vector<PendingAnswer> queue_;
  std::vector<PendingAnswer> done_;
};

constexpr std::size_t kInitialBuffer = 4096;
// A JSON frame and a payload frame, each at most kMaxFrame, with headers.
constexpr std::size_t kMaxBuffer = 2 * (kMaxFrame + 4);

// The event loop: accepts, reads, runs handlers (one at a time, under
// st.mutex, as before), hands events to the committer and sends answers.
class Server {
 public:
  Server(AgentState& st, int listen_fd, int signal_fd)
      : st_(st), committer_(st), listen_fd_(listen_fd), signal_fd_(signal_fd) {}

  [[noreturn]] void run();

 private:
  void watch(int fd, std::uint64_t tag, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) shut_down(st_);
  }

  void accept_all();
  void on_readable(Connection& c);
  void pump(Connection& c);
  void dispatch(Connection& c, Message request);
  void answer(Connection& c, Message response);
  void flush(Connection& c);
  // Marks c for closing at the end of this turn of the loop, so no caller
  // is left holding a destroyed connection.
  void drop(Connection& c) {
    if (!c.dead) dead_.push_back(c.id);
    c.dead = true;
  }
  Connection* find(std::uint64_t id) {
    auto it = connections_.find(id);
    return it == connections_.end() || it->second->dead ? nullptr : it->second.get();
  }
  void deliver_done();
  void tick();

  AgentState& st_;
  Committer committer_;
  int listen_fd_;
  int signal_fd_;
  Fd epoll_;
  std::uint64_t next_id_ = kFirstConnection;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::vector<std::uint64_t> dead_;
  std::vector<PendingAnswer> staged_;  // handled this turn, events not yet submitted

  static constexpr std::uint64_t kListener = 1, kSignals = 2, kCommitted = 3, kFirstConnection = 16;
};

void Server::run() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_ || !committer_.start()) shut_down(st_);
  watch(listen_fd_, kListener, EPOLLIN);
  watch(signal_fd_, kSignals, EPOLLIN);
  watch(committer_.ready_fd(), kCommitted, EPOLLIN);
  std::array<epoll_event, 64> events;
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 250);
    if (n < 0 && errno != EINTR) shut_down(st_);
    for (int i = 0; i < n; ++i) {
      std::uint64_t tag = events[i].data.u64;
      if (tag == kSignals) {
        st_.stop_reason = "signal";
        shut_down(st_);
      } else if (tag == kListener) {
        accept_all();
      } else if (tag == kCommitted) {
        deliver_done();
      } else if (Connection* c = find(tag)) {
        if (events[i].events & EPOLLOUT) flush(*c);
        if (!c->dead && (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
          on_readable(*c);
        }
      }
    }
    // What this turn read goes to the committer together: one group.
    if (!staged_.empty()) committer_.submit(staged_);
    for (std::uint64_t id : dead_) connections_.erase(id);  // closes and wipes
    dead_.clear();
    tick();
  }
}

void Server::accept_all() {
  for (;;) {
    Fd fd(::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;  // EAGAIN, or an error the next poll retries
    if (st_.stop || connections_.size() >= kMaxConnections) continue;  // closed at once
    auto peer = peer_of(fd.get());
    if (!peer) continue;
    auto c = std::make_unique<Connection>();
    c->id = next_id_++;
    c->peer = *peer;
    c->fd = std::move(fd);
    c->in = SecretBytes(kInitialBuffer);
    Connection& conn = *c;
    connections_.emplace(conn.id, std::move(c));
    watch(conn.fd.get(), conn.id, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    if (conn.peer.uid != ::geteuid()) {
      // Another user reached the socket (the directory should have stopped
      // them): recorded, refused, closed.
      PendingAnswer refused;
      refused.conn = conn.id;
      refused.pid = conn.peer.pid;
      refused.event.event = "peer.refused";
      refused.event.outcome = "denied";
      refused.event.reason = fmt::format("connection from uid {} refused", conn.peer.uid);
      refused.response =
          error_message(Error{Code::denied, "connection from another user refused", ""});
      conn.waiting = conn.closing = true;
      staged_.push_back(std::move(refused));
    }
  }
}

// Edge-triggered: reads until the socket is drained (a short read says so)
// or the buffer is full while a request is in flight.
void Server::on_readable(Connection& c) {
  for (;;) {
    if (c.closing || c.dead) return;
    if (c.in_len == c.in.size()) {
      if (c.waiting) return;  // resumed once its answer is out
      if (c.in.size() >= kMaxBuffer) {
        c.closing = true;
        answer(c, error_message(Error{Code::protocol, "request too large", ""}));
        return;
      }
      SecretBytes bigger(std::min(c.in.size() * 4, kMaxBuffer));
      std::memcpy(bigger.data(), c.in.data(), c.in_len);
      c.in = std::move(bigger);  // the old buffer is wiped
    }
    std::size_t room = c.in.size() - c.in_len;
    ssize_t got = ::read(c.fd.get(), c.in.data() + c.in_len, room);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) break;
    if (got <= 0) {
      // Closed (or failed): a request in flight still has its event written.
      c.closing = true;
      if (!c.waiting) drop(c);
      return;
    }
    c.in_len += static_cast<std::size_t>(got);
    if (static_cast<std::size_t>(got) < room) break;
  }
  pump(c);
}

// Handles the whole requests the buffer holds, one at a time.
void Server::pump(Connection& c) {
  while (!c.waiting && !c.closing && !c.dead) {
    std::size_t used = 0;
    auto taken = take_message({c.in.data(), c.in_len}, used);
    if (!taken) {
      c.closing = true;
      answer(c, error_message(taken.error()));
      return;
    }
    if (!*taken) return;
    std::memmove(c.in.data(), c.in.data() + used, c.in_len - used);
    sodium_memzero(c.in.data() + c.in_len - used, used);
    c.in_len -= used;
    dispatch(c, std::move(**taken));
  }
}

void Server::dispatch(Connection& c, Message request) {
  auto op = json_string(request.body, "op");
  const Handler* handler = op ? find_handler(*op) : nullptr;
  if (!handler) {
    answer(c, error_message(
                  Error{Code::protocol,
                        op ? fmt::format("unknown request '{}'", *op) : "request has no op", ""}));
    return;
  }
  PendingAnswer pending;
  pending.conn = c.id;
  pending.pid = c.peer.pid;
  pending.actor = c.actor;
  pending.event.event = handler->event ? handler->event : *op;
  bool recorded = handler->event != nullptr;
  {
    std::lock_guard<std::mutex> lock(st_.mutex);
    const Restriction* restriction = restriction_for(st_, c.peer);
    Status allowed = restriction ? check_restriction(*restriction, *op, request) : Status{};
    Status outcome;
    if (!allowed) {
      // A refusal is recorded whatever the op.
      recorded = true;
      pending.event.secrets = request_secret_names(request.body);
      outcome = allowed;
    } else if ((handler->needs_key || recorded) && (!st_.vault || st_.stop)) {
      outcome = fail(Code::locked, "vault is locked", "run 'ward unlock'");
      recorded = false;
    } else {
      if (handler->activity == Activity::counts) st_.last_activity_mono_ms = monotonic_ms();
      auto result = handler->fn(st_, c.peer, request, pending.event);
      if (result) {
        pending.response = std::move(*result);
      } else {
        outcome = tl::unexpected(result.error());
      }
    }
    if (!outcome) {
      pending.response = error_message(outcome.error());
      audit::set_failure(pending.event, outcome.error());
    }
  }
  if (!recorded) {
    answer(c, std::move(pending.response));
    return;
  }
  pending.lock = *op == "lock" && st_.stop;
  c.waiting = true;
  staged_.push_back(std::move(pending));
}

void Server::deliver_done() {
  for (PendingAnswer& done : committer_.take_done()) {
    Connection* c = find(done.conn);
    if (done.lock) {
      // Locked on request: the key is wiped before the answer goes out.
      {
        std::lock_guard<std::mutex> lock(st_.mutex);
        lock_agent(st_, "lock");
      }
      if (c) answer(*c, std::move(done.response));
      shut_down(st_);
    }
    if (!c) continue;  // gone; the answer is wiped
    if (!c->actor) c->actor = std::move(done.actor);
    c->waiting = false;
    answer(*c, std::move(done.response));
    pump(*c);
    if (!c->closing && !c->waiting && !c->dead) on_readable(*c);
  }
}

void Server::answer(Connection& c, Message response) {
  auto frame = encode_message(response);
  if (!frame && frame.error().code == Code::invalid_input) {
    frame = encode_message(error_message(frame.error()));
  }
  if (!frame) {
    drop(c);
    return;
  }
  c.out = std::move(*frame);
  c.out_sent = 0;
  c.out_payload = std::move(response.payload);  // moved, not copied: it may hold values
  flush(c);
}

// Sends what it can of the answer; the rest goes when the socket drains
// (EPOLLOUT). A connection marked closing is closed once it is all out.
void Server::flush(Connection& c) {
  if (c.dead) return;
  for (;;) {
    std::size_t payload_size = c.out_payload ? c.out_payload->size() : 0;
    std::size_t total = c.out.size() + payload_size;
    if (c.out_sent == total) break;
    iovec parts[2];
    int count = 0;
    if (c.out_sent < c.out.size()) {
      parts[count++] = {c.out.data() + c.out_sent, c.out.size() - c.out_sent};
    }
    if (payload_size) {
      std::size_t from = c.out_sent > c.out.size() ? c.out_sent - c.out.size() : 0;
      parts[count++] = {c.out_payload->data() + from, payload_size - from};
    }
    ssize_t sent = ::writev(c.fd.get(), parts, count);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && errno == EAGAIN) return;
    if (sent < 0) {
      drop(c);
      break;
    }
    c.out_sent += static_cast<std::size_t>(sent);
  }
  c.out.clear();
  c.out_payload.reset();  // wiped
  c.out_sent = 0;
  if (c.closing && !c.waiting) drop(c);
}

void Server::tick() {
  std::int64_t now = monotonic_ms();
  bool expired = false;
  {
    std::lock_guard<std::mutex> lock(st_.mutex);
    if (now >= st_.expires_mono_ms) st_.stop_reason = "ttl", expired = true;
    if (now - st_.last_activity_mono_ms >= st_.config.idle_s * 1000) {
      st_.stop_reason = "idle", expired = true;
    }
  }
  if (expired || (st_.stop && !st_.vault)) shut_down(st_);
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

  static AgentState st;  // outlives the committer thread until _exit
  st.config = config;
  st.vault.emplace(std::move(*vault));
  st.audit = std::move(*trail);
  st.session_key = SecretBytes::random(kKeySize);
  st.session_id = to_hex(random_bytes(8));
  st.started_unix_s = now_unix_s();
  st.last_activity_mono_ms = monotonic_ms();
  st.expires_mono_ms = st.last_activity_mono_ms + config.ttl_s * 1000;

  st.listen_fd = listener->get();
  // The loop accepts until the backlog is empty.
  ::fcntl(st.listen_fd, F_SETFL, ::fcntl(st.listen_fd, F_GETFL) | O_NONBLOCK);
  if (ready_fd >= 0) {
    (void)write_all(ready_fd, "ok\n", 3);
    ::close(ready_fd);
  }
  static Server server(st, listener->get(), sigfd.get());
  server.run();
}

}  // namespace ward
