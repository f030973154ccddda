// Store: the vault file, SQLite in WAL mode. It holds sealed blobs and plain
// metadata and knows nothing of keys: sealing happens in Vault, above it.
//
// Tables: header (format, KDF parameters, salt, wrapped vault key, vault id),
// secrets (one row per live secret with its metadata), versions (every sealed
// value ever stored, by path and version) and settings (sealed security
// settings such as 2FA). Every write is one IMMEDIATE transaction; a busy
// timeout lets several processes write at once; secure_delete wipes freed
// pages.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/primitives.hpp"
#include "util/result.hpp"

namespace ward {

// The vault header: everything needed to unwrap the vault key.
struct VaultHeader {
  int format = 1;
  KdfParams kdf;
  Bytes salt;
  Bytes wrapped_key;  // seal(kdf_key, vault_key, "ward:v1:vault-key")
  std::string vault_id;
  std::int64_t created = 0;
};

// Metadata kept beside a secret; never secret itself.
struct SecretMeta {
  std::string owner;
  std::string note;
  std::vector<std::string> tags;
  std::string location;           // where the secret lives upstream
  std::int64_t rotate_every = 0;  // seconds, 0 = none
  std::int64_t expires = 0;       // unix seconds, 0 = none
};

// One live secret as listed.
struct SecretInfo {
  std::string path;
  std::int64_t version = 0;
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t rotated = 0;  // when the value last changed
  SecretMeta meta;
};

struct VersionInfo {
  std::int64_t version = 0;
  std::int64_t created = 0;
};

// Which metadata fields a write changes; unset fields keep their old value.
struct MetaUpdate {
  std::optional<std::string> owner, note, location;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::int64_t> rotate_every, expires;
};

class Store {
 public:
  // Creates the vault file (refuses an existing one) in a private directory.
  static Result<Store> create(const std::string& path, const VaultHeader& header);
  // Opens an existing vault. not_found with a hint to run 'ward init';
  // denied when the file or its directory is group/world accessible or not
  // ours; corrupt when it is not a ward vault.
  static Result<Store> open(const std::string& path);

  const VaultHeader& header() const { return header_; }
  // Replaces the KDF parameters, salt and wrapped key (ward passwd).
  Status rewrap(const VaultHeader& header);

  // Stores a new version of path. seal(version) returns the sealed value for
  // the version number chosen inside the transaction.
  Result<std::int64_t> put(const std::string& path,
                           const std::function<Bytes(std::int64_t version)>& seal,
                           const MetaUpdate& meta);
  // The sealed value of path at version (0 = current). not_found.
  Result<Bytes> sealed(const std::string& path, std::int64_t version, std::int64_t* out_version);
  Result<SecretInfo> info(const std::string& path);
  Result<std::vector<SecretInfo>> list(const std::string& prefix);
  Result<std::vector<VersionInfo>> history(const std::string& path);
  // Removes path and all its versions (secure_delete overwrites them).
  Status remove(const std::string& path);
  // Renames from -> to, re-sealing every version with reseal(old_sealed, version).
  Status rename(const std::string& from, const std::string& to,
                const std::function<Result<Bytes>(const Bytes&, std::int64_t)>& reseal);

  // Sealed settings ("2fa"); nullopt when unset.
  Result<std::optional<Bytes>> setting(const std::string& name);
  Status put_setting(const std::string& name, const Bytes& sealed);
  Status remove_setting(const std::string& name);

 private:
  struct DbCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Store() = default;
  Status load_header();
  std::unique_ptr<sqlite3, DbCloser> db_;
  VaultHeader header_;
  std::string path_;
};

}  // namespace ward
