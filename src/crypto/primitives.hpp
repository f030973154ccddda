// The crypto primitives ward uses, all from libsodium: Argon2id key
// derivation, XChaCha20-Poly1305 sealing with associated data, SHA-256,
// HMAC-SHA256, random bytes and constant-time helpers. Nothing here is
// invented; these are thin, typed wrappers.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward {

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kNonceSize = 24;  // XChaCha20
constexpr std::size_t kTagSize = 16;    // Poly1305

// Argon2id cost parameters, stored in the vault header.
struct KdfParams {
  std::uint64_t opslimit = 0;
  std::uint64_t memlimit = 0;  // bytes
};

enum class KdfProfile { interactive, moderate, sensitive };
Result<KdfProfile> parse_kdf_profile(std::string_view name);
const char* kdf_profile_name(KdfProfile profile);
KdfParams kdf_params_for(KdfProfile profile);

// Derives a 32-byte key from a passphrase and salt with Argon2id.
Result<SecretBytes> derive_key(const SecretBytes& passphrase, std::span<const std::uint8_t> salt,
                               const KdfParams& params);

Bytes random_bytes(std::size_t n);
// A random password of length characters from [A-Za-z0-9], uniformly drawn.
SecretBytes generate_password(std::size_t length);

// nonce || ciphertext || tag, sealed with XChaCha20-Poly1305 under key (32 bytes).
Bytes seal(const SecretBytes& key, std::span<const std::uint8_t> plaintext, std::string_view ad);
// Opens what seal produced; crypto error if the key, data or ad do not match.
Result<SecretBytes> open_sealed(const SecretBytes& key, std::span<const std::uint8_t> sealed,
                                std::string_view ad);

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data);
std::array<std::uint8_t, 32> hmac_sha256(const SecretBytes& key,
                                         std::span<const std::uint8_t> data);
// A 32-byte key for one purpose, derived from key: HMAC-SHA256(key, "ward:v1:subkey:" + purpose).
SecretBytes derive_subkey(const SecretBytes& key, std::string_view purpose);

std::string to_hex(std::span<const std::uint8_t> data);
Result<Bytes> from_hex(std::string_view hex);
std::string to_base64(std::span<const std::uint8_t> data);  // standard, padded
Result<Bytes> from_base64(std::string_view text);

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace ward
