// Encrypted environment values: ENC[ward:v1:SESSION:BASE64].
//
// `ward env` puts these in a shell's environment instead of values. Each is
// sealed (XChaCha20-Poly1305) under the agent's session key, which exists
// only in the running agent and dies with it, with associated data
// "ward:v1:env:VAR:SESSION" — so a blob copied to another variable, edited,
// or kept past `ward lock` cannot be opened. The session id is random and
// says nothing about the key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/primitives.hpp"
#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward {

struct EnvBlob {
  std::string session;  // hex session id
  Bytes sealed;         // nonce || ciphertext || tag
};

// True when value looks like ENC[ward:v1:...] (cheap; no decoding).
bool is_env_blob(std::string_view value);
// Parses an ENC[ward:v1:SESSION:BASE64] value; corrupt on a malformed one.
Result<EnvBlob> parse_env_blob(std::string_view value);
std::string format_env_blob(const EnvBlob& blob);

std::string env_blob_ad(std::string_view var, std::string_view session);
EnvBlob seal_env_value(const SecretBytes& session_key, const std::string& session,
                       std::string_view var, const SecretBytes& value);
// denied naming the variable when the blob belongs to another session;
// corrupt when it was edited or moved to another variable.
Result<SecretBytes> open_env_value(const SecretBytes& session_key, const std::string& session,
                                   std::string_view var, const EnvBlob& blob);

}  // namespace ward
