// What every command shares: the global options, and access to the vault
// either through the running agent or, when it is locked, directly with a
// passphrase asked for this one command.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "agent/client.hpp"
#include "audit/record.hpp"
#include "core/passphrase.hpp"
#include "util/result.hpp"
#include "vault/store.hpp"
#include "vault/vault.hpp"

namespace ward::cli {

struct Context {
  PassphraseSource passphrase;
  std::string totp_file;  // a file holding the current TOTP code (scripts, tests)
  bool json = false;
  std::function<Status()> action;    // set by the chosen subcommand
  std::vector<std::string> command;  // ward run's COMMAND [ARGS...], split off before parsing
  // The exit code when action succeeds: ward run's child's, 1 when `ward
  // audit suspicious` found something.
  int exit_code = 0;
  // When set, the exit code of every error (ward scan: 2, so 1 always means
  // "found").
  int error_exit_code = 0;

  // Opens the vault file (no key needed).
  Result<Store> open_store() const;
  // The running agent, or nullopt when locked.
  Result<std::optional<AgentClient>> agent() const;
  // Asks for the passphrase (and a TOTP code when 2FA is on) and unwraps the
  // key. locked (exit 4) with a hint when there is no terminal or source.
  Result<Vault> unlock_directly() const;
  // A TOTP code from totp_file or the terminal.
  Result<std::string> read_totp_code() const;
};

// Registers the command groups; each sets ctx.action in its callback.
void register_vault_commands(CLI::App& app, Context& ctx);
void register_agent_commands(CLI::App& app, Context& ctx);
void register_twofa_commands(CLI::App& app, Context& ctx);
void register_import_commands(CLI::App& app, Context& ctx);
void register_run_commands(CLI::App& app, Context& ctx);
void register_env_commands(CLI::App& app, Context& ctx);
void register_audit_commands(CLI::App& app, Context& ctx);
void register_scan_commands(CLI::App& app, Context& ctx);
void register_hook_commands(CLI::App& app, Context& ctx);
// ward audit's groups: tail/show/query/verify; suspicious/report; export.
void register_audit_read_commands(CLI::App& audit, Context& ctx);
void register_audit_analysis_commands(CLI::App& audit, Context& ctx);
void register_audit_export_commands(CLI::App& audit, Context& ctx);

// Records one event for what this process did itself (not through the
// agent, which records its own) and passes result on. The event carries
// result's outcome; when the event cannot be written a successful result
// becomes that error, so a caller that releases a value only after this
// returns fails closed.
template <class T>
Result<T> audited(audit::Event event, Result<T> result) {
  if (!result) audit::set_failure(event, result.error());
  Status recorded = audit::record_here(std::move(event));
  if (result && !recorded) return tl::unexpected(recorded.error());
  return result;
}

// The vault path holding each value, or nullopt, asked of the agent (which
// compares keyed hashes; no value comes back).
Result<std::vector<std::optional<std::string>>> vault_paths_of(
    AgentClient& agent, const std::vector<SecretBytes>& values);

// Checks the sealed 2FA setting of an unlocked vault: asks for a code and
// records its counter so it cannot be used again. No-op when 2FA is off.
Status check_second_factor(const Context& ctx, Vault& vault);

}  // namespace ward::cli
