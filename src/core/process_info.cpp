#include "core/process_info.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "crypto/secret_io.hpp"
#include "util/fd.hpp"

namespace ward {

namespace {

// "/proc/PID/NAME" in a fixed buffer, so hot paths build no std::string.
struct ProcPath {
  char text[64];
  ProcPath(pid_t pid, const char* name) {
    std::snprintf(text, sizeof text, "/proc/%d/%s", static_cast<int>(pid), name);
  }
  const char* c_str() const { return text; }
};

// Reads the first cap bytes of a /proc file into buf with ONE read: /proc
// files of one record (stat, status) return all they have, up to cap, in a
// single call, and a second read only costs a syscall to learn of the EOF.
// -1 with errno on failure.
ssize_t read_small(const char* path, char* buf, std::size_t cap) {
  Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return -1;
  ssize_t n;
  do {
    n = ::read(fd.get(), buf, cap);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int saved = errno;
    fd.reset();
    errno = saved;
  }
  return n;
}

// The target of a symbolic link, "" when it cannot be read.
std::string read_link(const char* path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path, buf, sizeof buf);
  if (n <= 0) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

// The error for a /proc read of pid that failed with err.
tl::unexpected<Error> proc_error(pid_t pid, int err, const char* what) {
  if (err == ENOENT || err == ESRCH) {
    return fail(Code::not_found, fmt::format("process {} not found", pid));
  }
  if (err == EACCES || err == EPERM) {
    return fail(Code::denied, fmt::format("cannot read the {} of process {}", what, pid),
                "the process belongs to another user or is not dumpable");
  }
  return fail(Code::io,
              fmt::format("cannot read the {} of process {}: {}", what, pid, std::strerror(err)));
}

// Parses one decimal integer field; false when text is not entirely a number.
template <class T>
bool parse_int(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The real uid from the "Uid:" line of a /proc/PID/status text.
bool parse_status_uid(std::string_view status, uid_t& uid) {
  std::size_t at = status.find("\nUid:");
  if (at == std::string_view::npos) return false;
  std::string_view rest = status.substr(at + 5);
  std::size_t begin = rest.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return false;
  rest = rest.substr(begin);
  std::size_t end = rest.find_first_of(" \t\n");
  return parse_int(rest.substr(0, end), uid);
}

// The controlling terminal of pid: the name stdin points to when that is the
// same device, else a name built from the device number.
std::string resolve_tty(pid_t pid, int tty_nr) {
  if (tty_nr == 0) return {};
  auto major_nr = static_cast<unsigned>((tty_nr >> 8) & 0xfff);
  auto minor_nr = static_cast<unsigned>((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
  ProcPath fd0(pid, "fd/0");
  struct stat st {};
  if (::stat(fd0.c_str(), &st) == 0 && S_ISCHR(st.st_mode) &&
      st.st_rdev == makedev(major_nr, minor_nr)) {
    std::string name = read_link(fd0.c_str());
    if (name.starts_with("/dev/")) return name;
  }
  return tty_name_for_device(tty_nr);
}

}  // namespace

Result<ProcStat> parse_proc_stat(std::string_view line) {
  auto corrupt = [] { return fail(Code::corrupt, "malformed /proc stat line"); };
  std::size_t open = line.find('(');
  std::size_t close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return corrupt();
  }
  ProcStat out;
  std::string_view pid_text = line.substr(0, open);
  while (!pid_text.empty() && pid_text.back() == ' ') pid_text.remove_suffix(1);
  if (!parse_int(pid_text, out.pid)) return corrupt();
  out.comm.assign(line.substr(open + 1, close - open - 1));

  // After the comm: state ppid pgrp session tty_nr ...
  std::string_view rest = line.substr(close + 1);
  std::string_view fields[5];
  for (std::string_view& field : fields) {
    if (rest.empty() || rest.front() != ' ') return corrupt();
    rest.remove_prefix(1);
    std::size_t end = rest.find_first_of(" \n");
    if (end == std::string_view::npos) end = rest.size();
    field = rest.substr(0, end);
    rest.remove_prefix(end);
  }
  if (fields[0].size() != 1) return corrupt();
  out.state = fields[0].front();
  if (!parse_int(fields[1], out.ppid) || !parse_int(fields[2], out.pgrp) ||
      !parse_int(fields[3], out.sid) || !parse_int(fields[4], out.tty_nr)) {
    return corrupt();
  }
  return out;
}

std::string tty_name_for_device(int tty_nr) {
  if (tty_nr == 0) return {};
  auto major_nr = static_cast<unsigned>((tty_nr >> 8) & 0xfff);
  auto minor_nr = static_cast<unsigned>((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
  if (major_nr >= 136 && major_nr <= 143) {
    return fmt::format("/dev/pts/{}", (major_nr - 136) * 256 + minor_nr);
  }
  if (major_nr == 4 && minor_nr < 64) return fmt::format("/dev/tty{}", minor_nr);
  if (major_nr == 4 && minor_nr < 256) return fmt::format("/dev/ttyS{}", minor_nr - 64);
  if (major_nr == 5 && minor_nr == 0) return "/dev/tty";
  if (major_nr == 5 && minor_nr == 1) return "/dev/console";
  return fmt::format("/dev/char/{}:{}", major_nr, minor_nr);
}

namespace proc {

bool read_stat(pid_t pid, ProcStat& out) {
  // The fields ward needs come first; 512 bytes hold them even for a 64-byte comm.
  char buf[512];
  ssize_t n = read_small(ProcPath(pid, "stat").c_str(), buf, sizeof buf);
  if (n <= 0) return false;
  auto parsed = parse_proc_stat(std::string_view(buf, static_cast<std::size_t>(n)));
  if (!parsed) return false;
  out = std::move(*parsed);
  return true;
}

std::string read_argv0(pid_t pid) {
  Fd fd(::open(ProcPath(pid, "cmdline").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  // Small chunks, so that little beyond argv[0] is ever copied in; what is
  // (the start of the next arguments) is wiped before returning.
  constexpr std::size_t kChunk = 128;
  char buf[PATH_MAX];
  std::size_t total = 0;
  std::size_t nul = std::string_view::npos;
  bool eof = false;
  while (total < sizeof buf) {
    std::size_t want = std::min(kChunk, sizeof buf - total);
    ssize_t n = ::read(fd.get(), buf + total, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    const void* hit = std::memchr(buf + total, '\0', static_cast<std::size_t>(n));
    total += static_cast<std::size_t>(n);
    if (hit != nullptr) {
      nul = static_cast<std::size_t>(static_cast<const char*>(hit) - buf);
      eof = static_cast<std::size_t>(n) < want;
      break;
    }
  }
  std::size_t len = nul != std::string_view::npos ? nul : (eof ? total : 0);
  std::string_view element(buf, len);
  // A single element with nothing after it may be a title rewritten with
  // setproctitle ("name arg arg"): keep only its first word.
  bool lone = eof && (nul == std::string_view::npos || nul + 1 == total);
  if (lone) element = element.substr(0, element.find(' '));
  std::size_t slash = element.rfind('/');
  if (slash != std::string_view::npos) element.remove_prefix(slash + 1);
  std::string argv0(element);
  ::explicit_bzero(buf, total);
  return argv0;
}

std::string read_exe(pid_t pid) {
  return read_link(ProcPath(pid, "exe").c_str());
}

}  // namespace proc

Result<ProcessInfo> read_process(pid_t pid) {
  if (pid <= 0) return fail(Code::invalid_input, fmt::format("invalid process id {}", pid));
  char buf[1024];
  ssize_t n = read_small(ProcPath(pid, "stat").c_str(), buf, 512);
  if (n < 0) return proc_error(pid, errno, "stat");
  ProcStat stat = TRY(parse_proc_stat(std::string_view(buf, static_cast<std::size_t>(n))));

  ProcessInfo info;
  info.pid = pid;
  info.ppid = stat.ppid;
  info.sid = stat.sid;
  // /proc/PID/comm holds the same task name as the stat line; one read less.
  info.comm = std::move(stat.comm);

  n = read_small(ProcPath(pid, "status").c_str(), buf, sizeof buf);
  if (n < 0) return proc_error(pid, errno, "status");
  if (!parse_status_uid(std::string_view(buf, static_cast<std::size_t>(n)), info.uid)) {
    return fail(Code::corrupt, fmt::format("no uid in the status of process {}", pid));
  }

  info.exe = proc::read_exe(pid);
  info.cwd = read_link(ProcPath(pid, "cwd").c_str());
  info.tty = resolve_tty(pid, stat.tty_nr);
  info.argv0 = proc::read_argv0(pid);
  return info;
}

std::vector<ProcessInfo> process_ancestry(pid_t pid, std::size_t max_depth) {
  std::vector<ProcessInfo> chain;
  ProcStat self;
  if (!proc::read_stat(pid, self)) return chain;
  pid_t next = self.ppid;
  while (chain.size() < max_depth && next > 0) {
    auto info = read_process(next);
    if (!info) break;
    pid_t parent = info->ppid;
    chain.push_back(std::move(*info));
    if (next == 1 || parent == next) break;
    next = parent;
  }
  return chain;
}

Result<std::vector<std::string>> read_process_env_names(pid_t pid) {
  if (pid <= 0) return fail(Code::invalid_input, fmt::format("invalid process id {}", pid));
  Fd fd(::open(ProcPath(pid, "environ").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return proc_error(pid, errno, "environment");
  SecretBytes environ_bytes = TRY(read_secret_fd(fd.get()));
  std::string_view text = environ_bytes.view();
  std::vector<std::string> names;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\0', pos);
    if (end == std::string_view::npos) end = text.size();
    std::size_t eq = text.substr(pos, end - pos).find('=');
    if (eq != std::string_view::npos && eq > 0) names.emplace_back(text.substr(pos, eq));
    pos = end + 1;
  }
  return names;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace ward
