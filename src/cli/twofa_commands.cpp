// ward 2fa enable|disable, and the second-factor check used when unlocking.
#include <unistd.h>

#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "cli/twofa.hpp"
#include "core/agent_detect.hpp"
#include "core/process_info.hpp"
#include "crypto/totp.hpp"
#include "util/file.hpp"
#include "util/time.hpp"

namespace ward::cli {

namespace {

constexpr const char* kSetting = "2fa";

Status enable_two_factor(const Context& ctx) {
  AgentDetection d = detect_ai_agent_here();
  if (d.detected) {
    return fail(
        Code::denied,
        fmt::format("refusing to show a two-factor secret to an AI agent ({}, {})", d.name, d.via),
        "run 'ward 2fa enable' in your own terminal");
  }
  if (ctx.totp_file.empty() && !have_terminal()) {
    // Checked before the secret exists, so it is never printed for nothing.
    return fail(Code::locked, "no terminal to confirm a two-factor code", "use --totp-file FILE");
  }
  Vault vault = TRY(ctx.unlock_directly());
  if (TRY(load_two_factor(vault))) {
    return fail(Code::already_exists, "two-factor authentication is already enabled",
                "run 'ward 2fa disable' first to replace it");
  }
  TwoFactor state{SecretBytes::random(kTotpSecretSize), 0};
  const char* user = std::getenv("USER");
  SecretBytes uri =
      otpauth_uri(state.secret, fmt::format("{}@{}", user ? user : "user", host_name()), "ward");
  SecretBytes qr = TRY(render_qr(uri));
  std::fflush(stdout);
  TRY(write_all(STDOUT_FILENO, qr.data(), qr.size()));
  TRY(write_all(STDOUT_FILENO, uri.data(), uri.size()));
  TRY(write_all(STDOUT_FILENO, "\n", 1));
  fmt::print("Scan the code (or add the URI) in your authenticator app, then confirm.\n");
  std::fflush(stdout);
  std::string code = TRY(ctx.read_totp_code());
  state.last_counter = TRY(verify_totp(state.secret, code, now_unix_s(), 0));
  TRY(save_two_factor(vault, state));
  fmt::print("two-factor authentication enabled: unlocking now asks for a code\n");
  return {};
}

Status disable_two_factor(const Context& ctx) {
  Vault vault = TRY(ctx.unlock_directly());  // asks for a code when enabled
  if (!TRY(load_two_factor(vault))) {
    fmt::print("two-factor authentication is not enabled\n");
    return {};
  }
  TRY(vault.write_setting(kSetting, SecretBytes(1)));  // "off" stays sealed in the vault
  fmt::print("two-factor authentication disabled\n");
  return {};
}

// Each change, and each refusal, is one audit event.
Status cmd_enable(const Context& ctx) {
  return audited(audit::make_event("2fa.enable", {}), enable_two_factor(ctx));
}

Status cmd_disable(const Context& ctx) {
  return audited(audit::make_event("2fa.disable", {}), disable_two_factor(ctx));
}

}  // namespace

Result<std::optional<TwoFactor>> load_two_factor(Vault& vault) {
  auto blob = TRY(vault.read_setting(kSetting));
  if (!blob) {
    return fail(Code::corrupt, "the two-factor setting is missing from the vault",
                "the vault file was modified outside ward; restore it from a backup");
  }
  if (blob->size() == 1 && blob->data()[0] == 0) return std::optional<TwoFactor>();  // off
  if (blob->size() != kTotpSecretSize + 8) {
    return fail(Code::corrupt, "the two-factor setting is damaged");
  }
  TwoFactor state{SecretBytes::copy_of(blob->data(), kTotpSecretSize), 0};
  std::uint64_t counter = 0;
  for (std::size_t i = 0; i < 8; ++i) counter = (counter << 8) | blob->data()[kTotpSecretSize + i];
  state.last_counter = static_cast<std::int64_t>(counter);
  return std::optional<TwoFactor>(std::move(state));
}

Status save_two_factor(Vault& vault, const TwoFactor& state) {
  SecretBytes blob(kTotpSecretSize + 8);
  std::memcpy(blob.data(), state.secret.data(), kTotpSecretSize);
  auto counter = static_cast<std::uint64_t>(state.last_counter);
  for (std::size_t i = 0; i < 8; ++i) {
    blob.data()[kTotpSecretSize + 7 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  }
  return vault.write_setting(kSetting, blob);
}

Status check_second_factor(const Context& ctx, Vault& vault) {
  auto state = TRY(load_two_factor(vault));
  if (!state) return {};
  std::string code = TRY(ctx.read_totp_code());
  state->last_counter = TRY(verify_totp(state->secret, code, now_unix_s(), state->last_counter));
  return save_two_factor(vault, *state);
}

void register_twofa_commands(CLI::App& app, Context& ctx) {
  auto* twofa = app.add_subcommand("2fa", "Require a TOTP code to unlock (RFC 6238)");
  twofa->require_subcommand(1);
  auto* enable = twofa->add_subcommand("enable", "Turn on two-factor unlock (shows a QR code)");
  enable->callback([&ctx] { ctx.action = [&ctx] { return cmd_enable(ctx); }; });
  auto* disable = twofa->add_subcommand("disable", "Turn off two-factor unlock");
  disable->callback([&ctx] { ctx.action = [&ctx] { return cmd_disable(ctx); }; });
}

}  // namespace ward::cli
