#include "scan/processes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <string_view>

#include "core/process_info.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

namespace ward::scan {

namespace {

constexpr unsigned kKernelThread = 0x00200000;  // PF_KTHREAD in the flags of /proc/PID/stat

// A read buffer reused for every /proc file. It may hold environment
// values, so memory it lets go of (on growth and at the end) is wiped first.
class WipedBuffer {
 public:
  WipedBuffer() : data_(std::make_unique<char[]>(64 * 1024)), capacity_(64 * 1024) {}
  WipedBuffer(const WipedBuffer&) = delete;
  WipedBuffer& operator=(const WipedBuffer&) = delete;
  ~WipedBuffer() { ::explicit_bzero(data_.get(), capacity_); }

  char* data() { return data_.get(); }
  std::size_t capacity() const { return capacity_; }
  // Doubles the capacity, keeping the first used bytes.
  void grow(std::size_t used) {
    auto bigger = std::make_unique<char[]>(capacity_ * 2);
    std::memcpy(bigger.get(), data_.get(), used);
    ::explicit_bzero(data_.get(), capacity_);
    data_ = std::move(bigger);
    capacity_ *= 2;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_;
};

// Reads the file name under the directory dir into buf, setting size.
// /proc files of a process fill a read as far as they can, so a short read
// is the end. 0 on success, else the errno.
int read_proc_file(int dir, const char* name, WipedBuffer& buf, std::size_t& size) {
  size = 0;
  Fd fd(::openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return errno;
  for (;;) {
    if (size == buf.capacity()) buf.grow(size);
    std::size_t want = buf.capacity() - size;
    ssize_t n = ::pread(fd.get(), buf.data() + size, want, static_cast<off_t>(size));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    size += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < want) return 0;
  }
}

bool gone(int err) {
  return err == ENOENT || err == ESRCH;
}

// The flags field (the 9th) of a /proc/PID/stat line; false when malformed.
bool stat_flags(std::string_view line, unsigned& flags) {
  std::size_t close = line.rfind(')');
  if (close == std::string_view::npos) return false;
  std::string_view rest = line.substr(close + 1);
  // state ppid pgrp session tty_nr tpgid flags
  for (int field = 0; field < 7; ++field) {
    std::size_t begin = rest.find_first_not_of(' ');
    if (begin == std::string_view::npos) return false;
    rest.remove_prefix(begin);
    std::size_t end = std::min(rest.find_first_of(" \n"), rest.size());
    if (field == 6) {
      auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + end, flags);
      return ec == std::errc() && ptr == rest.data() + end;
    }
    rest.remove_prefix(end);
  }
  return false;
}

// Whether pid (an open /proc/PID directory) has exited or become a zombie.
bool exited(int dir, WipedBuffer& buf) {
  std::size_t size = 0;
  if (read_proc_file(dir, "stat", buf, size) != 0) return true;
  auto stat = parse_proc_stat(std::string_view(buf.data(), size));
  return !stat || stat->state == 'Z' || stat->state == 'X';
}

enum class Outcome { read, skipped, unreadable, vanished };

// Reads one process whose /proc directory is open as dir into out.
Outcome read_one(int dir, int pid, WipedBuffer& buf, ProcessEnv& out) {
  std::size_t size = 0;
  int err = read_proc_file(dir, "stat", buf, size);
  if (err != 0) return gone(err) ? Outcome::vanished : Outcome::unreadable;
  std::string_view line(buf.data(), size);
  auto stat = parse_proc_stat(line);
  unsigned flags = 0;
  if (!stat || !stat_flags(line, flags)) return Outcome::unreadable;
  if ((flags & kKernelThread) != 0 || stat->state == 'Z' || stat->state == 'X') {
    return Outcome::skipped;
  }
  out.pid = pid;
  out.comm = std::move(stat->comm);

  err = read_proc_file(dir, "environ", buf, size);
  if (err != 0) return gone(err) ? Outcome::vanished : Outcome::unreadable;
  out.environ.assign(buf.data(), size);
  ::explicit_bzero(buf.data(), size);

  err = read_proc_file(dir, "cmdline", buf, size);
  if (err != 0) return gone(err) ? Outcome::vanished : Outcome::unreadable;
  std::string_view cmdline(buf.data(), size);
  while (!cmdline.empty()) {
    std::size_t end = std::min(cmdline.find('\0'), cmdline.size());
    out.argv.emplace_back(cmdline.substr(0, end));
    cmdline.remove_prefix(std::min(end + 1, cmdline.size()));
  }
  ::explicit_bzero(buf.data(), size);
  // A process that exits mid-read leaves empty files rather than errors;
  // only then is an empty command line worth a second look.
  if (out.argv.empty() && exited(dir, buf)) return Outcome::vanished;
  return Outcome::read;
}

}  // namespace

Result<std::vector<ProcessEnv>> read_processes(bool all_users, ProcessStats& stats) {
  stats = {};
  if (all_users && ::geteuid() != 0) {
    return fail(Code::denied, "reading the processes of every user needs root",
                "run it with sudo, or leave out --all-users");
  }
  Fd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc) return errno_error(Code::io, "cannot open /proc");
  // fdopendir takes the descriptor; keep our own for the *at calls.
  DIR* listing = ::fdopendir(::dup(proc.get()));
  if (listing == nullptr) return errno_error(Code::io, "cannot list /proc");
  std::unique_ptr<DIR, int (*)(DIR*)> closer(listing, ::closedir);

  const uid_t wanted = ::getuid();
  const int self = ::getpid();
  WipedBuffer buf;
  std::vector<ProcessEnv> out;
  for (;;) {
    errno = 0;
    dirent* entry = ::readdir(listing);
    if (entry == nullptr) {
      if (errno != 0) return errno_error(Code::io, "cannot list /proc");
      break;
    }
    int pid = 0;
    const char* name = entry->d_name;
    auto [ptr, ec] = std::from_chars(name, name + std::strlen(name), pid);
    if (ec != std::errc() || *ptr != '\0' || pid <= 0 || pid == self) continue;
    // The directory's owner says whose process it is without opening it.
    struct stat st {};
    if (::fstatat(proc.get(), name, &st, 0) != 0) continue;
    if (!all_users && st.st_uid != wanted) continue;
    Fd dir(::openat(proc.get(), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
      ++(gone(errno) ? stats.vanished : stats.unreadable);
      continue;
    }
    ProcessEnv process;
    process.uid = st.st_uid;
    switch (read_one(dir.get(), pid, buf, process)) {
      case Outcome::read:
        out.push_back(std::move(process));
        break;
      case Outcome::skipped:
        break;
      case Outcome::unreadable:
        ++stats.unreadable;
        break;
      case Outcome::vanished:
        ++stats.vanished;
        break;
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ProcessEnv& a, const ProcessEnv& b) { return a.pid < b.pid; });
  stats.processes = out.size();
  return out;
}

}  // namespace ward::scan
