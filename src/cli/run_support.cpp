#include "cli/run_support.hpp"

#include <unistd.h>

#include <map>

#include <fmt/format.h>

#include "cli/output.hpp"
#include "core/paths.hpp"
#include "run/trust.hpp"
#include "util/file.hpp"

namespace ward::cli {

Result<std::reference_wrapper<KeyAccess>> KeyAccessFactory::get() {
  if (!access_) access_.emplace(TRY(KeyAccess::open(ctx_)));
  return std::ref(*access_);
}

bool valid_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

ChildEnv pristine_env(const ChildEnv& env) {
  ChildEnv out;
  for (const char* name : {"PATH", "HOME", "USER", "LANG", "TERM"}) {
    if (env.has(name)) out.set(name, env.get(name));
  }
  return out;
}

namespace {

std::string current_dir() {
  char buf[4096];
  return ::getcwd(buf, sizeof buf) ? std::string(buf) : std::string(".");
}

}  // namespace

Result<std::optional<std::string>> read_trusted_project_file(KeyAccessFactory& keys,
                                                             const std::string& project,
                                                             const std::string& relpath) {
  std::string path = project + "/.ward/" + relpath;
  TrustStore store = TRY(TrustStore::load(default_trust_store_path()));
  KeyAccess& access = TRY(keys.get());
  MacFn mac = [&](std::string_view message) { return access.mac(message); };
  std::string why;
  auto checked = store.check(project, mac, &why);
  if (!checked && checked.error().code == Code::denied) {
    // Inside an AI agent or a restricted child the agent will not vouch for files.
    print_warning(fmt::format("ignoring {}: {}", path, checked.error().message));
    return std::optional<std::string>();
  }
  auto verdict = TRY(std::move(checked));
  if (verdict != TrustStore::Verdict::trusted) {
    print_warning(fmt::format("ignoring {}: {}", path, why.empty() ? "not trusted" : why));
    print_warning(fmt::format("run 'ward trust {}' once you have read it", project));
    return std::optional<std::string>();
  }
  std::string content = TRY(read_file(path));
  // Check the bytes actually read, not just the file checked a moment ago.
  auto pinned = store.pinned_sha256(project, relpath);
  if (!pinned || *pinned != to_hex(sha256(as_bytes(content)))) {
    print_warning(fmt::format("ignoring {}: changed since 'ward trust'", path));
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::move(content));
}

Result<Allowlist> load_effective_allowlist(const Context&, KeyAccessFactory& keys) {
  if (auto project = find_project_dir(current_dir())) {
    if (path_exists(*project + "/.ward/allowlist.yaml")) {
      if (auto text = TRY(read_trusted_project_file(keys, *project, "allowlist.yaml"))) {
        return parse_allowlist(*text, *project + "/.ward/allowlist.yaml");
      }
    }
  }
  std::string user = config_dir() + "/allowlist.yaml";
  auto text = read_file(user);
  if (!text) {
    if (text.error().code != Code::not_found) return tl::unexpected(text.error());
    return fail(Code::usage, "--secure needs an allow-list and there is none",
                fmt::format("create {} with lines like 'claude: [ANTHROPIC_API_KEY]'", user));
  }
  return parse_allowlist(*text, user);
}

Result<std::vector<TemplateEntry>> tool_template(const Context&, KeyAccessFactory& keys,
                                                 const std::string& name) {
  std::string relpath = "templates/" + name + ".env";
  if (auto project = find_project_dir(current_dir())) {
    if (path_exists(*project + "/.ward/" + relpath)) {
      if (auto text = TRY(read_trusted_project_file(keys, *project, relpath))) {
        return parse_template(*text);
      }
    }
  }
  std::string user = config_dir() + "/" + relpath;
  if (!path_exists(user)) return std::vector<TemplateEntry>{};
  return load_template_file(user);
}

namespace {

// What a process granted these requests may still ask the agent for.
nlohmann::json restriction_body(const std::vector<Request>& granted) {
  std::vector<std::string> vars, paths;
  for (const auto& r : granted) {
    if (r.entry) {
      for (const auto& p : r.entry->paths()) paths.push_back(p);
    } else {
      vars.push_back(r.var);
    }
  }
  return {{"vars", vars}, {"paths", paths}};
}

}  // namespace

Status restrict_descendants(const Context& ctx, KeyAccessFactory& keys,
                            const std::vector<Request>& granted) {
  nlohmann::json body = restriction_body(granted);
  if (KeyAccess* access = keys.peek(); access && access->via_agent()) {
    TRY(access->agent().call("restrict", body));
    return {};
  }
  if (auto agent = TRY(ctx.agent())) {
    auto done = agent->call("restrict", body);
    // A locked agent holds nothing the child could ask for.
    if (!done && done.error().code != Code::locked) return tl::unexpected(done.error());
  }
  return {};
}

Status grant(KeyAccess& access, const std::vector<Request>& requests, ChildEnv& env,
             std::vector<MaskValue>* masks, const GrantRecord& record) {
  std::vector<std::string> paths;
  nlohmann::json blobs = nlohmann::json::array();
  for (const auto& r : requests) {
    if (r.entry) {
      for (const auto& p : r.entry->paths()) {
        if (std::find(paths.begin(), paths.end(), p) == paths.end()) paths.push_back(p);
      }
    } else {
      blobs.push_back({{"var", r.var}, {"blob", r.blob}});
    }
  }
  auto values = TRY(access.grant(paths, blobs, restriction_body(requests), record));
  std::map<std::string, SecretBytes> by_path;
  for (std::size_t i = 0; i < paths.size(); ++i) by_path.emplace(paths[i], std::move(values[i]));
  std::size_t next_blob = paths.size();
  for (const auto& r : requests) {
    // A whole-value reference (the usual case) is set straight from the
    // response: every copy is a locked allocation, and they add up.
    const bool single_ref = r.entry && r.entry->parts.size() == 1 && r.entry->parts[0].is_ref;
    SecretBytes rendered;
    const SecretBytes* value = &rendered;
    if (single_ref) {
      value = &by_path.at(r.entry->parts[0].path);
    } else if (r.entry) {
      rendered = TRY(render_entry(*r.entry, [&](const std::string& p) -> Result<SecretBytes> {
        return by_path.at(p).clone();
      }));
    } else {
      value = &values[next_blob++];
    }
    env.set(r.var, *value);
    if (masks == nullptr) continue;
    // Only what came from the vault is masked: a literal like MODE=production is not a secret.
    if (r.entry) {
      if (r.entry->paths().empty()) continue;
      for (const auto& p : r.entry->paths())
        masks->push_back(MaskValue{r.var, by_path.at(p).clone()});
      if (single_ref) continue;
    }
    masks->push_back(MaskValue{r.var, value->clone()});
  }
  return {};
}

}  // namespace ward::cli
