// ward run: give a command exactly the secrets it was granted, for as long
// as it runs, and mask them in what it prints.
//
// Grants come from --secret, --env-file, a template for the tool, and ward
// blobs/references already in the environment. Every blob and reference is
// removed from the child's environment unless granted, so the child cannot
// ask the agent to open anything else. With --secure, the tool is
// identified by its real path and the allow-list decides which granted
// variables it may keep.
#include <unistd.h>

#include <memory>

#include <fmt/format.h>

#include "agent/env_blob.hpp"
#include "cli/key_access.hpp"
#include "cli/output.hpp"
#include "cli/run_support.hpp"
#include "mask/masker.hpp"
#include "run/allowlist.hpp"
#include "run/launcher.hpp"
#include "run/template.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "vault/secret_path.hpp"

extern char** environ;

namespace ward::cli {

namespace {

struct RunOptions {
  std::vector<std::string> secrets;
  std::vector<std::string> env_files;
  bool secure = false;
  bool no_secrets = false;
  bool pristine = false;
  std::string mask = "auto";
  std::vector<std::string> command;
};

Result<std::vector<Request>> requests_from_options(const RunOptions& o) {
  std::vector<Request> out;
  for (const auto& file : o.env_files) {
    for (auto& entry : TRY(load_template_file(file))) {
      std::string origin = fmt::format("{}:{}", file, entry.line);
      std::string var = entry.var;
      out.push_back(Request{var, origin, std::move(entry), ""});
    }
  }
  for (const auto& spec : o.secrets) {
    auto eq = spec.find('=');
    std::string path = spec.substr(0, eq);
    TRY(validate_secret_path(path));
    std::string var = eq == std::string::npos ? default_var_name(path) : spec.substr(eq + 1);
    if (!valid_env_name(var)) {
      return fail(Code::usage, fmt::format("invalid variable name '{}' in --secret {}", var, spec));
    }
    TemplateEntry entry;
    entry.var = var;
    entry.parts.push_back(TemplatePart{true, path, {}});
    out.push_back(Request{var, "--secret", std::move(entry), ""});
  }
  return out;
}

// Blobs and references in ward's own environment; all are removed from the
// child's environment here and come back only if granted.
std::vector<Request> requests_from_environment(ChildEnv& env) {
  std::vector<Request> out;
  for (const auto& name : env.names()) {
    std::string_view value = env.get(name);
    if (is_env_blob(value)) {
      out.push_back(Request{name, "environment", std::nullopt, std::string(value)});
    } else if (auto path = reference_path(value)) {
      TemplateEntry entry;
      entry.var = name;
      entry.parts.push_back(TemplatePart{true, *path, {}});
      out.push_back(Request{name, "environment", std::move(entry), ""});
    } else {
      continue;
    }
    env.remove(name);
  }
  return out;
}

// Applies --secure: keeps the requests the tool's rule allows.
// The variables it refuses are added to denied.
Result<std::vector<Request>> apply_allowlist(const Context& ctx, KeyAccessFactory& keys,
                                             const std::string& tool, std::vector<Request> reqs,
                                             std::vector<std::string>& denied) {
  Allowlist list = TRY(load_effective_allowlist(ctx, keys));
  const ToolRule* rule = list.rule_for(tool);
  if (!rule) {
    if (!reqs.empty()) {
      print_warning(
          fmt::format("{} is not in {}; running it without secrets", tool, list.source_file));
    }
    for (const auto& r : reqs) denied.push_back(r.var);
    return std::vector<Request>{};
  }
  if (rule->sha256) {
    std::string actual = TRY(file_sha256(tool));
    if (actual != *rule->sha256) {
      return fail(Code::denied,
                  fmt::format("{} does not match the sha256 pinned in {}", tool, list.source_file),
                  "the binary changed; check it, then update the pin");
    }
  }
  std::vector<Request> kept;
  std::vector<std::string> dropped;
  for (auto& r : reqs) {
    if (rule_allows(*rule, r.var)) {
      kept.push_back(std::move(r));
    } else {
      dropped.push_back(r.var);
    }
  }
  if (!dropped.empty()) {
    print_warning(fmt::format("not allowed for {} by {}: {}", rule->key, list.source_file,
                              join(dropped, ", ")));
  }
  denied.insert(denied.end(), dropped.begin(), dropped.end());
  return kept;
}

Status cmd_run(Context& ctx, RunOptions& o) {
  if (o.command.empty()) return fail(Code::usage, "no command given", "ward run [OPTIONS] -- CMD");
  if (o.mask != "auto" && o.mask != "always" && o.mask != "never") {
    return fail(Code::usage, fmt::format("invalid --mask '{}'", o.mask),
                "use auto, always or never");
  }
  const char* path_env = std::getenv("PATH");
  std::string tool = TRY(resolve_tool(o.command[0], path_env ? path_env : ""));

  ChildEnv env = ChildEnv::from_environ(environ);
  // The child must not unlock the vault on its own.
  env.remove("WARD_PASSPHRASE_FILE");
  std::vector<Request> reqs = requests_from_environment(env);
  if (o.pristine) {
    env = pristine_env(env);
    reqs.clear();  // nothing from the environment, not even its ward values
  }
  if (o.no_secrets) {
    reqs.clear();
  } else {
    // Sources in rising precedence: the environment, the tool's template,
    // --env-file, then --secret; a later source wins for the same variable.
    KeyAccessFactory keys(ctx);
    for (auto& entry : TRY(tool_template(ctx, keys, basename_of(o.command[0])))) {
      std::string var = entry.var;
      reqs.push_back(Request{var, "template", std::move(entry), ""});
    }
    auto explicit_reqs = TRY(requests_from_options(o));
    for (auto& r : explicit_reqs) reqs.push_back(std::move(r));
    // Later sources win over earlier ones for the same variable.
    std::vector<Request> unique;
    for (auto it = reqs.rbegin(); it != reqs.rend(); ++it) {
      bool seen = std::any_of(unique.begin(), unique.end(),
                              [&](const Request& u) { return u.var == it->var; });
      if (!seen) unique.push_back(std::move(*it));
    }
    reqs.assign(std::make_move_iterator(unique.rbegin()), std::make_move_iterator(unique.rend()));
    // One run event: the tool, the names granted and those refused. It is
    // written (by the agent, or here) before any value reaches the child.
    GrantRecord record{tool, {}};
    if (o.secure) reqs = TRY(apply_allowlist(ctx, keys, tool, std::move(reqs), record.denied));

    std::vector<MaskValue> mask_values;
    bool restricted = false;
    if (!reqs.empty()) {
      KeyAccess& access = TRY(keys.get());
      TRY(grant(access, reqs, env, o.mask == "never" ? nullptr : &mask_values, record));
      restricted = access.via_agent();
    } else if (!record.denied.empty()) {
      audit::Event event = audit::make_event("run", {});
      event.tool = tool;
      event.denied = record.denied;
      event.outcome = "denied";
      event.reason = "refused by the allow-list";
      TRY(audit::record_here(std::move(event)));
    }
    if (!restricted) TRY(restrict_descendants(ctx, keys, reqs));
    bool any_maskable = false;
    std::vector<std::string> too_short;
    for (const auto& v : mask_values) {
      if (v.value.size() >= kMinMaskLength) {
        any_maskable = true;
      } else if (std::find(too_short.begin(), too_short.end(), v.label) == too_short.end()) {
        too_short.push_back(v.label);
      }
    }
    for (const auto& label : too_short) {
      print_warning(fmt::format("{} is shorter than {} characters and will not be masked", label,
                                kMinMaskLength));
    }
    LaunchSpec spec;
    spec.exe_path = tool;
    spec.argv = o.command;
    if (o.mask == "never" || (!any_maskable && o.mask == "auto")) {
      spec.mode = OutputMode::direct;
    } else {
      spec.mode = stdout_is_terminal() ? OutputMode::pty : OutputMode::pipes;
      spec.build_masks = [&mask_values] { return MaskSet::build(std::move(mask_values)); };
    }
    ctx.exit_code = TRY(launch(spec, env));
    return {};
  }
  KeyAccessFactory keys(ctx);
  TRY(restrict_descendants(ctx, keys, {}));
  LaunchSpec spec;
  spec.exe_path = tool;
  spec.argv = o.command;
  spec.mode = OutputMode::direct;
  TRY(launch(spec, env));
  return {};
}

}  // namespace

void register_run_commands(CLI::App& app, Context& ctx) {
  auto* run = app.add_subcommand("run", "Run a command with exactly the secrets it is granted");
  auto o = std::make_shared<RunOptions>();
  run->add_option("--secret", o->secrets, "Grant PATH as VAR (PATH[=VAR], repeatable)");
  run->add_option("--env-file", o->env_files, "Grant the variables of a template file");
  run->add_flag("--secure", o->secure, "Keep only what the tool's allow-list allows");
  run->add_flag("--no-secrets", o->no_secrets, "Remove every ward value; grant nothing");
  run->add_flag("--pristine", o->pristine, "Start from PATH, HOME, USER, LANG, TERM only");
  run->add_option("--mask", o->mask, "Mask values in output: auto, always or never")
      ->capture_default_str();
  run->footer("Usage: ward run [OPTIONS] -- COMMAND [ARGS...]");
  run->callback([&ctx, o] {
    o->command = ctx.command;
    ctx.action = [&ctx, o] { return cmd_run(ctx, *o); };
  });
}

}  // namespace ward::cli
