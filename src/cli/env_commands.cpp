// ward env, shell-init, mask, trust.
#include <unistd.h>

#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/output.hpp"
#include "cli/run_support.hpp"
#include "core/agent_detect.hpp"
#include "core/paths.hpp"
#include "mask/masker.hpp"
#include "run/trust.hpp"
#include "util/file.hpp"
#include "util/time.hpp"

namespace ward::cli {

namespace {

struct EnvOptions {
  std::string from = "shell";
  std::string output = "shell";
};

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// A template named like a tool ("shell") or given as a path.
Result<std::vector<TemplateEntry>> load_named_template(const std::string& from) {
  if (from.find('/') != std::string::npos || from.ends_with(".env")) {
    return load_template_file(from);
  }
  std::string path = config_dir() + "/templates/" + from + ".env";
  auto entries = load_template_file(path);
  if (!entries && entries.error().code == Code::not_found) {
    return fail(
        Code::not_found, fmt::format("no template named '{}'", from),
        fmt::format("create {} with lines like 'OPENAI_API_KEY=${{ward:llm/openai}}'", path));
  }
  return entries;
}

Status cmd_env(const Context& ctx, const EnvOptions& o) {
  if (o.output != "shell" && o.output != "fish" && o.output != "dotenv" && o.output != "json") {
    return fail(Code::usage, fmt::format("invalid --output '{}'", o.output),
                "use shell, fish, dotenv or json");
  }
  auto entries = TRY(load_named_template(o.from));
  auto agent = TRY(ctx.agent());
  if (!agent) {
    return fail(Code::locked, "vault is locked",
                "run 'ward unlock': encrypted values are sealed under the agent's session key");
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& p : e.parts) {
      if (p.is_ref) {
        parts.push_back({{"ref", p.path}});
      } else {
        parts.push_back({{"text", std::string(p.literal.view())}});
      }
    }
    items.push_back({{"var", e.var}, {"parts", std::move(parts)}});
  }
  Message resp = TRY(agent->call("env_seal", {{"items", items}}));
  auto blobs = resp.body.find("blobs");
  if (blobs == resp.body.end() || !blobs->is_array()) {
    return fail(Code::protocol, "malformed env_seal response");
  }
  std::string out;
  nlohmann::json as_json = nlohmann::json::object();
  for (const auto& b : *blobs) {
    std::string var = TRY(json_string(b, "var"));
    std::string blob = TRY(json_string(b, "blob"));
    if (o.output == "shell") out += fmt::format("export {}={}\n", var, shell_quote(blob));
    if (o.output == "fish") out += fmt::format("set -gx {} {}\n", var, shell_quote(blob));
    if (o.output == "dotenv") out += fmt::format("{}={}\n", var, blob);
    as_json[var] = blob;
  }
  if (o.output == "json") out = as_json.dump() + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return {};
}

Status cmd_shell_init(const std::string& shell) {
  if (shell == "bash" || shell == "zsh") {
    fmt::print(
        "# ward: load $XDG_CONFIG_HOME/ward/templates/shell.env as encrypted values\n"
        "if command -v ward >/dev/null 2>&1; then\n"
        "  eval \"$(ward env --from shell --output shell 2>/dev/null)\"\n"
        "fi\n");
    return {};
  }
  if (shell == "fish") {
    fmt::print(
        "# ward: load $XDG_CONFIG_HOME/ward/templates/shell.env as encrypted values\n"
        "if command -q ward\n"
        "  ward env --from shell --output fish 2>/dev/null | source\n"
        "end\n");
    return {};
  }
  return fail(Code::usage, fmt::format("unsupported shell '{}'", shell), "use bash, zsh or fish");
}

Status cmd_mask(const Context& ctx, const std::vector<std::string>& secrets) {
  KeyAccessFactory keys(ctx);
  KeyAccess& access = TRY(keys.get());
  std::vector<MaskValue> values;
  if (secrets.empty()) {
    for (auto& [path, value] : TRY(access.all_values())) {
      values.push_back(MaskValue{path, std::move(value)});
    }
  } else {
    auto resolved = TRY(access.resolve(secrets));
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      values.push_back(MaskValue{secrets[i], std::move(resolved[i])});
    }
  }
  auto set = TRY(MaskSet::build(std::move(values)));
  for (const auto& label : set->skipped_labels()) {
    print_warning(fmt::format("{} is shorter than {} characters and will not be masked", label,
                              kMinMaskLength));
  }
  StreamMasker masker(set);
  std::vector<std::uint8_t> buf(64 * 1024);
  std::string out;
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(Code::io, "cannot read standard input");
    out.clear();
    if (n == 0) {
      masker.finish(out);
    } else {
      masker.write({buf.data(), static_cast<std::size_t>(n)}, out);
    }
    auto written = write_all(STDOUT_FILENO, out.data(), out.size());
    if (!written) return errno == EPIPE ? Status{} : written;
    if (n == 0) return {};
  }
}

