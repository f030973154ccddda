// ward unlock, lock, status, agent.
#include <unistd.h>

#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/launcher.hpp"
#include "agent/server.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/hardening.hpp"
#include "core/paths.hpp"
#include "util/time.hpp"

namespace ward::cli {

namespace {

struct UnlockOptions {
  std::string ttl = "8h";
  std::string idle = "30m";
};

std::string human_duration(std::int64_t s) {
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

Status cmd_unlock(const Context& ctx, const UnlockOptions& o) {
  std::int64_t ttl = TRY(parse_duration_s(o.ttl));
  std::int64_t idle = TRY(parse_duration_s(o.idle));
  if (auto agent = TRY(ctx.agent())) {
    auto st = agent->call("status");
    if (st && st->body.value("unlocked", false)) {
      fmt::print("already unlocked ({} left, agent pid {})\n",
                 human_duration(st->body.value("ttl_left_s", std::int64_t{0})),
                 st->body.value("pid", 0));
      return {};
    }
    // An agent that is locking itself: its socket disappears with it.
  }
  PassphraseSource source = resolve_passphrase_source(ctx.passphrase);
  if (!source.has_non_terminal() && !have_terminal()) {
    return fail(Code::locked, "no terminal to ask for the passphrase",
                "use --passphrase-file FILE or --passphrase-fd N");
  }
  pid_t pid = TRY(audited(audit::make_event("unlock", {}), [&]() -> Result<pid_t> {
    Vault vault = TRY(ctx.unlock_directly());
    return launch_agent(vault.key(), ttl, idle);
  }()));
  fmt::print("unlocked for {} (locks after {} idle), agent pid {}\n", format_duration_s(ttl),
             format_duration_s(idle), pid);
  return {};
}

Status cmd_lock(const Context& ctx) {
  auto agent = TRY(ctx.agent());
  if (!agent) {
    fmt::print("already locked\n");
    return {};
  }
  auto done = agent->call("lock");
  // The agent may exit before its answer arrives; a closed connection is success.
  if (!done && done.error().code != Code::unavailable) return tl::unexpected(done.error());
  fmt::print("locked\n");
  return {};
}

Status cmd_status(const Context& ctx) {
  auto agent = TRY(ctx.agent());
  nlohmann::json out = {
      {"unlocked", false}, {"socket", agent_socket_path()}, {"vault", vault_path()}};
  if (agent) {
    Message st = TRY(agent->call("status"));
    out["unlocked"] = st.body.value("unlocked", false);
    out["pid"] = st.body.value("pid", 0);
    out["ttl_left_s"] = st.body.value("ttl_left_s", std::int64_t{0});
    out["idle_left_s"] = st.body.value("idle_left_s", std::int64_t{0});
    out["started"] = format_rfc3339(st.body.value("started", std::int64_t{0}));
  }
  if (ctx.json) {
    fmt::print("{}\n", out.dump());
    return {};
  }
  if (!out["unlocked"].get<bool>()) {
    fmt::print("{}\n  vault   {}\n", colored("locked", "33"), vault_path());
    return {};
  }
  fmt::print("{}, {} left (locks after {} idle)\n  pid     {}\n  socket  {}\n  vault   {}\n",
             colored("unlocked", "32"), human_duration(out["ttl_left_s"].get<std::int64_t>()),
             human_duration(out["idle_left_s"].get<std::int64_t>()), out["pid"].get<int>(),
             out["socket"].get<std::string>(), out["vault"].get<std::string>());
  return {};
}

struct AgentOptions {
  int key_fd = -1;
  std::string ttl = "8h";
  std::string idle = "30m";
};

Status cmd_agent(const Context& ctx, const AgentOptions& o) {
  TRY(harden_process(Hardening::undumpable));
  AgentConfig config;
  config.ttl_s = TRY(parse_duration_s(o.ttl));
  config.idle_s = TRY(parse_duration_s(o.idle));
  config.socket_path = agent_socket_path();
  config.vault_path = vault_path();
  if (o.key_fd >= 0) {
    SecretBytes key = TRY(receive_agent_key(o.key_fd));
    if (::chdir("/") != 0) return fail(Code::io, "cannot chdir to /");
    return run_agent(std::move(key), config, o.key_fd);
  }
  // Foreground agent: ask for the passphrase here.
  Vault vault = TRY(audited(audit::make_event("unlock", {}), ctx.unlock_directly()));
  SecretBytes key = vault.key().clone();
  fmt::print(stderr, "ward agent starting on {}\n", config.socket_path);
  return run_agent(std::move(key), config, -1);
}

}  // namespace

void register_agent_commands(CLI::App& app, Context& ctx) {
  auto* unlock = app.add_subcommand("unlock", "Unlock the vault into the background agent");
  auto uo = std::make_shared<UnlockOptions>();
  unlock->add_option("--ttl", uo->ttl, "Lock after this long in any case")->capture_default_str();
  unlock->add_option("--idle", uo->idle, "Lock after this long without a request")
      ->capture_default_str();
  unlock->callback([&ctx, uo] { ctx.action = [&ctx, uo] { return cmd_unlock(ctx, *uo); }; });

  auto* lock = app.add_subcommand("lock", "Wipe the key from memory and stop the agent");
  lock->callback([&ctx] { ctx.action = [&ctx] { return cmd_lock(ctx); }; });

  auto* status = app.add_subcommand("status", "Show whether the vault is unlocked");
  status->add_flag("--json", ctx.json, "JSON output");
  status->callback([&ctx] { ctx.action = [&ctx] { return cmd_status(ctx); }; });

  auto* agent =
      app.add_subcommand("agent", "Run the agent in the foreground (ward unlock starts it)");
  auto ao = std::make_shared<AgentOptions>();
  agent->add_option("--key-fd", ao->key_fd, "Receive the key on this descriptor (internal)");
  agent->add_option("--ttl", ao->ttl, "Lock after this long")->capture_default_str();
  agent->add_option("--idle", ao->idle, "Lock after this long idle")->capture_default_str();
  agent->callback([&ctx, ao] { ctx.action = [&ctx, ao] { return cmd_agent(ctx, *ao); }; });
}

}  // namespace ward::cli
