// The environment a child starts with. Every entry is one "NAME=VALUE"
// string kept in SecretBytes (NUL-terminated), since granted values sit
// beside ordinary variables and the array is handed straight to execve.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.hpp"

namespace ward {

class ChildEnv {
 public:
  // From a NULL-terminated environ-style array.
  static ChildEnv from_environ(char** envp);

  void set(std::string_view name, const SecretBytes& value);
  void set(std::string_view name, std::string_view value);
  void remove(std::string_view name);
  bool has(std::string_view name) const;
  // Value of name; empty view when unset. The view lives as long as the entry.
  std::string_view get(std::string_view name) const;
  std::vector<std::string> names() const;
  // NULL-terminated array of pointers into the entries; valid until the next change.
  std::vector<char*> envp();

 private:
  std::vector<SecretBytes> entries_;
};

}  // namespace ward
