#include "crypto/primitives.hpp"

#include <sodium.h>

#include <fmt/format.h>

namespace ward {

Result<KdfProfile> parse_kdf_profile(std::string_view name) {
  if (name == "interactive") return KdfProfile::interactive;
  if (name == "moderate") return KdfProfile::moderate;
  if (name == "sensitive") return KdfProfile::sensitive;
  return fail(Code::invalid_input, fmt::format("unknown kdf profile '{}'", name),
              "use interactive, moderate or sensitive");
}

const char* kdf_profile_name(KdfProfile profile) {
  switch (profile) {
    case KdfProfile::interactive:
      return "interactive";
    case KdfProfile::moderate:
      return "moderate";
    case KdfProfile::sensitive:
      return "sensitive";
  }
  return "moderate";
}

KdfParams kdf_params_for(KdfProfile profile) {
  crypto_init();
  switch (profile) {
    case KdfProfile::interactive:
      return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
    case KdfProfile::moderate:
      return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
    case KdfProfile::sensitive:
      return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE};
  }
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}

Result<SecretBytes> derive_key(const SecretBytes& passphrase, std::span<const std::uint8_t> salt,
                               const KdfParams& params) {
  crypto_init();
  if (salt.size() != crypto_pwhash_SALTBYTES) return fail(Code::corrupt, "bad kdf salt size");
  if (params.opslimit < crypto_pwhash_OPSLIMIT_MIN || params.opslimit > 64 ||
      params.memlimit < crypto_pwhash_MEMLIMIT_MIN || params.memlimit > (std::uint64_t{4} << 30)) {
    return fail(Code::corrupt, "kdf parameters out of range");
  }
  SecretBytes key(kKeySize);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), salt.data(), params.opslimit,
                    static_cast<std::size_t>(params.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Code::crypto, "key derivation failed (out of memory?)");
  }
  return key;
}

Bytes random_bytes(std::size_t n) {
  crypto_init();
  Bytes out(n);
  randombytes_buf(out.data(), n);
  return out;
}

SecretBytes generate_password(std::size_t length) {
  crypto_init();
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  SecretBytes out(length);
  for (std::size_t i = 0; i < length; ++i) {
    out.data()[i] = static_cast<std::uint8_t>(
        kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))]);
  }
  return out;
}

Bytes seal(const SecretBytes& key, std::span<const std::uint8_t> plaintext, std::string_view ad) {
  crypto_init();
  Bytes out(kNonceSize + plaintext.size() + kTagSize);
  randombytes_buf(out.data(), kNonceSize);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kNonceSize, &written, plaintext.data(),
                                             plaintext.size(),
                                             reinterpret_cast<const unsigned char*>(ad.data()),
                                             ad.size(), nullptr, out.data(), key.data());
  out.resize(kNonceSize + written);
  return out;
}

Result<SecretBytes> open_sealed(const SecretBytes& key, std::span<const std::uint8_t> sealed,
                                std::string_view ad) {
  crypto_init();
  if (key.size() != kKeySize) return fail(Code::internal, "bad key size");
  if (sealed.size() < kNonceSize + kTagSize) return fail(Code::corrupt, "sealed value too short");
  SecretBytes out(sealed.size() - kNonceSize - kTagSize);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), &written, nullptr, sealed.data() + kNonceSize, sealed.size() - kNonceSize,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), sealed.data(),
          key.data()) != 0) {
    return fail(Code::crypto, "decryption failed: wrong key or tampered data");
  }
  out.truncate(static_cast<std::size_t>(written));
  return out;
}

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data) {
  crypto_init();
  std::array<std::uint8_t, 32> out{};
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

std::array<std::uint8_t, 32> hmac_sha256(const SecretBytes& key,
                                         std::span<const std::uint8_t> data) {
  crypto_init();
  std::array<std::uint8_t, 32> out{};
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, data.data(), data.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

SecretBytes derive_subkey(const SecretBytes& key, std::string_view purpose) {
  crypto_init();
  SecretBytes out(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  std::string label = "ward:v1:subkey:" + std::string(purpose);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(label.data()),
                                label.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

std::string to_hex(std::span<const std::uint8_t> data) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

Result<Bytes> from_hex(std::string_view hex) {
  crypto_init();
  Bytes out(hex.size() / 2 + 1);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      end != hex.data() + hex.size()) {
    return fail(Code::corrupt, "invalid hex");
  }
  out.resize(len);
  return out;
}

std::string to_base64(std::span<const std::uint8_t> data) {
  crypto_init();
  std::string out(sodium_base64_ENCODED_LEN(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // drop the NUL
  return out;
}

Result<Bytes> from_base64(std::string_view text) {
  crypto_init();
  Bytes out(text.size() * 3 / 4 + 3);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return fail(Code::corrupt, "invalid base64");
  }
  out.resize(len);
  return out;
}

}  // namespace ward
