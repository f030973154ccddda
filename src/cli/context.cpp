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

Result<std::vector<std::optional<std::string>>> vault_paths_of(AgentClient& agent,
                                                              const std::vector<SecretBytes>& values) {
  std::vector<std::optional<std::string>> out(values.size());
  if (values.empty()) return out;
  std::vector<std::size_t> sizes;
  std::size_t total = 0;
  for (const SecretBytes& v : values) {
    sizes.push_back(v.size());
    total += v.size();
  }
  SecretBytes payload(total);
  std::size_t at = 0;
  for (const SecretBytes& v : values) {
    std::copy(v.data(), v.data() + v.size(), payload.data() + at);
    at += v.size();
  }
  Message req;
  req.body = {{"op", "match"}, {"sizes", sizes}};
  req.payload = std::move(payload);
  Message answer = TRY(agent.call(req));
  const auto& paths = answer.body["paths"];
  if (!paths.is_array() || paths.size() != values.size()) {
    return fail(Code::protocol, "the agent's answer to match does not fit the request");
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (paths[i].is_string()) out[i] = paths[i].get<std::string>();
  }
  return out;
}

}  // namespace ward::cli
