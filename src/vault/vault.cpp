#include "vault/vault.hpp"

#include <fmt/format.h>

#include "util/time.hpp"
#include "vault/secret_path.hpp"

namespace ward {

namespace {
constexpr std::string_view kKeyAd = "ward:v1:vault-key";

std::string setting_ad(const std::string& name) {
  return "ward:v1:setting:" + name;
}

Result<VaultHeader> wrap_key(const SecretBytes& vault_key, const SecretBytes& passphrase,
                             const KdfParams& kdf, VaultHeader header) {
  header.kdf = kdf;
  header.salt = random_bytes(kSaltSize);
  SecretBytes kek = TRY(derive_key(passphrase, header.salt, header.kdf));
  header.wrapped_key = seal(kek, vault_key.bytes(), kKeyAd);
  return header;
}
}  // namespace

std::string value_ad(const std::string& path, std::int64_t version) {
  return fmt::format("ward:v1:{}:{}", path, version);
}

Result<SecretBytes> unwrap_vault_key(const VaultHeader& header, const SecretBytes& passphrase) {
  SecretBytes kek = TRY(derive_key(passphrase, header.salt, header.kdf));
  auto key = open_sealed(kek, header.wrapped_key, kKeyAd);
  if (!key) return fail(Code::denied, "wrong passphrase");
  if (key->size() != kKeySize) return fail(Code::corrupt, "vault key has the wrong size");
  return key;
}

Result<Vault> Vault::create(const std::string& path, const SecretBytes& passphrase,
                            KdfProfile profile) {
  SecretBytes vault_key = SecretBytes::random(kKeySize);
  VaultHeader header;
  header.vault_id = to_hex(random_bytes(8));
  header.created = now_unix_s();
  header = TRY(wrap_key(vault_key, passphrase, kdf_params_for(profile), std::move(header)));
  Store store = TRY(Store::create(path, header));
  Vault vault(std::move(store), std::move(vault_key));
  // Security settings exist from the start, so deleting one is tampering,
  // never a way to turn a protection off.
  TRY(vault.write_setting("2fa", SecretBytes(1)));
  return vault;
}

Result<Vault> Vault::unlock(Store store, const SecretBytes& passphrase) {
  SecretBytes key = TRY(unwrap_vault_key(store.header(), passphrase));
  return Vault(std::move(store), std::move(key));
}

Result<Vault> Vault::with_key(Store store, SecretBytes key) {
  if (key.size() != kKeySize) return fail(Code::invalid_input, "vault key has the wrong size");
  return Vault(std::move(store), std::move(key));
}

Result<std::int64_t> Vault::set(const std::string& path, const SecretBytes& value,
                                const MetaUpdate& meta) {
  TRY(validate_secret_path(path));
  if (value.empty()) return fail(Code::invalid_input, "refusing to store an empty value");
  if (value.size() > kMaxValueSize) {
    return fail(Code::invalid_input,
                fmt::format("value of {} bytes is larger than the {} byte limit", value.size(),
                            kMaxValueSize));
  }
  return store_.put(
      path,
      [&](std::int64_t version) { return seal(key_, value.bytes(), value_ad(path, version)); },
      meta);
}

Result<SecretBytes> Vault::get(const std::string& path, std::int64_t version,
                               std::int64_t* out_version) {
  TRY(validate_secret_path(path));
  std::int64_t found = 0;
  Bytes sealed_value = TRY(store_.sealed(path, version, &found));
  auto value = open_sealed(key_, sealed_value, value_ad(path, found));
  if (!value) {
    return fail(Code::corrupt,
                fmt::format("secret {} version {} failed its integrity check", path, found),
                "the vault file was modified outside ward; restore it from a backup");
  }
  if (out_version) *out_version = found;
  return value;
}

Result<std::int64_t> Vault::rollback(const std::string& path, std::int64_t version) {
  SecretBytes old = TRY(get(path, version));
  return set(path, old, {});
}

Status Vault::move(const std::string& from, const std::string& to) {
  TRY(validate_secret_path(from));
  TRY(validate_secret_path(to));
  if (from == to) return fail(Code::invalid_input, "source and destination are the same");
  return store_.rename(
      from, to, [&](const Bytes& sealed_value, std::int64_t version) -> Result<Bytes> {
        auto value = open_sealed(key_, sealed_value, value_ad(from, version));
        if (!value) {
          return fail(Code::corrupt, fmt::format("secret {} version {} failed its integrity check",
                                                 from, version));
        }
        return seal(key_, value->bytes(), value_ad(to, version));
      });
}

Status Vault::change_passphrase(const SecretBytes& new_passphrase, std::optional<KdfParams> kdf) {
  VaultHeader header =
      TRY(wrap_key(key_, new_passphrase, kdf.value_or(store_.header().kdf), store_.header()));
  return store_.rewrap(header);
}

Result<std::optional<SecretBytes>> Vault::read_setting(const std::string& name) {
  auto sealed_value = TRY(store_.setting(name));
  if (!sealed_value) return std::optional<SecretBytes>();
  auto value = open_sealed(key_, *sealed_value, setting_ad(name));
  if (!value) {
    return fail(Code::corrupt, fmt::format("vault setting '{}' failed its integrity check", name),
                "the vault file was modified outside ward; restore it from a backup");
  }
  return std::optional<SecretBytes>(std::move(*value));
}

Status Vault::write_setting(const std::string& name, const SecretBytes& value) {
  return store_.put_setting(name, seal(key_, value.bytes(), setting_ad(name)));
}

Status Vault::clear_setting(const std::string& name) {
  return store_.remove_setting(name);
}

}  // namespace ward
