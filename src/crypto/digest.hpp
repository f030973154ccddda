// Hashing and signatures for the audit chain: streaming SHA-256 from nettle
// (which uses the CPU's SHA instructions where present, several times the
// speed of portable code, and the audit verifier hashes every byte of the
// log) and Ed25519 signatures from libsodium.
#pragma once

#include <nettle/sha2.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/primitives.hpp"
#include "crypto/secret_bytes.hpp"

namespace ward {

using Digest = std::array<std::uint8_t, 32>;

// SHA-256 over several pieces without joining them.
class Sha256 {
 public:
  Sha256();
  Sha256& update(std::span<const std::uint8_t> data);
  Sha256& update(std::string_view text) { return update(as_bytes(text)); }
  Digest finish();

 private:
  sha256_ctx ctx_;
};

constexpr std::size_t kSignPublicKeySize = 32;
constexpr std::size_t kSignSecretKeySize = 64;
constexpr std::size_t kSignatureSize = 64;

struct SigningKeyPair {
  Bytes public_key;        // 32 bytes
  SecretBytes secret_key;  // 64 bytes (seed || public key), locked memory
};

SigningKeyPair generate_signing_key();
// The public half of a 64-byte Ed25519 secret key; invalid_input on a bad size.
Result<Bytes> signing_public_key(const SecretBytes& secret_key);
Bytes sign_detached(const SecretBytes& secret_key, std::span<const std::uint8_t> message);
bool verify_detached(std::span<const std::uint8_t> public_key,
                     std::span<const std::uint8_t> signature,
                     std::span<const std::uint8_t> message);

}  // namespace ward
