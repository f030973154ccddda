// The sealed "2fa" vault setting: the TOTP secret and the last counter used,
// so a code is accepted at most once.
#pragma once

#include <cstdint>
#include <optional>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"
#include "vault/vault.hpp"

namespace ward::cli {

struct TwoFactor {
  SecretBytes secret;
  std::int64_t last_counter = 0;
};

Result<std::optional<TwoFactor>> load_two_factor(Vault& vault);
Status save_two_factor(Vault& vault, const TwoFactor& state);

}  // namespace ward::cli
