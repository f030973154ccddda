#include "run/child_env.hpp"

#include <cstring>

namespace ward {

namespace {

std::string_view name_of(const SecretBytes& entry) {
  std::string_view text(reinterpret_cast<const char*>(entry.data()), entry.size());
  return text.substr(0, text.find('='));
}

SecretBytes make_entry(std::string_view name, const void* value, std::size_t size) {
  SecretBytes entry;
  entry.append(name.data(), name.size());
  entry.append("=", 1);
  entry.append(value, size);
  entry.append("\0", 1);
  entry.truncate(entry.size() - 1);  // the NUL stays in the buffer, outside size()
  return entry;
}

}  // namespace

ChildEnv ChildEnv::from_environ(char** envp) {
  ChildEnv env;
  for (char** p = envp; p && *p; ++p) {
    std::string_view entry(*p);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.entries_.push_back(
        make_entry(entry.substr(0, eq), entry.data() + eq + 1, entry.size() - eq - 1));
  }
  return env;
}

void ChildEnv::set(std::string_view name, const SecretBytes& value) {
  remove(name);
  entries_.push_back(make_entry(name, value.data(), value.size()));
}

void ChildEnv::set(std::string_view name, std::string_view value) {
  remove(name);
  entries_.push_back(make_entry(name, value.data(), value.size()));
}

void ChildEnv::remove(std::string_view name) {
  std::erase_if(entries_, [&](const SecretBytes& e) { return name_of(e) == name; });
}

bool ChildEnv::has(std::string_view name) const {
  for (const auto& e : entries_) {
    if (name_of(e) == name) return true;
  }
  return false;
}

std::string_view ChildEnv::get(std::string_view name) const {
  for (const auto& e : entries_) {
    if (name_of(e) == name) {
      std::string_view text(reinterpret_cast<const char*>(e.data()), e.size());
      return text.substr(name.size() + 1);
    }
  }
  return {};
}

std::vector<std::string> ChildEnv::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.emplace_back(name_of(e));
  return out;
}

std::vector<char*> ChildEnv::envp() {
  std::vector<char*> out;
  out.reserve(entries_.size() + 1);
  for (auto& e : entries_) out.push_back(reinterpret_cast<char*>(e.data()));
  out.push_back(nullptr);
  return out;
}

}  // namespace ward
