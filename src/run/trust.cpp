// The trust store. `ward trust DIR` walks DIR/.ward/ (refusing symlinks and
// special files, so what is pinned is what will be read), hashes every
// regular file and records {dir, files, trusted_at, mac} in trust.json. The
// MAC covers trust_message(dir, files), which is unambiguous because dir and
// relative paths may not contain a newline and each line ends with a
// fixed-length hash. check() recomputes the MAC, then rescans the directory:
// any difference from the pins (a modified, added or removed file) makes the
// whole directory untrusted until the user trusts it again.
#include "run/trust.hpp"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/paths.hpp"
#include "run/allowlist.hpp"
#include "util/file.hpp"
#include "util/time.hpp"

namespace ward {

namespace {

constexpr int kStoreVersion = 1;
constexpr std::string_view kWardDir = ".ward";

// The real path of dir. not_found when it does not exist.
Result<std::string> real_dir(const std::string& dir) {
  char* real = ::realpath(dir.c_str(), nullptr);
  if (!real) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return fail(Code::not_found, fmt::format("{}: no such directory", dir));
    }
    return errno_error(Code::io, fmt::format("cannot resolve {}", dir));
  }
  std::string out(real);
  ::free(real);
  return out;
}

// Whether text can be stored in the JSON store and framed in trust_message.
bool storable(const std::string& text) {
  if (text.find('\n') != std::string::npos) return false;
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

// Hashes every regular file under dir (relative names prefixed by rel).
Status scan_into(const std::string& dir, const std::string& rel,
                 std::map<std::string, std::string>& files) {
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) return errno_error(Code::io, fmt::format("cannot open {}", dir));
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(handle);
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    std::string relpath = rel.empty() ? name : rel + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      return errno_error(Code::io, fmt::format("cannot stat {}", path));
    }
    if (!storable(relpath)) {
      return fail(Code::invalid_input, fmt::format("{}: unsupported file name", dir),
                  "file names under .ward/ must be UTF-8 without newlines");
    }
    if (S_ISLNK(st.st_mode)) {
      return fail(Code::denied, fmt::format("{} is a symbolic link", path),
                  "replace the link under .ward/ by the file it points to");
    }
    if (S_ISDIR(st.st_mode)) {
      TRY(scan_into(path, relpath, files));
    } else if (S_ISREG(st.st_mode)) {
      files[relpath] = TRY(file_sha256(path));
    } else {
      return fail(Code::denied, fmt::format("{} is not a regular file", path));
    }
  }
  return {};
}

// The files under real/.ward with their hashes. not_found when there is no
// .ward directory; denied on a symlink (also .ward itself) or special file.
Result<std::map<std::string, std::string>> scan_ward_dir(const std::string& real) {
  std::string ward = fmt::format("{}/{}", real, kWardDir);
  struct stat st {};
  if (::lstat(ward.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return fail(Code::not_found, fmt::format("{} has no {} directory", real, kWardDir),
                  "project settings live in DIR/.ward/");
    }
    return errno_error(Code::io, fmt::format("cannot stat {}", ward));
  }
  if (S_ISLNK(st.st_mode)) return fail(Code::denied, fmt::format("{} is a symbolic link", ward));
  if (!S_ISDIR(st.st_mode)) {
    return fail(Code::not_found, fmt::format("{} is not a directory", ward));
  }
  std::map<std::string, std::string> files;
  TRY(scan_into(ward, "", files));
  return files;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// The first difference between pinned and current files, as a message; empty if none.
std::string first_difference(const std::string& ward,
                             const std::map<std::string, std::string>& pinned,
                             const std::map<std::string, std::string>& current) {
  for (const auto& [relpath, hash] : pinned) {
    auto it = current.find(relpath);
    if (it == current.end()) return fmt::format("{}/{} was removed", ward, relpath);
    if (it->second != hash) return fmt::format("{}/{} changed", ward, relpath);
  }
  for (const auto& [relpath, hash] : current) {
    if (!pinned.contains(relpath)) return fmt::format("{}/{} was added", ward, relpath);
  }
  return {};
}

Result<TrustEntry> entry_from_json(const nlohmann::json& j) {
  auto bad = [] { return fail(Code::corrupt, "trust store entry is malformed"); };
  if (!j.is_object()) return bad();
  TrustEntry entry;
  auto dir = j.find("dir");
  auto files = j.find("files");
  auto at = j.find("trusted_at");
  auto mac = j.find("mac");
  if (dir == j.end() || !dir->is_string() || files == j.end() || !files->is_object() ||
      at == j.end() || !at->is_number_integer() || mac == j.end() || !mac->is_string()) {
    return bad();
  }
  entry.dir = dir->get<std::string>();
  entry.trusted_at = at->get<std::int64_t>();
  entry.mac = mac->get<std::string>();
  for (const auto& [relpath, hash] : files->items()) {
    if (!hash.is_string()) return bad();
    entry.files[relpath] = hash.get<std::string>();
  }
  return entry;
}

}  // namespace

std::string default_trust_store_path() {
  return state_dir() + "/trust.json";
}

const char* verdict_name(TrustStore::Verdict verdict) {
  switch (verdict) {
    case TrustStore::Verdict::trusted:
      return "trusted";
    case TrustStore::Verdict::never_trusted:
      return "never_trusted";
    case TrustStore::Verdict::changed:
      return "changed";
    case TrustStore::Verdict::bad_mac:
      return "bad_mac";
  }
  return "unknown";
}

std::string trust_message(const std::string& dir, const std::map<std::string, std::string>& files) {
  std::string message = "ward:v1:trust\n" + dir + "\n";
  for (const auto& [relpath, hash] : files) message += relpath + " " + hash + "\n";
  return message;
}

