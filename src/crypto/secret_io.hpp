// Reading secret material from files and descriptors straight into
// SecretBytes, so it never passes through a std::string.
#pragma once

#include <cstddef>
#include <string>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward {

constexpr std::size_t kMaxSecretFileSize = 16 * 1024 * 1024;

// Reads fd to EOF (at most max_size bytes, else invalid_input).
Result<SecretBytes> read_secret_fd(int fd, std::size_t max_size = kMaxSecretFileSize);
// Reads a whole file; not_found when missing.
Result<SecretBytes> read_secret_file(const std::string& path,
                                     std::size_t max_size = kMaxSecretFileSize);

}  // namespace ward
