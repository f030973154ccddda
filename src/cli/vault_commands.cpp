// ward init, set, get, ls, rm, mv, history, rollback.
#include <unistd.h>

#include <charconv>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/agent_detect.hpp"
#include "core/paths.hpp"
#include "crypto/secret_io.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "vault/fingerprint.hpp"
#include "vault/meta_json.hpp"
#include "vault/secret_path.hpp"

namespace ward::cli {

namespace {

struct SetOptions {
  std::string path;
  bool from_stdin = false;
  std::string from_file;
  std::string generate;  // length; empty for the default
  bool generate_given = false;
  std::string owner, note, location, rotate_every, expires;
  std::vector<std::string> tags;
};

Result<MetaUpdate> meta_from_options(const SetOptions& o) {
  MetaUpdate meta;
  if (!o.owner.empty()) meta.owner = o.owner;
  if (!o.note.empty()) meta.note = o.note;
  if (!o.location.empty()) meta.location = o.location;
  for (const auto& tag : o.tags) {
    if (tag.empty() || tag.find(',') != std::string::npos) {
      return fail(Code::usage, fmt::format("invalid tag '{}'", tag),
                  "a tag is a non-empty word without commas; repeat --tag for several");
    }
  }
  if (!o.tags.empty()) meta.tags = o.tags;
  if (!o.rotate_every.empty()) meta.rotate_every = TRY(parse_duration_s(o.rotate_every));
  if (!o.expires.empty()) meta.expires = TRY(parse_date(o.expires));
  return meta;
}

Result<SecretBytes> read_value(const SetOptions& o) {
  int sources = (o.from_stdin ? 1 : 0) + (o.from_file.empty() ? 0 : 1) + (o.generate_given ? 1 : 0);
  if (sources > 1) {
    return fail(Code::usage, "give the value one way: --stdin, --from-file or --generate");
  }
  if (o.generate_given) {
    std::size_t length = 32;
    if (!o.generate.empty()) {
      auto [ptr, ec] =
          std::from_chars(o.generate.data(), o.generate.data() + o.generate.size(), length);
      if (ec != std::errc() || ptr != o.generate.data() + o.generate.size()) length = 0;
    }
    if (length < 8 || length > 4096) {
      return fail(Code::usage, fmt::format("--generate length '{}' out of range", o.generate),
                  "use a length from 8 to 4096");
    }
    return generate_password(length);
  }
  SecretBytes value;
  if (o.from_stdin) {
    value = TRY(read_secret_fd(STDIN_FILENO, kMaxValueSize));
    // One trailing newline is how shells end a line, not part of the value.
    if (!value.empty() && value.data()[value.size() - 1] == '\n') value.truncate(value.size() - 1);
    if (!value.empty() && value.data()[value.size() - 1] == '\r') value.truncate(value.size() - 1);
  } else if (!o.from_file.empty()) {
    value = TRY(read_secret_file(o.from_file, kMaxValueSize));
  } else {
    if (!have_terminal()) {
      return fail(Code::usage, "no value given and no terminal to ask for it",
                  "use --stdin, --from-file FILE or --generate");
    }
    value = TRY(read_hidden_line(fmt::format("Value for {}: ", o.path)));
  }
  if (value.empty()) return fail(Code::invalid_input, "refusing to store an empty value");
  return value;
}

Status cmd_init(const Context& ctx, const std::string& kdf) {
  KdfProfile profile = TRY(parse_kdf_profile(kdf));
  std::string path = vault_path();
  if (path_exists(path)) {
    return fail(Code::already_exists, fmt::format("a vault already exists at {}", path),
                "remove it first, or set WARD_HOME to another directory");
  }
  PassphraseSource source = resolve_passphrase_source(ctx.passphrase);
  SecretBytes pass = TRY(read_passphrase(source, "New vault passphrase: ", true));
  TRY(check_passphrase_strength(pass));
  TRY(audited(audit::make_event("init", {}), Vault::create(path, pass, profile)));
  fmt::print("created vault at {} (kdf {})\n", path, kdf);
  return {};
}

Status cmd_set(const Context& ctx, const SetOptions& o) {
  TRY(validate_secret_path(o.path));
  MetaUpdate meta = TRY(meta_from_options(o));
  TRY(ctx.open_store());  // fail on a missing or unsafe vault before asking for the value
  SecretBytes value = TRY(read_value(o));
  std::int64_t version = 0;
  if (auto agent = TRY(ctx.agent())) {
    Message req;
    req.body = {{"op", "set"}, {"path", o.path}, {"meta", to_json(meta)}};
    req.payload = std::move(value);
    Message resp = TRY(agent->call(req));
    version = TRY(json_int(resp.body, "version"));
  } else {
    version = TRY(audited(audit::make_event("set", {o.path}), [&]() -> Result<std::int64_t> {
      Vault vault = TRY(ctx.unlock_directly());
      return vault.set(o.path, value, meta);
    }()));
  }
  fmt::print("stored {} (version {})\n", o.path, version);
  return {};
}

Status cmd_get(const Context& ctx, const std::string& path, bool reveal, std::int64_t version) {
  TRY(validate_secret_path(path));
  if (reveal) {
    // A refusal is recorded too: an AI agent asking to see a value is news.
    if (Status allowed = refuse_reveal_if_agent(detect_ai_agent_here(), path); !allowed) {
      return audited(audit::make_event("get", {path}), std::move(allowed));
    }
  }
  nlohmann::json out;
  if (auto agent = TRY(ctx.agent())) {
    nlohmann::json req = {{"path", path}, {"reveal", reveal}};
    if (version) req["version"] = version;
    Message resp = TRY(agent->call("get", req));
    if (reveal) {
      if (!resp.payload) return fail(Code::protocol, "the agent sent no value");
      return write_secret_to_stdout(*resp.payload);
    }
    out = {{"path", path},
           {"version", resp.body.value("version", 0)},
           {"kind", resp.body.value("kind", "")},
           {"length", resp.body.value("length", 0)},
           {"preview", resp.body.value("preview", "")}};
  } else {
    TRY(ctx.open_store());
    std::int64_t found = 0;
    audit::Event event = audit::make_event("get", {path});
    event.reason = reveal ? "revealed" : "masked";
    // Recorded before the value (or its fingerprint) is shown; fails closed.
    SecretBytes value = TRY(audited(std::move(event), [&]() -> Result<SecretBytes> {
      Vault vault = TRY(ctx.unlock_directly());
      return vault.get(path, version, &found);
    }()));
    if (reveal) return write_secret_to_stdout(value);
    Fingerprint fp = fingerprint_of(value);
    out = {{"path", path},
           {"version", found},
           {"kind", fp.kind},
           {"length", fp.length},
           {"preview", fp.preview}};
  }
  if (ctx.json) {
    fmt::print("{}\n", out.dump());
  } else {
    std::string preview = out["preview"].get<std::string>();
    fmt::print("{}  v{}  {}  {} chars{}\n", path, out["version"].get<std::int64_t>(),
               out["kind"].get<std::string>(), out["length"].get<std::size_t>(),
               preview.empty() ? "" : "  " + preview);
  }
  return {};
}

Status cmd_ls(const Context& ctx, const std::string& prefix) {
  Store store = TRY(ctx.open_store());
  auto secrets = TRY(store.list(prefix));
  if (ctx.json) {
    // Streamed one entry at a time: a 10,000-entry document is slow to build.
    std::string out = "[";
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      if (i) out += ',';
      out += to_json(secrets[i]).dump();
    }
    out += "]\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return {};
  }
  if (secrets.empty()) {
    if (stdout_is_terminal())
      fmt::print(stderr, "no secrets{}\n", prefix.empty() ? "" : " under " + prefix);
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  rows.reserve(secrets.size() + 1);
  rows.push_back({"PATH", "VERSION", "UPDATED", "OWNER", "TAGS"});
  for (const auto& s : secrets) {
    rows.push_back({s.path, std::to_string(s.version), format_rfc3339(s.updated),
                    s.meta.owner.empty() ? "-" : s.meta.owner,
                    s.meta.tags.empty() ? "-" : join(s.meta.tags, ",")});
  }
  print_table(rows);
  return {};
}

Status cmd_rm(const Context& ctx, const std::string& path) {
  TRY(validate_secret_path(path));
  // Removing needs the same authority as reading: the agent or the passphrase.
  if (auto agent = TRY(ctx.agent())) {
    TRY(agent->call("rm", {{"path", path}}));
  } else {
    TRY(audited(audit::make_event("rm", {path}), [&]() -> Status {
      Vault vault = TRY(ctx.unlock_directly());
      return vault.store().remove(path);
    }()));
  }
  fmt::print("removed {}\n", path);
  return {};
}

Status cmd_mv(const Context& ctx, const std::string& from, const std::string& to) {
  TRY(validate_secret_path(from));
  TRY(validate_secret_path(to));
  if (auto agent = TRY(ctx.agent())) {
    TRY(agent->call("mv", {{"from", from}, {"to", to}}));
  } else {
    TRY(audited(audit::make_event("mv", {from, to}), [&]() -> Status {
      Vault vault = TRY(ctx.unlock_directly());
      return vault.move(from, to);
    }()));
  }
  fmt::print("moved {} to {}\n", from, to);
  return {};
}

Status cmd_history(const Context& ctx, const std::string& path) {
  TRY(validate_secret_path(path));
  Store store = TRY(ctx.open_store());
  SecretInfo info = TRY(store.info(path));
  auto versions = TRY(store.history(path));
  if (ctx.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& v : versions) {
      arr.push_back({{"version", v.version},
                     {"created", format_rfc3339(v.created)},
                     {"current", v.version == info.version}});
    }
    fmt::print("{}\n", arr.dump());
    return {};
  }
  std::vector<std::vector<std::string>> rows = {{"VERSION", "CREATED", ""}};
  for (const auto& v : versions) {
    rows.push_back({std::to_string(v.version), format_rfc3339(v.created),
                    v.version == info.version ? "current" : ""});
  }
  print_table(rows);
  return {};
}

Status cmd_rollback(const Context& ctx, const std::string& path, std::int64_t version) {
  TRY(validate_secret_path(path));
  if (version <= 0) return fail(Code::usage, "version must be a positive number");
  std::int64_t fresh = 0;
  if (auto agent = TRY(ctx.agent())) {
    Message resp = TRY(agent->call("rollback", {{"path", path}, {"version", version}}));
    fresh = TRY(json_int(resp.body, "version"));
  } else {
    fresh = TRY(audited(audit::make_event("rollback", {path}), [&]() -> Result<std::int64_t> {
      Vault vault = TRY(ctx.unlock_directly());
      return vault.rollback(path, version);
    }()));
  }
  fmt::print("restored {} version {} as version {}\n", path, version, fresh);
  return {};
}

}  // namespace