struct TrustOptions {
  std::string dir = ".";
  bool list = false;
  std::string revoke;
};

Status cmd_trust(const Context& ctx, const TrustOptions& o) {
  TrustStore store = TRY(TrustStore::load(default_trust_store_path()));
  if (o.list) {
    if (ctx.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& e : store.entries()) {
        arr.push_back(
            {{"dir", e.dir}, {"files", e.files}, {"trusted", format_rfc3339(e.trusted_at)}});
      }
      fmt::print("{}\n", arr.dump());
      return {};
    }
    std::vector<std::vector<std::string>> rows = {{"DIRECTORY", "FILES", "TRUSTED"}};
    for (const auto& e : store.entries()) {
      rows.push_back({e.dir, std::to_string(e.files.size()), format_rfc3339(e.trusted_at)});
    }
    print_table(rows);
    return {};
  }
  if (!o.revoke.empty()) {
    audit::Event event = audit::make_event("trust.revoke", {});
    event.tool = o.revoke;
    TRY(audited(std::move(event), [&]() -> Status {
      TRY(store.revoke(o.revoke));
      return store.save();
    }()));
    fmt::print("no longer trusted: {}\n", o.revoke);
    return {};
  }
  audit::Event event = audit::make_event("trust", {});
  event.tool = o.dir;
  if (Status allowed = refuse_reveal_if_agent(detect_ai_agent_here(), "a trust signature");
      !allowed) {
    return audited(std::move(event), std::move(allowed));
  }
  KeyAccessFactory keys(ctx);
  KeyAccess& access = TRY(keys.get());  // a failed unlock is recorded as such
  TRY(audited(std::move(event), [&]() -> Status {
    TRY(store.trust(o.dir, [&](std::string_view message) { return access.mac(message); }));
    return store.save();
  }()));
  fmt::print("trusted the .ward/ files of {}\n", o.dir);
  return {};
}

}  // namespace

void register_env_commands(CLI::App& app, Context& ctx) {
  auto* env = app.add_subcommand("env", "Print a template's variables as encrypted values");
  auto eo = std::make_shared<EnvOptions>();
  env->add_option("--from", eo->from, "Template name or file")->capture_default_str();
  env->add_option("--output", eo->output, "shell, fish, dotenv or json")->capture_default_str();
  env->callback([&ctx, eo] { ctx.action = [&ctx, eo] { return cmd_env(ctx, *eo); }; });

  auto* init = app.add_subcommand("shell-init", "Print the shell hook that loads encrypted values");
  auto shell = std::make_shared<std::string>();
  init->add_option("shell", *shell, "bash, zsh or fish")->required();
  init->callback([&ctx, shell] { ctx.action = [shell] { return cmd_shell_init(*shell); }; });

  auto* mask = app.add_subcommand("mask", "Mask vault values in standard input");
  auto secrets = std::make_shared<std::vector<std::string>>();
  mask->add_option("--secret", *secrets, "Mask only these paths (default: every value)");
  mask->callback(
      [&ctx, secrets] { ctx.action = [&ctx, secrets] { return cmd_mask(ctx, *secrets); }; });

  auto* trust = app.add_subcommand("trust", "Trust a project's .ward/ files as they are now");
  auto to = std::make_shared<TrustOptions>();
  trust->add_option("dir", to->dir, "Project directory")->capture_default_str();
  trust->add_flag("--list", to->list, "List trusted projects");
  trust->add_option("--revoke", to->revoke, "Stop trusting a project");
  trust->add_flag("--json", ctx.json, "JSON output");
  trust->callback([&ctx, to] { ctx.action = [&ctx, to] { return cmd_trust(ctx, *to); }; });
}

}  // namespace ward::cli
