#include "crypto/secret_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "util/fd.hpp"
#include "util/file.hpp"

namespace ward {

Result<SecretBytes> read_secret_fd(int fd, std::size_t max_size) {
  SecretBytes out;
  SecretBytes chunk(4096);
  for (;;) {
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(Code::io, "cannot read secret input");
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_size) {
      return fail(Code::invalid_input, fmt::format("secret input larger than {} bytes", max_size));
    }
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return out;
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
