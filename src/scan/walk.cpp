#include "scan/walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "scan/ignore.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

namespace ward::scan {

namespace {

// Larger ignore files are not read (git has no limit; no real one is near).
constexpr std::size_t kMaxIgnoreFile = 4 << 20;

// The text of a small regular file at path (relative to dirfd), or nullopt
// when it is missing, a symbolic link, not a regular file, too large or
// unreadable: an ignore file that cannot be read ignores nothing.
std::optional<std::string> read_small(int dirfd, const char* path) {
  Fd fd(::openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) > kMaxIgnoreFile) {
    return std::nullopt;
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t have = 0;
  while (have < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + have, text.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  text.resize(have);
  return text;
}

std::string_view trim_line(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::optional<std::string> common_git_dir(int dirfd) {
  struct stat st {};
  if (::fstatat(dirfd, ".git", &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  if (S_ISDIR(st.st_mode)) return std::string(".git");
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  auto dot_git = read_small(dirfd, ".git");
  if (!dot_git || !dot_git->starts_with("gitdir: ")) return std::nullopt;
  std::string gitdir(trim_line(std::string_view(*dot_git).substr(8)));
  Fd git(::openat(dirfd, gitdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!git) return std::nullopt;
  auto common = read_small(git.get(), "commondir");
  if (!common) return gitdir;
  std::string c(trim_line(*common));
  return c.starts_with('/') ? c : gitdir + "/" + c;
}

namespace {

// info/exclude of the repository whose ".git" is in the directory dirfd.
std::optional<std::string> repository_exclude(int dirfd) {
  auto common = common_git_dir(dirfd);
  if (!common) return std::nullopt;
  return read_small(dirfd, (*common + "/info/exclude").c_str());
}

struct FileId {
  dev_t dev;
  ino_t ino;
  bool operator==(const FileId&) const = default;
};

struct FileIdHash {
  std::size_t operator()(const FileId& id) const {
    return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(id.ino) * 0x9E3779B97F4A7C15ull ^
                                      static_cast<std::uint64_t>(id.dev));
  }
};

// One directory's entries: names stored back to back, each NUL-terminated
// (for openat), sorted by name. One Listing per depth, reused.
struct Listing {
  struct Entry {
    std::size_t offset;
    std::size_t length;
    unsigned char type;  // d_type
  };
  std::string names;
  std::vector<Entry> entries;

  std::string_view name(const Entry& e) const { return {names.data() + e.offset, e.length}; }
  const char* c_name(const Entry& e) const { return names.data() + e.offset; }
};

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

constexpr unsigned char kAbsent = 0xff;  // no ".git" in a directory

class Walker {
 public:
  Walker(const WalkOptions& options, WalkStats& stats, std::vector<WalkedFile>& out)
      : options_(options), stats_(stats), out_(out) {
    for (const auto& pattern : options.excludes) excludes_.add_pattern(pattern);
  }

  void add_root_file(const std::string& path, const struct stat& st) { list(path, st); }

  void walk_root(const std::string& root, Fd dir) {
    struct stat st {};
    if (::fstat(dir.get(), &st) != 0 || !first_visit(st)) return;
    prefix_ = root;
    if (!prefix_.ends_with('/')) prefix_ += '/';
    rel_.clear();
    walk_dir(std::move(dir), 0);
  }

 private:
  void walk_dir(Fd fd, std::size_t depth) {
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd.get()));
    if (!dir) {
      ++stats_.unreadable;
      return;
    }
    fd.release();
    int dfd = ::dirfd(dir.get());
    if (listings_.size() <= depth) listings_.emplace_back();
    Listing& list = listings_[depth];  // a deque: deeper levels do not move it
    unsigned char git_type = kAbsent;
    bool has_gitignore = read_listing(dir.get(), list, git_type);

    std::size_t layers = layers_.size();
    if (options_.gitignore) load_ignore_files(dfd, git_type, has_gitignore);
    for (const auto& entry : list.entries) {
      visit(dfd, list.name(entry), list.c_name(entry), entry.type, depth);
    }
    layers_.erase(layers_.begin() + static_cast<std::ptrdiff_t>(layers), layers_.end());
  }

  // Reads the entries of dir into list, sorted, without "." and ".." and
  // ".git" (whose type goes to git_type); whether there is a .gitignore.
  bool read_listing(DIR* dir, Listing& list, unsigned char& git_type) {
    list.names.clear();
    list.entries.clear();
    bool has_gitignore = false;
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(dir);
      if (!e) {
        if (errno != 0) ++stats_.unreadable;  // a partial listing is still walked
        break;
      }
      const char* name = e->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      std::size_t length = std::strlen(name);
      std::string_view view(name, length);
      if (view == ".git") {
        git_type = e->d_type;
        continue;
      }
      has_gitignore |= view == ".gitignore";
      list.entries.push_back({list.names.size(), length, e->d_type});
      list.names.append(name, length + 1);
    }
    std::sort(list.entries.begin(), list.entries.end(),
              [&](const auto& a, const auto& b) { return list.name(a) < list.name(b); });
    return has_gitignore;
  }

  void load_ignore_files(int dfd, unsigned char git_type, bool has_gitignore) {
    if (git_type != kAbsent) {
      if (auto text = repository_exclude(dfd)) push_layer(*text);
    }
    if (has_gitignore) {
      if (auto text = read_small(dfd, ".gitignore")) push_layer(*text);
    }
  }

  void push_layer(std::string_view text) {
    IgnoreFile file = IgnoreFile::parse(text, rel_);
    if (!file.empty()) layers_.push_back(std::move(file));
  }

  void visit(int dfd, std::string_view name, const char* c_name, unsigned char type,
             std::size_t depth) {
    struct stat st {};
    bool have_stat = false;
    if (type == DT_UNKNOWN) {
      if (!stat_entry(dfd, c_name, st)) return;
      have_stat = true;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
    }
    if (type != DT_DIR && type != DT_REG) return;  // links, sockets, FIFOs, devices

    std::size_t mark = rel_.size();
    if (!rel_.empty()) rel_ += '/';
    rel_ += name;
    if (ignored(type == DT_DIR)) {
      ++stats_.ignored;
    } else if (type == DT_DIR) {
      enter(dfd, c_name, depth);
    } else if (have_stat || stat_entry(dfd, c_name, st)) {
      if (S_ISREG(st.st_mode)) list(prefix_ + rel_, st);
    }
    rel_.resize(mark);
  }

  void enter(int dfd, const char* c_name, std::size_t depth) {
    Fd sub(::openat(dfd, c_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!sub || ::fstat(sub.get(), &st) != 0) {
      // Gone, or replaced by a link or a file since it was listed: not an error.
      if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR) ++stats_.unreadable;
      return;
    }
    if (first_visit(st)) walk_dir(std::move(sub), depth + 1);
  }

  bool stat_entry(int dfd, const char* c_name, struct stat& st) {
    if (::fstatat(dfd, c_name, &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
    if (errno != ENOENT) ++stats_.unreadable;
    return false;
  }

  // rel_ is left out by --exclude or an ignore file.
  bool ignored(bool is_dir) const {
    auto verdict = excludes_.match(rel_, is_dir);
    for (auto it = layers_.rbegin(); verdict == IgnoreFile::Verdict::none && it != layers_.rend();
         ++it) {
      verdict = it->match(rel_, is_dir);
    }
    return verdict == IgnoreFile::Verdict::ignored;
  }

  bool first_visit(const struct stat& st) { return seen_.insert({st.st_dev, st.st_ino}).second; }

  void list(const std::string& path, const struct stat& st) {
    if (!first_visit(st)) return;
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > options_.max_size) {
      ++stats_.too_large;
      return;
    }
    out_.push_back({path, size});
    ++stats_.files;
    stats_.bytes += size;
  }

  const WalkOptions& options_;
  WalkStats& stats_;
  std::vector<WalkedFile>& out_;
  IgnoreFile excludes_;
  std::vector<IgnoreFile> layers_;  // ignore files in effect, shallowest first
  std::deque<Listing> listings_;    // by depth
  std::unordered_set<FileId, FileIdHash> seen_;
  std::string prefix_;  // the root as typed, ending in '/'
  std::string rel_;     // the current path below the root
};

}  // namespace

Result<std::vector<WalkedFile>> walk(const std::vector<std::string>& roots,
                                     const WalkOptions& options, WalkStats& stats) {
  std::vector<struct stat> infos(roots.size());
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (::stat(roots[i].c_str(), &infos[i]) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return fail(Code::not_found, fmt::format("{}: no such file or directory", roots[i]));
      }
      return errno_error(Code::io, fmt::format("cannot read {}", roots[i]));
    }
    if (!S_ISREG(infos[i].st_mode) && !S_ISDIR(infos[i].st_mode)) {
      return fail(Code::invalid_input, fmt::format("{}: not a regular file or directory", roots[i]),
                  "give files or directories to scan");
    }
  }
  std::vector<WalkedFile> out;
  Walker walker(options, stats, out);
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (S_ISREG(infos[i].st_mode)) {
      walker.add_root_file(roots[i], infos[i]);
      continue;
    }
    Fd dir(::open(roots[i].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return errno_error(Code::io, fmt::format("cannot open {}", roots[i]));
    walker.walk_root(roots[i], std::move(dir));
  }
  return out;
}

bool looks_binary(std::string_view head) {
  return std::memchr(head.data(), 0, std::min<std::size_t>(head.size(), 8000)) != nullptr;
}

}  // namespace ward::scan
