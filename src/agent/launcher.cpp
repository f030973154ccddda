#include "agent/launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "crypto/primitives.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

extern char** environ;

namespace ward {

namespace {

Result<std::string> self_exe() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return errno_error(Code::io, "cannot find the ward executable");
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

Result<pid_t> launch_agent(const SecretBytes& vault_key, std::int64_t ttl_s, std::int64_t idle_s) {
  std::string exe = TRY(self_exe());
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
    return errno_error(Code::io, "cannot create socketpair");
  }
  Fd ours(sp[0]);
  Fd theirs(sp[1]);
  // Keep the child's end off fd 3 so dup2 to 3 always clears close-on-exec.
  if (theirs.get() == 3) theirs.reset(::fcntl(3, F_DUPFD_CLOEXEC, 10));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);

  std::vector<std::string> args = {exe,        "agent",
                                   "--key-fd", "3",
                                   "--ttl",    std::to_string(ttl_s) + "s",
                                   "--idle",   std::to_string(idle_s) + "s"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    return errno_error(Code::io, "cannot start the agent");
  }
  theirs.reset();
  TRY(write_all(ours.get(), vault_key.data(), vault_key.size()));

  // Wait for "ok\n" or "error: ...\n".
  std::string reply;
  std::int64_t deadline = monotonic_ms() + 10000;
  while (reply.find('\n') == std::string::npos) {
    pollfd pfd{ours.get(), POLLIN, 0};
    int left = static_cast<int>(deadline - monotonic_ms());
    if (left <= 0 || ::poll(&pfd, 1, left) <= 0) {
      ::kill(pid, SIGTERM);
      return fail(Code::timeout, "the agent did not start in time");
    }
    char buf[512];
    ssize_t n = ::read(ours.get(), buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  std::string line(trim(reply.substr(0, reply.find('\n'))));
  if (line == "ok") return pid;
  ::waitpid(pid, nullptr, WNOHANG);
  if (line.starts_with("error: ")) {
    std::string message = line.substr(7);
    Code code = message.find("already running") != std::string::npos ? Code::already_exists
                                                                     : Code::unavailable;
    return fail(code, message);
  }
  return fail(Code::unavailable, "the agent exited before it was ready");
}

Result<SecretBytes> receive_agent_key(int fd) {
  SecretBytes key(kKeySize);
  TRY(read_exact(fd, key.data(), key.size()));
  return key;
}

}  // namespace ward
