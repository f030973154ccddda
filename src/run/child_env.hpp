// The environment a child starts with. Every entry is one NUL-terminated
// "NAME=VALUE" string inside a single locked arena (SecretBytes), since
// granted values sit beside ordinary variables and the array is handed
// straight to execve. One arena rather than one locked allocation per
// variable: each sodium_malloc costs an mmap, guard pages and an mlock, and
// `ward run` start-up is a figure users feel.
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
  // Value of name; empty view when unset. Valid until the next change.
  std::string_view get(std::string_view name) const;
  std::vector<std::string> names() const;
  // NULL-terminated array of pointers into the arena; valid until the next change.
  std::vector<char*> envp();

 private:
  struct Entry {
    std::size_t offset;    // of the name in arena_
    std::size_t name_len;  // bytes before '='
    std::size_t length;    // of "NAME=VALUE", without the NUL
  };

  std::string_view name_of(const Entry& e) const;
  void add(std::string_view name, const void* value, std::size_t size);

  SecretBytes arena_;
  std::vector<Entry> entries_;
};

}  // namespace ward
