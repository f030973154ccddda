#include "scan/git_loader.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include <fmt/format.h>

namespace ward::scan {

namespace {

constexpr const char* kSoname = "libgit2.so.1.5";
constexpr const char* kInstallHint = "install libgit2 (apt install libgit2-1.5)";

GitApi g_api;
bool g_loaded = false;
Error g_load_error;

template <class Fn>
bool bind(void* lib, const char* soname, const char* name, Fn& out, std::string& why) {
  out = reinterpret_cast<Fn>(::dlsym(lib, name));
  if (!out) why = fmt::format("{} has no {}", soname, name);
  return out != nullptr;
}

void load_once() {
  auto api = load_git_library(kSoname);
  if (!api) {
    g_load_error = api.error();
    return;
  }
  if (api->libgit2_init() < 0) {
    g_load_error = Error{Code::unavailable, "libgit2 failed to initialise", kInstallHint};
    return;
  }
  // ward only reads, and `git log` does not re-hash what it reads either:
  // verifying every object's id costs a SHA-1 of every blob a scan diffs.
  api->libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
  g_api = *api;
  g_loaded = true;
}

}  // namespace

Result<GitApi> load_git_library(const char* soname) {
  // Never closed once loaded: libgit2 keeps global state for the life of
  // the process.
  void* lib = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* why = ::dlerror();
    return fail(Code::unavailable,
                fmt::format("cannot load {}: {}", soname, why ? why : "unknown error"),
                kInstallHint);
  }
  GitApi api;
  std::string why;
  bool ok = true;
#define WARD_GIT_BIND(name) ok = ok && bind(lib, soname, "git_" #name, api.name, why);
  WARD_GIT_FUNCTIONS(WARD_GIT_BIND)
#undef WARD_GIT_BIND
  if (!ok) {
    ::dlclose(lib);
    return fail(Code::unavailable, why, kInstallHint);
  }
  return api;
}

tl::unexpected<Error> git_failure(const GitApi& api, int rc, std::string_view what) {
  const git_error* e = api.error_last();
  std::string why = e && e->message ? std::string(e->message) : fmt::format("libgit2 error {}", rc);
  return tl::unexpected<Error>(Error{Code::io, fmt::format("{}: {}", what, why), {}});
}

std::string oid_hex(const GitApi& api, const git_oid& id) {
  char buf[GIT_OID_HEXSZ];
  api.oid_fmt(buf, &id);
  return std::string(buf, GIT_OID_HEXSZ);
}

Result<const GitApi*> git_api() {
  static std::once_flag once;
  std::call_once(once, load_once);
  if (!g_loaded) return tl::unexpected<Error>(g_load_error);
  return &g_api;
}

}  // namespace ward::scan
