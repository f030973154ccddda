#include "scan/redact.hpp"

#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "util/fd.hpp"
#include "util/file.hpp"

namespace ward::scan {

namespace {

Status check_replacements(const std::string& path, std::size_t size,
                          std::span<const Replacement> replacements) {
  std::size_t end = 0;
  for (const Replacement& r : replacements) {
    if (r.offset < end) {
      return fail(Code::invalid_input,
                  fmt::format("replacements for {} overlap or are out of order", path));
    }
    if (r.length > size || r.offset > size - r.length) {
      return fail(Code::invalid_input,
                  fmt::format("a replacement reaches past the end of {}", path));
    }
    end = r.offset + r.length;
  }
  return {};
}

tl::unexpected<Error> changed(const std::string& path) {
  return fail(Code::corrupt, fmt::format("{} changed while scanning", path),
              "scan it again; an agent may still be writing to it");
}

// Whether the file open as fd holds exactly expected.
Result<bool> holds(int fd, std::string_view expected, const std::string& path) {
  char buf[65536];
  std::size_t at = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(at));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(Code::io, fmt::format("cannot read {}", path));
    }
    if (n == 0) return at == expected.size();
    auto got = static_cast<std::size_t>(n);
    if (got > expected.size() - at || std::memcmp(buf, expected.data() + at, got) != 0) {
      return false;
    }
    at += got;
  }
}

// Makes this thread create and open files as another user (setfsuid and
// setfsgid are per thread), so that root rewrites a user's transcript as
// that user: the new file is theirs and no permission of root's is used on
// a directory they control. Restores root's identity when destroyed.
class FileIdentity {
 public:
  static Result<FileIdentity> become(uid_t uid, gid_t gid) {
    FileIdentity id;
    id.old_gid_ = static_cast<gid_t>(::setfsgid(gid));
    id.old_uid_ = static_cast<uid_t>(::setfsuid(uid));
    id.active_ = true;
    // Each call returns the previous id; an invalid one changes nothing.
    if (static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) != gid ||
        static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != uid) {
      return fail(Code::denied, fmt::format("cannot act as uid {} to rewrite its file", uid),
                  "run without root, as the user who owns the file");
    }
    return id;
  }
  FileIdentity(FileIdentity&& other) noexcept
      : old_uid_(other.old_uid_), old_gid_(other.old_gid_), active_(other.active_) {
    other.active_ = false;
  }
  FileIdentity& operator=(FileIdentity&&) = delete;
  ~FileIdentity() {
    if (!active_) return;
    ::setfsuid(old_uid_);
    ::setfsgid(old_gid_);
  }

 private:
  FileIdentity() = default;
  uid_t old_uid_ = 0;
  gid_t old_gid_ = 0;
  bool active_ = false;
};

// Writes through a 64 KiB buffer: replacements make many small pieces.
class BufferedWriter {
 public:
  explicit BufferedWriter(AtomicFile& file) : file_(file) { buf_.reserve(kSize); }
  Status write(std::string_view piece) {
    if (buf_.size() + piece.size() > kSize) TRY(flush());
    if (piece.size() >= kSize) return file_.write(piece.data(), piece.size());
    buf_.append(piece);
    return {};
  }
  Status flush() {
    if (buf_.empty()) return {};
    TRY(file_.write(buf_.data(), buf_.size()));
    buf_.clear();
    return {};
  }

 private:
  static constexpr std::size_t kSize = 64 * 1024;
  AtomicFile& file_;
  std::string buf_;
};

bool same_version(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

Status redact_file(const std::string& path, std::string_view expected,
                   std::span<const Replacement> replacements) {
  TRY(check_replacements(path, expected.size(), replacements));
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ELOOP) {
      return fail(Code::denied, fmt::format("{} is a symbolic link", path),
                  "redact the file it points to, if it is yours");
    }
    if (errno == ENOENT) return fail(Code::not_found, fmt::format("{}: no such file", path));
    return errno_error(Code::io, fmt::format("cannot open {}", path));
  }
  struct stat before {};
  if (::fstat(fd.get(), &before) != 0) return errno_error(Code::io, "cannot stat " + path);
  if (!S_ISREG(before.st_mode)) {
    return fail(Code::invalid_input, fmt::format("{} is not a regular file", path));
  }
  if (static_cast<std::size_t>(before.st_size) != expected.size()) return changed(path);
  if (!TRY(holds(fd.get(), expected, path))) return changed(path);

  std::optional<FileIdentity> identity;
  if (::geteuid() == 0 && (before.st_uid != 0 || before.st_gid != ::getegid())) {
    identity.emplace(TRY(FileIdentity::become(before.st_uid, before.st_gid)));
  }
  AtomicFile out = TRY(AtomicFile::create(path, before.st_mode & 0777));
  BufferedWriter writer(out);
  std::size_t at = 0;
  for (const Replacement& r : replacements) {
    TRY(writer.write(expected.substr(at, r.offset - at)));
    TRY(writer.write(r.text));
    at = r.offset + r.length;
  }
  TRY(writer.write(expected.substr(at)));
  TRY(writer.flush());

  // Last look before publishing: the same inode, neither grown nor touched.
  struct stat now {};
  struct stat linked {};
  if (::fstat(fd.get(), &now) != 0 || ::lstat(path.c_str(), &linked) != 0 ||
      !same_version(before, now) || !same_version(before, linked)) {
    return changed(path);
  }
  return out.commit();
}

}  // namespace ward::scan
