#include "cli/context.hpp"

#include <fmt/format.h>

#include "cli/twofa.hpp"
#include "core/paths.hpp"
#include "crypto/secret_io.hpp"
#include "util/strings.hpp"

namespace ward::cli {

Result<Store> Context::open_store() const {
  return Store::open(vault_path());
}

Result<std::optional<AgentClient>> Context::agent() const {
  return connect_running_agent();
}

Result<Vault> Context::unlock_directly() const {
  Store store = TRY(open_store());
  PassphraseSource source = resolve_passphrase_source(passphrase);
  if (!source.has_non_terminal() && !have_terminal()) {
    return fail(Code::locked, "vault is locked", "run 'ward unlock'");
  }
  SecretBytes pass = TRY(read_passphrase(source, "Vault passphrase: ", false));
  Vault vault = TRY(Vault::unlock(std::move(store), pass));
  TRY(check_second_factor(*this, vault));
  return vault;
}

Result<std::string> Context::read_totp_code() const {
  if (!totp_file.empty()) {
    SecretBytes code = TRY(read_secret_file(totp_file, 64));
    return std::string(trim(code.view()));
  }
  if (!have_terminal()) {
    return fail(Code::locked, "two-factor code required but there is no terminal",
                "use --totp-file FILE");
  }
  return read_terminal_line("Two-factor code: ");
}

}  // namespace ward::cli
