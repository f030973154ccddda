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

// What the run event says besides the names granted: the tool (its real
// path) and the variables the allow-list refused.
struct GrantRecord {
  std::string tool;
  std::vector<std::string> denied;
};

// Every value released here is recorded in the audit log first: by the
// agent for its peer, or by this process when it holds the vault itself.
class KeyAccess {
 public:
  // Connects to the agent, or unlocks directly (locked error without a terminal).
  static Result<KeyAccess> open(const Context& ctx);
  // The running agent only, never a passphrase prompt: nullopt when no
  // agent runs.
  static Result<std::optional<KeyAccess>> running_agent(const Context& ctx);

  Result<std::vector<SecretBytes>> resolve(const std::vector<std::string>& paths);
  // items: [{var, blob}]
  Result<std::vector<SecretBytes>> open_blobs(const nlohmann::json& items);
  // The values of paths, then of items, and (through the agent, in the same
  // request) the restriction {vars, paths} on this process and its
  // descendants. Without an agent (via_agent() false) nobody is restricted.
  Result<std::vector<SecretBytes>> grant(const std::vector<std::string>& paths,
                                         const nlohmann::json& items,
                                         const nlohmann::json& restriction,
                                         const GrantRecord& record);
  // HMAC for the trust store.
  Result<std::string> mac(std::string_view message);
  // Every value with its path, for masking.
  Result<std::vector<std::pair<std::string, SecretBytes>>> all_values();
  bool via_agent() const { return agent_.has_value(); }
  AgentClient& agent() { return *agent_; }

 private:
  KeyAccess() = default;
  // The values of paths from the vault this process holds (no agent).
  Result<std::vector<SecretBytes>> values_here(const std::vector<std::string>& paths);
  std::optional<AgentClient> agent_;
  std::optional<Vault> vault_;
};

}  // namespace ward::cli
