#include "agent/env_blob.hpp"

#include <fmt/format.h>

namespace ward {

namespace {
constexpr std::string_view kPrefix = "ENC[ward:v1:";
}

bool is_env_blob(std::string_view value) {
  return value.starts_with(kPrefix) && value.ends_with("]");
}

Result<EnvBlob> parse_env_blob(std::string_view value) {
  if (!is_env_blob(value)) return fail(Code::corrupt, "not an encrypted ward value");
  std::string_view inner = value.substr(kPrefix.size(), value.size() - kPrefix.size() - 1);
  auto colon = inner.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(Code::corrupt, "encrypted ward value has no session");
  }
  EnvBlob blob;
  blob.session = std::string(inner.substr(0, colon));
  for (char c : blob.session) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return fail(Code::corrupt, "encrypted ward value has a malformed session");
    }
  }
  auto sealed = from_base64(inner.substr(colon + 1));
  if (!sealed || sealed->size() < kNonceSize + kTagSize) {
    return fail(Code::corrupt, "encrypted ward value is damaged");
  }
  blob.sealed = std::move(*sealed);
  return blob;
}

std::string format_env_blob(const EnvBlob& blob) {
  return fmt::format("{}{}:{}]", kPrefix, blob.session, to_base64(blob.sealed));
}

std::string env_blob_ad(std::string_view var, std::string_view session) {
  return fmt::format("ward:v1:env:{}:{}", var, session);
}

EnvBlob seal_env_value(const SecretBytes& session_key, const std::string& session,
                       std::string_view var, const SecretBytes& value) {
  return EnvBlob{session, seal(session_key, value.bytes(), env_blob_ad(var, session))};
}

Result<SecretBytes> open_env_value(const SecretBytes& session_key, const std::string& session,
                                   std::string_view var, const EnvBlob& blob) {
  if (blob.session != session) {
    return fail(Code::denied, fmt::format("{} was encrypted for another agent session", var),
                "the vault was locked since; run 'eval \"$(ward env ...)\"' again");
  }
  auto value = open_sealed(session_key, blob.sealed, env_blob_ad(var, session));
  if (!value) {
    return fail(
        Code::corrupt,
        fmt::format("{}: encrypted value was modified or belongs to another variable", var));
  }
  return value;
}

}  // namespace ward
