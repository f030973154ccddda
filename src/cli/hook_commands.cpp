// ward hook install pre-commit: a git hook running `ward scan git --staged`.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "scan/walk.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace ward::cli {

namespace {

constexpr std::string_view kHookMarker = "# ward pre-commit hook";

// core.hooksPath from a repository's config file ("" when unset): the
// [core] section's hooksPath key (git's keys are case-insensitive).
std::string core_hooks_path(std::string_view config) {
  bool in_core = false;
  for (std::string_view line : split(config, '\n')) {
    line = trim(line);
    if (line.starts_with('[')) {
      in_core = to_lower(std::string(line)).starts_with("[core]");
      continue;
    }
    if (!in_core) continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    if (to_lower(std::string(trim(line.substr(0, eq)))) == "hookspath") {
      return std::string(trim(line.substr(eq + 1)));
    }
  }
  return {};
}

// The hooks directory of the repository holding dir: .git/hooks, or for a
// linked work tree (.git is a file naming the git dir) its common dir's.
Result<std::string> hooks_dir(std::string dir) {
  char resolved[PATH_MAX];
  if (!::realpath(dir.c_str(), resolved)) return errno_error(Code::not_found, dir);
  for (dir = resolved;; dir = dirname_of(dir)) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::optional<std::string> common = fd ? scan::common_git_dir(fd.get()) : std::nullopt;
    if (common) {
      std::string git_dir = common->starts_with('/') ? *common : dir + "/" + *common;
      // Husky and similar tools point git elsewhere; writing there would
      // edit files the repository tracks, so the user decides.
      if (auto config = read_file(git_dir + "/config")) {
        if (std::string path = core_hooks_path(*config); !path.empty()) {
          return fail(Code::already_exists,
                      fmt::format("core.hooksPath is set to '{}': git does not run .git/hooks",
                                  printable(path)),
                      "add 'ward scan git --staged' to the pre-commit hook there");
        }
      }
      return git_dir + "/hooks";
    }
    if (dir == "/" || dir.empty()) break;
  }
  return fail(Code::not_found, "not inside a git repository",
              "run it in the repository's work tree");
}

Status cmd_hook_install(const std::string& hook, bool force) {
  if (hook != "pre-commit") {
    return fail(Code::usage, fmt::format("unknown hook '{}'", hook),
                "ward hook install pre-commit");
  }
  std::string dir = TRY(hooks_dir("."));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return errno_error(Code::io, dir);
  std::string path = dir + "/pre-commit";
  if (auto existing = read_file(path)) {
    if (existing->find(kHookMarker) == std::string::npos && !force) {
      return fail(Code::already_exists, fmt::format("{} exists and is not ward's", path),
                  "add 'ward scan git --staged' to it, or replace it with --force");
    }
  }
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string ward = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : "ward";
  std::string script = fmt::format(
      "#!/bin/sh\n"
      "{}: refuses a commit whose staged changes hold a secret.\n"
      "# Installed by 'ward hook install pre-commit'. Skip once: git commit --no-verify.\n"
      "# Leave a finding out: a 'ward:allow' comment on its line, or its fingerprint\n"
      "# in .wardignore.\n"
      "ward='{}'\n"
      "[ -x \"$ward\" ] || ward=ward\n"
      "exec \"$ward\" scan git --staged .\n",
      kHookMarker, ward);
  auto file = TRY(AtomicFile::create(path, 0755));
  TRY(file.write(script));
  TRY(file.commit());
  fmt::print("installed {}\n", path);
  return {};
}

}  // namespace

void register_hook_commands(CLI::App& app, Context& ctx) {
  auto* hook = app.add_subcommand("hook", "Install git hooks");
  hook->require_subcommand(1);
  auto* install =
      hook->add_subcommand("install", "Install a hook: pre-commit scans staged changes");
  auto name = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  install->add_option("hook", *name, "The hook (pre-commit)")->required();
  install->add_flag("--force", *force, "Replace a hook that is not ward's");
  install->callback([&ctx, name, force] {
    ctx.action = [name, force] { return cmd_hook_install(*name, *force); };
  });
}

}  // namespace ward::cli
