// Vault: a Store plus the unwrapped vault key. Seals each value with
// XChaCha20-Poly1305 under associated data "ward:v1:PATH:VERSION", so a
// sealed blob cannot be moved to another path or version unnoticed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/primitives.hpp"
#include "crypto/secret_bytes.hpp"
#include "vault/store.hpp"

namespace ward {

// The largest value a secret may hold (it must fit one agent frame).
constexpr std::size_t kMaxValueSize = 512 * 1024;

// Unwraps the vault key with a passphrase; denied "wrong passphrase".
Result<SecretBytes> unwrap_vault_key(const VaultHeader& header, const SecretBytes& passphrase);

class Vault {
 public:
  // Creates a new vault file with a fresh random key wrapped by the passphrase.
  static Result<Vault> create(const std::string& path, const SecretBytes& passphrase,
                              KdfProfile profile);
  // Unwraps the key of an opened store (runs Argon2id).
  static Result<Vault> unlock(Store store, const SecretBytes& passphrase);
  // Uses a key already unwrapped (the agent's); only its size is checked.
  static Result<Vault> with_key(Store store, SecretBytes key);

  Store& store() { return store_; }
  const SecretBytes& key() const { return key_; }

  // Stores value as a new version; returns the version number.
  Result<std::int64_t> set(const std::string& path, const SecretBytes& value,
                           const MetaUpdate& meta);
  // The value at version (0 = current). not_found; corrupt if tampered.
  Result<SecretBytes> get(const std::string& path, std::int64_t version = 0,
                          std::int64_t* out_version = nullptr);
  // Stores the value of an old version as a new version.
  Result<std::int64_t> rollback(const std::string& path, std::int64_t version);
  // Renames a secret with all its versions (re-sealed for the new path).
  Status move(const std::string& from, const std::string& to);
  // Re-wraps the vault key under a new passphrase, with the given Argon2id
  // parameters (nullopt: keep the current ones).
  Status change_passphrase(const SecretBytes& new_passphrase, std::optional<KdfParams> kdf);

  // Sealed settings, e.g. "2fa". nullopt when unset.
  Result<std::optional<SecretBytes>> read_setting(const std::string& name);
  Status write_setting(const std::string& name, const SecretBytes& value);
  Status clear_setting(const std::string& name);

 private:
  Vault(Store store, SecretBytes key) : store_(std::move(store)), key_(std::move(key)) {}
  Store store_;
  SecretBytes key_;
};

// The associated data of a secret's value.
std::string value_ad(const std::string& path, std::int64_t version);

}  // namespace ward
