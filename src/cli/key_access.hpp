// Value access for run, env, mask and trust: through the agent when it is
// unlocked, else through the vault opened with a passphrase for this one
// command. Encrypted environment blobs need the agent (its session key).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/client.hpp"
#include "cli/context.hpp"
#include "vault/vault.hpp"

namespace ward::cli {

class KeyAccess {
 public:
  // Connects to the agent, or unlocks directly (locked error without a terminal).
  static Result<KeyAccess> open(const Context& ctx);

  Result<std::vector<SecretBytes>> resolve(const std::vector<std::string>& paths);
  // items: [{var, blob}]
  Result<std::vector<SecretBytes>> open_blobs(const nlohmann::json& items);
  // The values of paths, then of items, and (through the agent, in the same
  // request) the restriction {vars, paths} on this process and its
  // descendants. Without an agent (via_agent() false) nobody is restricted.
  Result<std::vector<SecretBytes>> grant(const std::vector<std::string>& paths,
                                         const nlohmann::json& items,
                                         const nlohmann::json& restriction);
  // HMAC for the trust store.
  Result<std::string> mac(std::string_view message);
  // Every value with its path, for masking.
  Result<std::vector<std::pair<std::string, SecretBytes>>> all_values();
  bool via_agent() const { return agent_.has_value(); }
  AgentClient& agent() { return *agent_; }

 private:
  KeyAccess() = default;
  std::optional<AgentClient> agent_;
  std::optional<Vault> vault_;
};

}  // namespace ward::cli
