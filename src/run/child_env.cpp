#include "run/child_env.hpp"

#include <sodium.h>

#include <algorithm>

namespace ward {

ChildEnv ChildEnv::from_environ(char** envp) {
  ChildEnv env;
  std::size_t total = 0;
  for (char** p = envp; p && *p; ++p) total += std::string_view(*p).size() + 1;
  // Room for the granted variables too, so setting them does not move the
  // arena (each move is another locked allocation).
  env.arena_.reserve(total + 4096);
  for (char** p = envp; p && *p; ++p) {
    std::string_view entry(*p);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.add(entry.substr(0, eq), entry.data() + eq + 1, entry.size() - eq - 1);
  }
  return env;
}

std::string_view ChildEnv::name_of(const Entry& e) const {
  return {reinterpret_cast<const char*>(arena_.data()) + e.offset, e.name_len};
}

void ChildEnv::add(std::string_view name, const void* value, std::size_t size) {
  Entry e{arena_.size(), name.size(), name.size() + 1 + size};
  arena_.append(name.data(), name.size());
  arena_.append("=", 1);
  arena_.append(value, size);
  arena_.append("\0", 1);
  entries_.push_back(e);
}

void ChildEnv::set(std::string_view name, const SecretBytes& value) {
  remove(name);
  add(name, value.data(), value.size());
}

void ChildEnv::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value.data(), value.size());
}

void ChildEnv::remove(std::string_view name) {
  std::erase_if(entries_, [&](const Entry& e) {
    if (name_of(e) != name) return false;
    // The bytes stay in the arena until it is freed; wipe them now.
    sodium_memzero(arena_.data() + e.offset, e.length);
    return true;
  });
}

bool ChildEnv::has(std::string_view name) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return name_of(e) == name; });
}

std::string_view ChildEnv::get(std::string_view name) const {
  for (const auto& e : entries_) {
    if (name_of(e) == name) {
      return {reinterpret_cast<const char*>(arena_.data()) + e.offset + e.name_len + 1,
              e.length - e.name_len - 1};
    }
  }
  return {};
}

std::vector<std::string> ChildEnv::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.emplace_back(name_of(e));
  return out;
}

std::vector<char*> ChildEnv::envp() {
  std::vector<char*> out;
  out.reserve(entries_.size() + 1);
  for (const auto& e : entries_) out.push_back(reinterpret_cast<char*>(arena_.data() + e.offset));
  out.push_back(nullptr);
  return out;
}

}  // namespace ward
