// Files: reading, private directories, permission checks, and AtomicFile,
// which writes a temporary file next to the target and only publishes it
// (fsync + rename + fsync of the directory) on an explicit commit().
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/fd.hpp"
#include "util/result.hpp"

namespace ward {

// An Error of the given code whose message ends with strerror(errno).
tl::unexpected<Error> errno_error(Code code, const std::string& what);

// Reads a whole (non-secret) file. not_found when it does not exist.
Result<std::string> read_file(const std::string& path);

// Writes all bytes to fd, retrying on EINTR and short writes.
Status write_all(int fd, const void* data, std::size_t size);
// Reads exactly size bytes; protocol error on early EOF.
Status read_exact(int fd, void* data, std::size_t size);

// Creates dir (and missing parents) with mode 0700; refuses a dir that exists
// with group/world access or another owner (denied).
Status ensure_private_dir(const std::string& dir);

// Refuses (denied) a file or directory that is group/world accessible or not
// owned by the current user; not_found when it does not exist.
Status check_private(const std::string& path);

// A settings file whose contents decide something about security (the
// user's config.yaml): its text, or nullopt when it does not exist. denied
// when it is a symbolic link or not a regular file, or when it or its
// directory is not owned by the effective uid or is writable by group or
// others; invalid_input when it is larger than max_size. Never blocks on a
// FIFO.
Result<std::optional<std::string>> read_owned_file(const std::string& path, std::size_t max_size);

bool path_exists(const std::string& path);
std::string dirname_of(const std::string& path);
std::string basename_of(const std::string& path);

// A file written in full or not at all.
class AtomicFile {
 public:
  // Creates PATH.tmp.XXXXXX beside path with the given mode (O_EXCL|O_NOFOLLOW).
  static Result<AtomicFile> create(const std::string& path, mode_t mode);
  AtomicFile(AtomicFile&&) noexcept = default;
  AtomicFile& operator=(AtomicFile&&) noexcept = default;
  ~AtomicFile();  // removes the temporary file unless committed

  Status write(const void* data, std::size_t size);
  Status write(const std::string& text) { return write(text.data(), text.size()); }
  // fsyncs, renames over the target and fsyncs the directory.
  Status commit();

 private:
  AtomicFile() = default;
  std::string path_;
  std::string tmp_path_;
  Fd fd_;
  bool committed_ = false;
};

// A whole file mapped read-only (an empty file maps to an empty view).
class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
  std::string_view view() const { return {data_, size_}; }

 private:
  MappedFile() = default;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ward
