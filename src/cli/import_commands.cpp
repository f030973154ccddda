// ward import, ward passwd.
#include <memory>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/import_scan.hpp"
#include "cli/output.hpp"
#include "core/paths.hpp"
#include "crypto/secret_io.hpp"
#include "util/strings.hpp"
#include "vault/dotenv.hpp"
#include "vault/secret_path.hpp"

namespace ward::cli {

namespace {

struct ImportOptions {
  std::string file;
  std::string scan;  // --scan PATH
  std::string prefix;
  bool dry_run = false;
};

Status cmd_import(const Context& ctx, const ImportOptions& o) {
  std::string prefix(trim(o.prefix));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) TRY(validate_secret_path(prefix));
  SecretBytes text = TRY(read_secret_file(o.file));
  auto entries = TRY(parse_dotenv(text.view()));
  // Work out every path first so a bad name stops the import before any write.
  std::vector<std::string> paths;
  for (const auto& e : entries) {
    std::string path = (prefix.empty() ? "" : prefix + "/") + to_lower(e.name);
    auto valid = validate_secret_path(path);
    if (!valid) {
      return fail(Code::invalid_input,
                  fmt::format("{} line {}: {} cannot be a secret path", o.file, e.line, e.name),
                  valid.error().hint);
    }
    if (e.value.size() > kMaxValueSize) {
      return fail(Code::invalid_input,
                  fmt::format("{} line {}: value of {} is larger than {} bytes", o.file, e.line,
                              e.name, kMaxValueSize));
    }
    paths.push_back(std::move(path));
  }
  TRY(ctx.open_store());
  std::optional<AgentClient> agent;
  std::optional<Vault> vault;
  std::vector<std::string> imported;  // recorded as one event when done directly
  auto record = [&](const Error* failure) {
    audit::Event event = audit::make_event("import", imported, failure);
    event.tool = o.file;
    return audit::record_here(std::move(event));
  };
  if (!o.dry_run) {
    agent = TRY(ctx.agent());
    if (!agent) {
      auto opened = ctx.unlock_directly();
      if (!opened) {
        (void)record(&opened.error());
        return tl::unexpected(opened.error());
      }
      vault.emplace(std::move(*opened));
    }
  }
  std::string tmpl;
  std::size_t stored = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.value.empty()) {
      print_warning(fmt::format("{}: empty value, not imported", e.name));
      tmpl += fmt::format("{}=\n", e.name);
      continue;
    }
    if (!o.dry_run) {
      if (agent) {
        // The agent records each as an import event.
        Message req;
        req.body = {{"op", "set"}, {"path", paths[i]}, {"event", "import"}};
        req.payload = e.value.clone();
        TRY(agent->call(req));
      } else {
        auto set = vault->set(paths[i], e.value, {});
        if (!set) {
          (void)record(&set.error());
          return tl::unexpected(set.error());
        }
        imported.push_back(paths[i]);
      }
    }
    ++stored;
    tmpl += fmt::format("{}=${{ward:{}}}\n", e.name, paths[i]);
  }
  if (vault) TRY(record(nullptr));
  std::fwrite(tmpl.data(), 1, tmpl.size(), stdout);
  std::fflush(stdout);
  fmt::print(stderr, "{} {} secret{} from {}\n", o.dry_run ? "would import" : "imported", stored,
             stored == 1 ? "" : "s", o.file);
  return {};
}

struct PasswdOptions {
  std::string kdf;  // empty: keep the vault's current cost
  std::string new_passphrase_file;
};

Status cmd_passwd(const Context& ctx, const PasswdOptions& o) {
  std::optional<KdfParams> kdf;
  if (!o.kdf.empty()) kdf = kdf_params_for(TRY(parse_kdf_profile(o.kdf)));
  Store store = TRY(ctx.open_store());
  PassphraseSource old_source = resolve_passphrase_source(ctx.passphrase);
  SecretBytes old_pass = TRY(read_passphrase(old_source, "Current passphrase: ", false));
  auto unlocked = Vault::unlock(std::move(store), old_pass);
  if (unlocked) {
    auto second = check_second_factor(ctx, *unlocked);
    if (!second) unlocked = tl::unexpected(second.error());
  }
  if (!unlocked)
    return audited(audit::make_event("passwd", {}), Status(tl::unexpected(unlocked.error())));
  Vault vault = std::move(*unlocked);
  PassphraseSource new_source;
  new_source.file = o.new_passphrase_file;
  if (new_source.file.empty() && !have_terminal()) {
    return fail(Code::locked, "no terminal to ask for the new passphrase",
                "use --new-passphrase-file FILE");
  }
  SecretBytes new_pass = TRY(read_passphrase(new_source, "New passphrase: ", true));
  TRY(check_passphrase_strength(new_pass));
  TRY(audited(audit::make_event("passwd", {}), vault.change_passphrase(new_pass, kdf)));
  fmt::print("passphrase changed{}\n", o.kdf.empty() ? "" : " (kdf " + o.kdf + ")");
  return {};
}

}  // namespace

void register_import_commands(CLI::App& app, Context& ctx) {
  auto* import_cmd = app.add_subcommand(
      "import", "Copy the values of a .env file into the vault and print the template");
  auto io = std::make_shared<ImportOptions>();
  import_cmd->add_option("file", io->file, "The dotenv file");
  import_cmd->add_option("--scan", io->scan,
                         "Find secrets in this config file or directory (dotenv, YAML, JSON, "
                         "TOML, ini), store them and rewrite the files to ${ward:PATH}");
  import_cmd->add_option("--prefix", io->prefix, "Store under this path prefix");
  import_cmd->add_flag("--dry-run", io->dry_run, "Show what would be stored; store nothing");
  import_cmd->callback([&ctx, io] {
    ctx.action = [&ctx, io]() -> Status {
      if (io->file.empty() == io->scan.empty()) {
        return fail(Code::usage, "give either a dotenv FILE or --scan PATH",
                    "ward import .env, or ward import --scan config/");
      }
      if (!io->scan.empty()) return cmd_import_scan(ctx, {io->scan, io->prefix, io->dry_run});
      return cmd_import(ctx, *io);
    };
  });

  auto* passwd =
      app.add_subcommand("passwd", "Change the vault passphrase (re-wraps the key only)");
  auto po = std::make_shared<PasswdOptions>();
  passwd->add_option("--kdf", po->kdf,
                     "Argon2id cost for the new passphrase (default: keep the current one)");
  passwd->add_option("--new-passphrase-file", po->new_passphrase_file,
                     "Read the new passphrase from a file");
  passwd->callback([&ctx, po] { ctx.action = [&ctx, po] { return cmd_passwd(ctx, *po); }; });
}

}  // namespace ward::cli