void register_vault_commands(CLI::App& app, Context& ctx) {
  auto* init = app.add_subcommand("init", "Create a new encrypted vault");
  auto kdf = std::make_shared<std::string>("moderate");
  init->add_option("--kdf", *kdf, "Argon2id cost: interactive, moderate or sensitive")
      ->capture_default_str();
  init->callback([&ctx, kdf] { ctx.action = [&ctx, kdf] { return cmd_init(ctx, *kdf); }; });

  auto* set = app.add_subcommand("set", "Store a secret (value from a hidden prompt, never argv)");
  auto so = std::make_shared<SetOptions>();
  set->add_option("path", so->path, "Secret path, e.g. llm/anthropic")->required();
  set->add_flag("--stdin", so->from_stdin, "Read the value from standard input");
  set->add_option("--from-file", so->from_file, "Read the value from a file");
  set->add_option("--generate", so->generate, "Generate a random value of LEN characters (32)")
      ->expected(0, 1);
  set->add_option("--owner", so->owner, "Who owns this secret");
  set->add_option("--note", so->note, "A note");
  set->add_option("--tag", so->tags, "A tag (repeatable)");
  set->add_option("--location", so->location, "Where the secret lives upstream");
  set->add_option("--rotate-every", so->rotate_every, "Rotation period, e.g. 90d");
  set->add_option("--expires", so->expires, "Expiry date, YYYY-MM-DD or RFC 3339");
  set->callback([&ctx, so, set] {
    so->generate_given = set->count("--generate") > 0;
    ctx.action = [&ctx, so] { return cmd_set(ctx, *so); };
  });

  auto* get =
      app.add_subcommand("get", "Show a masked fingerprint of a secret (--reveal: the value)");
  auto get_path = std::make_shared<std::string>();
  auto reveal = std::make_shared<bool>(false);
  auto get_version = std::make_shared<std::int64_t>(0);
  get->add_option("path", *get_path, "Secret path")->required();
  get->add_flag("--reveal", *reveal, "Print the value itself (refused under an AI agent)");
  get->add_option("--version", *get_version, "A past version");
  get->add_flag("--json", ctx.json, "JSON output");
  get->callback([&ctx, get_path, reveal, get_version] {
    ctx.action = [&ctx, get_path, reveal, get_version] {
      return cmd_get(ctx, *get_path, *reveal, *get_version);
    };
  });

  auto* ls = app.add_subcommand("ls", "List secrets (names and metadata, never values)");
  auto prefix = std::make_shared<std::string>();
  ls->add_option("prefix", *prefix, "Only paths under this prefix");
  ls->add_flag("--json", ctx.json, "JSON output");
  ls->callback([&ctx, prefix] { ctx.action = [&ctx, prefix] { return cmd_ls(ctx, *prefix); }; });

  auto* rm = app.add_subcommand("rm", "Remove a secret and all its versions");
  auto rm_path = std::make_shared<std::string>();
  rm->add_option("path", *rm_path, "Secret path")->required();
  rm->callback([&ctx, rm_path] { ctx.action = [&ctx, rm_path] { return cmd_rm(ctx, *rm_path); }; });

  auto* mv = app.add_subcommand("mv", "Rename a secret, keeping its history");
  auto mv_paths = std::make_shared<std::pair<std::string, std::string>>();
  mv->add_option("from", mv_paths->first, "Current path")->required();
  mv->add_option("to", mv_paths->second, "New path")->required();
  mv->callback([&ctx, mv_paths] {
    ctx.action = [&ctx, mv_paths] { return cmd_mv(ctx, mv_paths->first, mv_paths->second); };
  });

  auto* history = app.add_subcommand("history", "List the versions of a secret");
  auto hist_path = std::make_shared<std::string>();
  history->add_option("path", *hist_path, "Secret path")->required();
  history->add_flag("--json", ctx.json, "JSON output");
  history->callback([&ctx, hist_path] {
    ctx.action = [&ctx, hist_path] { return cmd_history(ctx, *hist_path); };
  });

  auto* rollback = app.add_subcommand("rollback", "Make an old version current again");
  auto rb_path = std::make_shared<std::string>();
  auto rb_version = std::make_shared<std::int64_t>(0);
  rollback->add_option("path", *rb_path, "Secret path")->required();
  rollback->add_option("version", *rb_version, "Version to restore")->required();
  rollback->callback([&ctx, rb_path, rb_version] {
    ctx.action = [&ctx, rb_path, rb_version] { return cmd_rollback(ctx, *rb_path, *rb_version); };
  });
}

}  // namespace ward::cli
