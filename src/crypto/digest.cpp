#include "crypto/digest.hpp"

#include <sodium.h>

#include <cstring>

namespace ward {

Sha256::Sha256() {
  sha256_init(&ctx_);
}

Sha256& Sha256::update(std::span<const std::uint8_t> data) {
  sha256_update(&ctx_, data.size(), data.data());
  return *this;
}

Digest Sha256::finish() {
  Digest out{};
  sha256_digest(&ctx_, out.size(), out.data());
  return out;
}

SigningKeyPair generate_signing_key() {
  if (sodium_init() < 0) std::abort();
  SigningKeyPair pair{Bytes(crypto_sign_PUBLICKEYBYTES), SecretBytes(crypto_sign_SECRETKEYBYTES)};
  crypto_sign_keypair(pair.public_key.data(), pair.secret_key.data());
  return pair;
}

Result<Bytes> signing_public_key(const SecretBytes& secret_key) {
  if (secret_key.size() != crypto_sign_SECRETKEYBYTES) {
    return fail(Code::invalid_input, "signing key has the wrong size");
  }
  Bytes pk(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_ed25519_sk_to_pk(pk.data(), secret_key.data());
  return pk;
}

Bytes sign_detached(const SecretBytes& secret_key, std::span<const std::uint8_t> message) {
  Bytes sig(crypto_sign_BYTES);
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_key.data());
  return sig;
}

bool verify_detached(std::span<const std::uint8_t> public_key,
                     std::span<const std::uint8_t> signature,
                     std::span<const std::uint8_t> message) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) {
    return false;
  }
  if (sodium_init() < 0) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     public_key.data()) == 0;
}

}  // namespace ward
