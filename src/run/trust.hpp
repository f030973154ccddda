// Trusting project files. A repository's `.ward/` directory (allowlist.yaml,
// templates/*.env) is written by whoever wrote the repository, so ward uses it
// only after the user ran `ward trust DIR`, which pins the SHA-256 of every
// regular file under DIR/.ward/. The pins live in a trust store,
// `$XDG_STATE_HOME/ward/trust.json` (0600 in a 0700 directory). A same-user
// process could edit that file, so each entry carries a MAC over
// trust_message(), computed by a callback (the agent's HMAC under a key
// derived from the vault key): an entry forged without the key fails check().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ward {

// Computes the MAC of message as lower-case hex (HMAC in the agent).
using MacFn = std::function<Result<std::string>(std::string_view message)>;

struct TrustEntry {
  std::string dir;                           // absolute real path of the project
  std::map<std::string, std::string> files;  // path relative to dir/.ward -> sha256 hex
  std::int64_t trusted_at = 0;               // unix seconds
  std::string mac;                           // hex MAC over trust_message(dir, files)
};

// $XDG_STATE_HOME/ward/trust.json (core/paths.hpp state_dir()).
std::string default_trust_store_path();

class TrustStore {
 public:
  enum class Verdict { trusted, never_trusted, changed, bad_mac };

  // Loads the store at path; a missing file is an empty store. denied when the
  // file is group/world accessible, not ours or a symlink; corrupt on bad JSON.
  static Result<TrustStore> load(const std::string& path);

  // Pins the current content of dir/.ward/ (dir made absolute and real),
  // replacing an earlier entry for dir. not_found if dir/.ward is absent;
  // denied on a symlink or special file under it. Call save() to keep it.
  Status trust(const std::string& dir, const MacFn& mac);
  // Forgets dir (given as trusted, or as its current real path). not_found if not trusted.
  Status revoke(const std::string& dir);
  const std::vector<TrustEntry>& entries() const { return entries_; }
  // Writes the store atomically, 0600, creating its directory 0700.
  Status save() const;

  // Whether project_dir's .ward/ may be used now: trusted when its entry's MAC
  // verifies and the files under .ward/ are exactly the pinned ones with the
  // pinned content; changed when a file was modified, added or removed (or a
  // symlink appeared); bad_mac when the entry was not written by trust().
  // When why is given it receives a message naming the first difference, for
  // the CLI's warning. Errors: project_dir missing, or mac failing.
  Result<Verdict> check(const std::string& project_dir, const MacFn& mac,
                        std::string* why = nullptr) const;

  // The pinned SHA-256 of relpath under project_dir/.ward/, for a caller to
  // compare with the bytes it actually read after check() said trusted (the
  // file may change in between). nullopt when there is no such pin.
  std::optional<std::string> pinned_sha256(const std::string& project_dir,
                                           const std::string& relpath) const;

 private:
  explicit TrustStore(std::string path) : path_(std::move(path)) {}
  const TrustEntry* find(const std::string& dir) const;

  std::string path_;
  std::vector<TrustEntry> entries_;  // sorted by dir
};

// "trusted", "never_trusted", "changed", "bad_mac".
const char* verdict_name(TrustStore::Verdict verdict);

// The canonical message a MAC covers: "ward:v1:trust\n" + dir + "\n" + one
// "relpath sha256\n" per file in sorted order.
std::string trust_message(const std::string& dir, const std::map<std::string, std::string>& files);

// The nearest ancestor of start (inclusive) holding a .ward/ directory, as an
// absolute path; nullopt if none. The search stops before "/" and before the
// parent of $HOME.
std::optional<std::string> find_project_dir(const std::string& start);

}  // namespace ward
