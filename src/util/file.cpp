#include "util/file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace ward {

tl::unexpected<Error> errno_error(Code code, const std::string& what) {
  return fail(code, fmt::format("{}: {}", what, std::strerror(errno)));
}

Result<std::string> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return fail(Code::not_found, fmt::format("{}: no such file", path));
    return errno_error(Code::io, fmt::format("cannot open {}", path));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(Code::io, fmt::format("cannot read {}", path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Status write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(Code::io, "write failed");
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

Status read_exact(int fd, void* data, std::size_t size) {
  auto* p = static_cast<unsigned char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(Code::io, "read failed");
    }
    if (n == 0) return fail(Code::protocol, "unexpected end of stream");
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

static Status check_stat(const std::string& path, const struct stat& st) {
  if (st.st_uid != ::geteuid()) {
    return fail(Code::denied, fmt::format("{} is owned by another user (uid {})", path, st.st_uid),
                "ward only uses files owned by you");
  }
  if ((st.st_mode & 077) != 0) {
    return fail(
        Code::denied,
        fmt::format("{} is accessible by group or others (mode {:04o})", path, st.st_mode & 07777),
        fmt::format("run 'chmod {} {}'", S_ISDIR(st.st_mode) ? "700" : "600", path));
  }
  return {};
}

Status check_private(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return fail(Code::not_found, fmt::format("{}: no such file", path));
    return errno_error(Code::io, fmt::format("cannot stat {}", path));
  }
  if (S_ISLNK(st.st_mode)) {
    return fail(Code::denied, fmt::format("{} is a symbolic link", path));
  }
  return check_stat(path, st);
}

Status ensure_private_dir(const std::string& dir) {
  if (dir.empty()) return fail(Code::invalid_input, "empty directory path");
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail(Code::io, fmt::format("{} is not a directory", dir));
    return check_stat(dir, st);
  }
  if (errno != ENOENT) return errno_error(Code::io, fmt::format("cannot stat {}", dir));
  std::string parent = dirname_of(dir);
  if (parent != dir && !path_exists(parent)) {
    // Parents we create are private too; existing parents are left alone.
    TRY(ensure_private_dir(parent));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return errno_error(Code::io, fmt::format("cannot create {}", dir));
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    return errno_error(Code::io, fmt::format("cannot chmod {}", dir));
  }
  return {};
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string dirname_of(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string basename_of(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

Result<AtomicFile> AtomicFile::create(const std::string& path, mode_t mode) {
  AtomicFile file;
  file.path_ = path;
  unsigned char rnd[6];
  Fd urandom(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (!urandom) return errno_error(Code::io, "cannot open /dev/urandom");
  TRY(read_exact(urandom.get(), rnd, sizeof rnd));
  file.tmp_path_ = fmt::format("{}.tmp.{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", path, rnd[0], rnd[1],
                               rnd[2], rnd[3], rnd[4], rnd[5]);
  file.fd_.reset(
      ::open(file.tmp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!file.fd_) return errno_error(Code::io, fmt::format("cannot create {}", file.tmp_path_));
  if (::fchmod(file.fd_.get(), mode) != 0) {
    return errno_error(Code::io, fmt::format("cannot chmod {}", file.tmp_path_));
  }
  return file;
}

AtomicFile::~AtomicFile() {
  if (!committed_ && !tmp_path_.empty() && fd_) ::unlink(tmp_path_.c_str());
}

Status AtomicFile::write(const void* data, std::size_t size) {
  return write_all(fd_.get(), data, size);
}

Status AtomicFile::commit() {
  if (::fsync(fd_.get()) != 0) return errno_error(Code::io, "fsync failed");
  fd_.reset();
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp_path_.c_str());
    return errno_error(Code::io, fmt::format("cannot rename to {}", path_));
  }
  committed_ = true;
  Fd dir(::open(dirname_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) ::fsync(dir.get());
  return {};
}

Result<MappedFile> MappedFile::open(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return errno_error(errno == ENOENT ? Code::not_found : Code::io, "cannot open " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(Code::io, "cannot stat " + path);
  MappedFile m;
  if (st.st_size == 0) return m;
  void* p =
      ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED) return errno_error(Code::io, "cannot map " + path);
  ::madvise(p, static_cast<std::size_t>(st.st_size), MADV_SEQUENTIAL);
  m.data_ = static_cast<const char*>(p);
  m.size_ = static_cast<std::size_t>(st.st_size);
  return m;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<char*>(data_), size_);
}

namespace {

// Someone other than us could change what this path holds.
Status check_owned(const struct stat& st, const std::string& path) {
  if (st.st_uid != ::geteuid()) {
    return fail(Code::denied, fmt::format("{} is not owned by you", path),
                "settings that decide security must be your own file");
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return fail(Code::denied, fmt::format("{} is writable by others", path),
                fmt::format("run 'chmod go-w {}'", path));
  }
  return {};
}

}  // namespace

Result<std::optional<std::string>> read_owned_file(const std::string& path, std::size_t max_size) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    if (errno == ELOOP) {
      return fail(Code::denied, fmt::format("{} is a symbolic link", path),
                  "keep it in a regular file of your own");
    }
    return errno_error(Code::io, fmt::format("cannot open {}", path));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(Code::io, "cannot stat " + path);
  if (!S_ISREG(st.st_mode)) {
    return fail(Code::denied, fmt::format("{} is not a regular file", path));
  }
  TRY(check_owned(st, path));
  std::string dir = dirname_of(path);
  struct stat dir_st {};
  if (::stat(dir.c_str(), &dir_st) != 0) return errno_error(Code::io, "cannot stat " + dir);
  TRY(check_owned(dir_st, dir));
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(Code::io, "cannot read " + path);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_size) {
      return fail(Code::invalid_input,
                  fmt::format("{} is larger than {} KiB", path, max_size / 1024));
    }
  }
  return std::optional<std::string>(std::move(text));
}

}  // namespace ward
