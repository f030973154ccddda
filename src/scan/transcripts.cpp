#include "scan/transcripts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "util/fd.hpp"
#include "util/file.hpp"

namespace ward::scan {

namespace {

// One known location (see the table in transcripts.hpp). With depth 0,
// root is the file itself; otherwise root is a directory and the files are
// those at most depth levels below it whose name matches one of the
// space-separated patterns ("*.jsonl" for an ending, else an exact name),
// below a directory named within when that is set.
struct Location {
  const char* agent;
  const char* root;
  int depth;
  const char* patterns;
  const char* within;
  TranscriptKind kind;
};

constexpr TranscriptKind kHistory = TranscriptKind::history;
constexpr TranscriptKind kConfig = TranscriptKind::config;
constexpr TranscriptKind kDatabase = TranscriptKind::database;

constexpr Location kLocations[] = {
    {"claude-code", ".claude/projects", 4, "*.jsonl *.txt", nullptr, kHistory},
    {"claude-code", ".claude/history.jsonl", 0, nullptr, nullptr, kHistory},
    {"claude-code", ".claude/shell-snapshots", 1, "*.sh", nullptr, kHistory},
    {"claude-code", ".claude.json", 0, nullptr, nullptr, kConfig},
    {"codex", ".codex/sessions", 4, "*.jsonl", nullptr, kHistory},
    {"codex", ".codex/history.jsonl", 0, nullptr, nullptr, kHistory},
    {"codex", ".codex/log/codex-tui.log", 0, nullptr, nullptr, kHistory},
    {"cursor", ".config/Cursor/User/globalStorage/state.vscdb", 0, nullptr, nullptr, kDatabase},
    {"cursor", ".config/Cursor/User/workspaceStorage", 2, "state.vscdb", nullptr, kDatabase},
    {"cursor", ".cursor/projects", 6, "*.jsonl *.txt", "agent-transcripts", kHistory},
    {"cursor", ".cursor/chats", 3, "store.db", nullptr, kDatabase},
    {"cursor", ".config/cursor/chats", 3, "store.db", nullptr, kDatabase},
    {"cursor", ".config/cursor/prompt_history.json", 0, nullptr, nullptr, kHistory},
    {"aider", ".aider.chat.history.md", 0, nullptr, nullptr, kHistory},
    {"aider", ".aider.input.history", 0, nullptr, nullptr, kHistory},
    {"aider", ".aider.llm.history", 0, nullptr, nullptr, kHistory},
    {"gemini-cli", ".gemini/tmp", 3, "*.json *.jsonl shell_history", nullptr, kHistory},
    {"copilot-cli", ".copilot/session-state", 2, "*.jsonl", nullptr, kHistory},
    {"copilot-cli", ".copilot/history-session-state", 1, "*.json", nullptr, kHistory},
    {"opencode", ".local/share/opencode/opencode.db", 0, nullptr, nullptr, kDatabase},
    {"opencode", ".local/share/opencode/storage", 3, "*.json", nullptr, kHistory},
    {"opencode", ".local/state/opencode/prompt-history.jsonl", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".bash_history", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".zsh_history", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".histfile", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".sh_history", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".local/share/fish/fish_history", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".python_history", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".node_repl_history", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".psql_history", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".mysql_history", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".sqlite_history", 0, nullptr, nullptr, kHistory},
    {"shell-history", ".rediscli_history", 0, nullptr, nullptr, kHistory},
};

bool matches(std::string_view name, std::string_view patterns) {
  while (!patterns.empty()) {
    std::size_t space = std::min(patterns.find(' '), patterns.size());
    std::string_view p = patterns.substr(0, space);
    patterns.remove_prefix(std::min(space + 1, patterns.size()));
    if (p.starts_with('*') ? name.ends_with(p.substr(1)) : name == p) return true;
  }
  return false;
}

bool missing(int err) {
  return err == ENOENT || err == ENOTDIR || err == ELOOP;
}

tl::unexpected<Error> open_error(int err, const std::string& path) {
  if (err == EACCES || err == EPERM) {
    return fail(Code::denied, fmt::format("cannot read {}", path),
                "it belongs to another user or its permissions keep you out");
  }
  return fail(Code::io, fmt::format("cannot read {}: {}", path, std::strerror(err)));
}

// The directory name under at, never through a symbolic link. An invalid
// Fd when it is missing, not a directory or a link.
Result<Fd> open_dir(int at, const char* name, const std::string& shown) {
  Fd fd(::openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd && !missing(errno)) return open_error(errno, shown);
  return fd;
}

// Whether name under dir is a regular file (not a link to one).
bool regular_file(int dir, const char* name) {
  struct stat st {};
  return ::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

class Finder {
 public:
  explicit Finder(std::vector<TranscriptFile>& out) : out_(out) {}

  // Adds dir/name (shown as path) when it is a regular file, and for a
  // database its write-ahead log beside it.
  void add_file(int dir, const std::string& name, const std::string& path, const Location& at) {
    if (!regular_file(dir, name.c_str())) return;
    out_.push_back(TranscriptFile{path, at.agent, at.kind});
    if (at.kind == TranscriptKind::database && regular_file(dir, (name + "-wal").c_str())) {
      out_.push_back(TranscriptFile{path + "-wal", at.agent, at.kind});
    }
  }

  // The files of dir (at level levels below the location's root) and,
  // while the depth allows, of its subdirectories.
  Status walk(int dir, const std::string& path, int level, bool within_seen, const Location& at) {
    DIR* listing = ::fdopendir(::dup(dir));
    if (listing == nullptr) return open_error(errno, path);
    std::unique_ptr<DIR, int (*)(DIR*)> closer(listing, ::closedir);
    for (;;) {
      errno = 0;
      dirent* entry = ::readdir(listing);
      if (entry == nullptr) {
        if (errno != 0) return open_error(errno, path);
        return {};
      }
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      unsigned char type = entry->d_type;
      if (type == DT_UNKNOWN) {
        struct stat st {};
        if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
      }
      std::string child = path + "/" + name;
      if (type == DT_REG && (within_seen || at.within == nullptr) && matches(name, at.patterns)) {
        add_file(dir, name, child, at);
      } else if (type == DT_DIR && level + 2 <= at.depth) {
        Fd sub = TRY(open_dir(dir, name.c_str(), child));
        if (!sub) continue;
        bool seen = within_seen || (at.within != nullptr && name == at.within);
        TRY(walk(sub.get(), child, level + 1, seen, at));
      }
    }
  }

  // Everything of one location under the open home directory.
  Status find(int home_fd, const std::string& home, const Location& at) {
    std::string_view rel = at.root;
    std::string path = home;
    Fd owned;
    int dir = home_fd;
    // Every directory on the way is opened without following links.
    for (;;) {
      std::size_t slash = rel.find('/');
      std::string part(rel.substr(0, slash));
      path += "/" + part;
      if (slash == std::string_view::npos) {
        if (at.depth == 0) {
          add_file(dir, part, path, at);
          return {};
        }
        Fd root = TRY(open_dir(dir, part.c_str(), path));
        if (!root) return {};
        return walk(root.get(), path, 0, false, at);
      }
      Fd next = TRY(open_dir(dir, part.c_str(), path));
      if (!next) return {};
      owned = std::move(next);
      dir = owned.get();
      rel.remove_prefix(slash + 1);
    }
  }

 private:
  std::vector<TranscriptFile>& out_;
};

}  // namespace

Result<std::vector<TranscriptFile>> transcript_files(const std::string& home) {
  if (home.empty()) return fail(Code::invalid_input, "no home directory given");
  std::string base = home;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  Fd home_fd(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!home_fd) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return fail(Code::not_found, fmt::format("{} is not a directory", base),
                  "set HOME to your home directory");
    }
    return open_error(errno, base);
  }
  if (base == "/") base.clear();  // so that paths read "/.bash_history"

  std::vector<TranscriptFile> out;
  Finder finder(out);
  for (const Location& at : kLocations) TRY(finder.find(home_fd.get(), base, at));
  std::sort(out.begin(), out.end(),
            [](const TranscriptFile& a, const TranscriptFile& b) { return a.path < b.path; });
  out.erase(std::unique(
                out.begin(), out.end(),
                [](const TranscriptFile& a, const TranscriptFile& b) { return a.path == b.path; }),
            out.end());
  return out;
}

}  // namespace ward::scan
