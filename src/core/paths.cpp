#include "core/paths.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "crypto/primitives.hpp"

namespace ward {

namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::string();
}

}  // namespace

std::string home_dir() {
  std::string home = env_or_empty("HOME");
  if (!home.empty()) return home;
  if (const passwd* pw = getpwuid(geteuid())) return pw->pw_dir;
  return "/";
}

namespace {

std::string xdg(const char* var, const char* fallback) {
  std::string v = env_or_empty(var);
  return v.empty() || v[0] != '/' ? home_dir() + fallback : v;
}

}  // namespace

// An absolute form of path without trailing slashes, so that the agent (which
// runs in /) and every client agree on what a relative WARD_HOME names.
std::string absolute(std::string path) {
  if (!path.empty() && path[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) path = std::string(cwd) + "/" + path;
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string ward_home() {
  std::string v = env_or_empty("WARD_HOME");
  if (!v.empty()) return absolute(v);
  return xdg("XDG_DATA_HOME", "/.local/share") + "/ward";
}

std::string vault_path() {
  return ward_home() + "/vault.db";
}
std::string config_dir() {
  return xdg("XDG_CONFIG_HOME", "/.config") + "/ward";
}
std::string user_config_path() {
  return config_dir() + "/config.yaml";
}
std::string cache_dir() {
  return xdg("XDG_CACHE_HOME", "/.cache") + "/ward";
}

std::string state_dir() {
  return xdg("XDG_STATE_HOME", "/.local/state") + "/ward";
}

std::string runtime_dir() {
  std::string rt = env_or_empty("XDG_RUNTIME_DIR");
  struct stat st {};
  if (!rt.empty() && rt[0] == '/' && ::stat(rt.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
      st.st_uid == geteuid()) {
    return rt + "/ward";
  }
  return ward_home() + "/run";
}

std::string agent_socket_path() {
  std::string dir = runtime_dir();
  std::string explicit_home = env_or_empty("WARD_HOME");
  if (!explicit_home.empty()) explicit_home = ward_home();
  if (explicit_home.empty() || dir == ward_home() + "/run") return dir + "/agent.sock";
  auto digest = sha256(as_bytes(explicit_home));
  return dir + "/agent-" + to_hex(std::span(digest).first(6)) + ".sock";
}

}  // namespace ward