Result<TrustStore> TrustStore::load(const std::string& path) {
  TrustStore store(path);
  if (auto priv = check_private(path); !priv) {
    if (priv.error().code == Code::not_found) return store;
    return tl::unexpected<Error>(std::move(priv).error());
  }
  std::string text = TRY(read_file(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(Code::corrupt, fmt::format("{} is not valid JSON", path),
                "remove it and run 'ward trust DIR' again for each project");
  }
  auto version = j.find("version");
  auto entries = j.find("entries");
  if (version == j.end() || *version != kStoreVersion || entries == j.end() ||
      !entries->is_array()) {
    return fail(Code::corrupt, fmt::format("{}: unsupported trust store format", path));
  }
  for (const auto& item : *entries) store.entries_.push_back(TRY(entry_from_json(item)));
  return store;
}

const TrustEntry* TrustStore::find(const std::string& dir) const {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const TrustEntry& e) { return e.dir == dir; });
  return it == entries_.end() ? nullptr : &*it;
}

Status TrustStore::trust(const std::string& dir, const MacFn& mac) {
  std::string real = TRY(real_dir(dir));
  if (!storable(real)) {
    return fail(Code::invalid_input, "the project path is not UTF-8 or contains a newline");
  }
  TrustEntry entry;
  entry.dir = real;
  entry.files = TRY(scan_ward_dir(real));
  entry.trusted_at = now_unix_s();
  entry.mac = TRY(mac(trust_message(entry.dir, entry.files)));
  std::erase_if(entries_, [&](const TrustEntry& e) { return e.dir == real; });
  auto pos = std::lower_bound(entries_.begin(), entries_.end(), real,
                              [](const TrustEntry& e, const std::string& d) { return e.dir < d; });
  entries_.insert(pos, std::move(entry));
  return {};
}

Status TrustStore::revoke(const std::string& dir) {
  std::string given = dir;
  while (given.size() > 1 && given.back() == '/') given.pop_back();
  auto real = real_dir(dir);
  std::size_t removed = std::erase_if(
      entries_, [&](const TrustEntry& e) { return e.dir == given || (real && e.dir == *real); });
  if (removed == 0) return fail(Code::not_found, fmt::format("{} is not trusted", dir));
  return {};
}

Status TrustStore::save() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& entry : entries_) {
    list.push_back({{"dir", entry.dir},
                    {"files", entry.files},
                    {"trusted_at", entry.trusted_at},
                    {"mac", entry.mac}});
  }
  nlohmann::json j = {{"version", kStoreVersion}, {"entries", std::move(list)}};
  std::string text;
  try {
    text = j.dump(2) + "\n";
  } catch (const nlohmann::json::exception&) {
    return fail(Code::invalid_input, "the trust store holds a name that is not UTF-8");
  }
  TRY(ensure_private_dir(dirname_of(path_)));
  AtomicFile file = TRY(AtomicFile::create(path_, 0600));
  TRY(file.write(text));
  TRY(file.commit());
  return {};
}

Result<TrustStore::Verdict> TrustStore::check(const std::string& project_dir, const MacFn& mac,
                                              std::string* why) const {
  std::string real = TRY(real_dir(project_dir));
  auto explain = [&](Verdict verdict, std::string message) {
    if (why) *why = std::move(message);
    return verdict;
  };
  const TrustEntry* entry = find(real);
  if (!entry) {
    return explain(Verdict::never_trusted,
                   fmt::format("{} was never trusted; run 'ward trust {}'", real, real));
  }
  std::string expected = TRY(mac(trust_message(entry->dir, entry->files)));
  if (!equal_constant_time(expected, entry->mac)) {
    return explain(Verdict::bad_mac,
                   fmt::format("the trust entry of {} does not verify (the trust store was "
                               "edited); run 'ward trust {}' again",
                               real, real));
  }
  auto current = scan_ward_dir(real);
  if (!current) {
    Code code = current.error().code;
    if (code != Code::not_found && code != Code::denied && code != Code::invalid_input) {
      return tl::unexpected<Error>(std::move(current).error());
    }
    return explain(Verdict::changed, fmt::format("{} since 'ward trust'; run 'ward trust {}' again",
                                                 current.error().message, real));
  }
  std::string difference =
      first_difference(fmt::format("{}/{}", real, kWardDir), entry->files, *current);
  if (!difference.empty()) {
    return explain(Verdict::changed, fmt::format("{} since 'ward trust'; run 'ward trust {}' again",
                                                 difference, real));
  }
  return explain(Verdict::trusted, fmt::format("{} is trusted", real));
}

std::optional<std::string> TrustStore::pinned_sha256(const std::string& project_dir,
                                                     const std::string& relpath) const {
  auto real = real_dir(project_dir);
  if (!real) return std::nullopt;
  const TrustEntry* entry = find(*real);
  if (!entry) return std::nullopt;
  auto it = entry->files.find(relpath);
  if (it == entry->files.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> find_project_dir(const std::string& start) {
  auto real = real_dir(start.empty() ? std::string(".") : start);
  if (!real) return std::nullopt;
  std::optional<std::string> stop;
  if (const char* home = std::getenv("HOME"); home && *home) {
    auto home_real = real_dir(home);
    stop = dirname_of(home_real ? *home_real : std::string(home));
  }
  for (std::string dir = *real; dir != "/" && dir != stop; dir = dirname_of(dir)) {
    struct stat st {};
    std::string ward = fmt::format("{}/{}", dir, kWardDir);
    if (::lstat(ward.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return dir;
  }
  return std::nullopt;
}

}  // namespace ward
