// A masked fingerprint of a value: what kind it looks like, its length and at
// most its first 4 and last 2 characters — never enough to use. Short values
// show proportionally less; binary values show nothing.
#pragma once

#include <cstddef>
#include <string>

#include "crypto/secret_bytes.hpp"

namespace ward {

struct Fingerprint {
  std::string kind;  // "anthropic-key", "github-token", "pem-private-key", "secret", "binary"
  std::size_t length = 0;
  std::string preview;  // "sk-a…Qx", or "" when too short to show anything
};

Fingerprint fingerprint_of(const SecretBytes& value);

}  // namespace ward
