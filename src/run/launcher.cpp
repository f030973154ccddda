#include "run/launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "mask/masker.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

namespace ward {

namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH};

std::vector<char*> argv_of(const LaunchSpec& spec) {
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

sigset_t forwarded_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwarded) sigaddset(&set, s);
  return set;
}

int exit_status_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Masks and writes what a stream produced; the masker keeps partial matches.
class Relay {
 public:
  Relay(std::shared_ptr<const MaskSet> masks, int out_fd)
      : masks_(std::move(masks)), out_(out_fd) {}
  Status feed(const std::uint8_t* data, std::size_t size) {
    // The masker (its locked buffers, its scratch) is made on the stream's
    // first bytes: many commands never write to stderr.
    if (!masker_) masker_.emplace(masks_);
    buffer_.clear();
    masker_->write({data, size}, buffer_);
    return flush();
  }
  Status finish() {
    if (!masker_) return {};
    buffer_.clear();
    masker_->finish(buffer_);
    return flush();
  }

 private:
  Status flush() {
    if (buffer_.empty()) return {};
    auto written = write_all(out_, buffer_.data(), buffer_.size());
    // A closed reader (`ward run ... | head`) is not ward's failure.
    if (!written && errno == EPIPE) return {};
    return written;
  }
  std::shared_ptr<const MaskSet> masks_;
  std::optional<StreamMasker> masker_;
  int out_;
  std::string buffer_;
};

void forward(pid_t child, const signalfd_siginfo& info) {
  // The terminal already signals the whole foreground group (SI_KERNEL).
  if (info.ssi_code == SI_KERNEL && info.ssi_signo != SIGWINCH) return;
  if (info.ssi_signo != SIGWINCH) ::kill(child, static_cast<int>(info.ssi_signo));
}

Result<int> wait_child(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return errno_error(Code::io, "waitpid failed");
  }
  return exit_status_of(status);
}

// The masker, built while the child starts; on failure the child is killed.
Result<std::shared_ptr<const MaskSet>> masks_for(const LaunchSpec& spec, pid_t child) {
  auto set = spec.build_masks();
  if (!set) {
    ::kill(child, SIGKILL);
    (void)wait_child(child);
  }
  return set;
}

Result<int> run_with_pipes(const LaunchSpec& spec, ChildEnv& env, const Fd& sigfd) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return errno_error(Code::io, "cannot create pipes");
  }
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  auto argv = argv_of(spec);
  auto envp = env.envp();
  pid_t child = 0;
  int rc = posix_spawn(&child, spec.exe_path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    return errno_error(Code::io, fmt::format("cannot start {}", spec.argv[0]));
  }
  out_w.reset();
  err_w.reset();
  auto masks = TRY(masks_for(spec, child));
  Relay out(masks, STDOUT_FILENO), err(masks, STDERR_FILENO);
  std::vector<std::uint8_t> buf(64 * 1024);
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[3] = {{out_open ? out_r.get() : -1, POLLIN, 0},
                     {err_open ? err_r.get() : -1, POLLIN, 0},
                     {sigfd.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return errno_error(Code::io, "poll failed");
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(sigfd.get(), &info, sizeof info) == sizeof info) forward(child, info);
    }
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      Relay& relay = i == 0 ? out : err;
      if (n <= 0) {
        TRY(relay.finish());
        (i == 0 ? out_open : err_open) = false;
      } else {
        TRY(relay.feed(buf.data(), static_cast<std::size_t>(n)));
      }
    }
  }
  return wait_child(child);
}

// Puts the terminal on fd into raw mode and restores it on scope exit.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (::isatty(fd_) && tcgetattr(fd_, &saved_) == 0) {
      termios raw = saved_;
      cfmakeraw(&raw);
      active_ = tcsetattr(fd_, TCSANOW, &raw) == 0;
    }
  }
  ~RawTerminal() {
    if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  const termios* saved() const { return active_ ? &saved_ : nullptr; }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

Result<int> run_with_pty(const LaunchSpec& spec, ChildEnv& env, const Fd& sigfd) {
  winsize ws{};
  bool have_size = ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0;
  termios term{};
  bool have_term = ::isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &term) == 0;
  int master_fd = -1, slave_fd = -1;
  if (::openpty(&master_fd, &slave_fd, nullptr, have_term ? &term : nullptr,
                have_size ? &ws : nullptr) != 0) {
    return errno_error(Code::io, "cannot open a pseudo-terminal");
  }
  Fd master(master_fd), slave(slave_fd);
  ::fcntl(master.get(), F_SETFD, FD_CLOEXEC);
  auto argv = argv_of(spec);
  auto envp = env.envp();
  pid_t child = ::fork();
  if (child < 0) return errno_error(Code::io, "fork failed");
  if (child == 0) {
    // Only async-signal-safe calls from here to execve.
    ::setsid();
    ::ioctl(slave.get(), TIOCSCTTY, 0);
    ::dup2(slave.get(), STDIN_FILENO);
    ::dup2(slave.get(), STDOUT_FILENO);
    ::dup2(slave.get(), STDERR_FILENO);
    if (slave.get() > STDERR_FILENO) ::close(slave.get());
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(spec.exe_path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  slave.reset();
  auto masks = TRY(masks_for(spec, child));
  RawTerminal raw(STDIN_FILENO);
  Relay out(masks, STDOUT_FILENO);
  std::vector<std::uint8_t> buf(64 * 1024);
  bool stdin_open = true;
  for (;;) {
    pollfd fds[3] = {{master.get(), POLLIN, 0},
                     {stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
                     {sigfd.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return errno_error(Code::io, "poll failed");
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(sigfd.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGWINCH && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
          ::ioctl(master.get(), TIOCSWINSZ, &ws);
        }
        forward(child, info);
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
      if (n > 0) {
        (void)write_all(master.get(), buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        stdin_open = false;
        unsigned char eof = raw.saved() ? raw.saved()->c_cc[VEOF] : 4;
        (void)write_all(master.get(), &eof, 1);  // pass end-of-input on as ^D
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(master.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EIO: the child side is closed
      TRY(out.feed(buf.data(), static_cast<std::size_t>(n)));
    }
  }
  TRY(out.finish());
  return wait_child(child);
}

}  // namespace

Result<int> launch(const LaunchSpec& spec, ChildEnv& env) {
  if (spec.argv.empty()) return fail(Code::usage, "no command given");
  if (spec.mode == OutputMode::direct) {
    auto argv = argv_of(spec);
    auto envp = env.envp();
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(spec.exe_path.c_str(), argv.data(), envp.data());
    return errno_error(Code::io, fmt::format("cannot run {}", spec.argv[0]));
  }
  sigset_t set = forwarded_set();
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &set, &old);
  Fd sigfd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!sigfd) return errno_error(Code::io, "cannot create signalfd");
  auto result = spec.mode == OutputMode::pty ? run_with_pty(spec, env, sigfd)
                                             : run_with_pipes(spec, env, sigfd);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return result;
}

}  // namespace ward
