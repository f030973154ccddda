#include "crypto/secret_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "util/fd.hpp"
#include "util/file.hpp"

namespace ward {

Result<SecretBytes> read_secret_fd(int fd, std::size_t max_size) {
  // Read straight into one locked buffer, doubled when full: every locked
  // allocation is an mmap, guard pages and an mlock, and /proc environ
  // reads (one per audited agent request) are mostly a few KiB.
  SecretBytes buf(std::min<std::size_t>(max_size + 1, 16384));
  std::size_t used = 0;
  for (;;) {
    if (used == buf.size()) {
      if (buf.size() > max_size) break;
      SecretBytes bigger(std::min(buf.size() * 2, max_size + 1));
      std::memcpy(bigger.data(), buf.data(), used);
      buf = std::move(bigger);
    }
    ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(Code::io, "cannot read secret input");
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > max_size) {
    return fail(Code::invalid_input, fmt::format("secret input larger than {} bytes", max_size));
  }
  buf.truncate(used);
  return buf;
}

Result<SecretBytes> read_secret_file(const std::string& path, std::size_t max_size) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return fail(Code::not_found, fmt::format("{}: no such file", path));
    return errno_error(Code::io, fmt::format("cannot open {}", path));
  }
  return read_secret_fd(fd.get(), max_size);
}

}  // namespace ward
