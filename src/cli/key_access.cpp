#include "cli/key_access.hpp"

#include <fmt/format.h>

namespace ward::cli {

Result<KeyAccess> KeyAccess::open(const Context& ctx) {
  KeyAccess access;
  if (auto agent = TRY(ctx.agent())) {
    access.agent_ = std::move(agent);
  } else {
    auto vault = ctx.unlock_directly();
    if (!vault) {
      // The operation never started: what failed is the unlock.
      (void)audit::record_here(audit::make_event("unlock", {}, &vault.error()));
      return tl::unexpected(vault.error());
    }
    access.vault_.emplace(std::move(*vault));
  }
  return access;
}

Result<std::optional<KeyAccess>> KeyAccess::running_agent(const Context& ctx) {
  auto agent = TRY(ctx.agent());
  if (!agent) return std::nullopt;
  KeyAccess access;
  access.agent_ = std::move(agent);
  return access;
}

Result<std::vector<SecretBytes>> KeyAccess::resolve(const std::vector<std::string>& paths) {
  if (agent_) return detach_values(TRY(agent_->call("resolve", {{"paths", paths}})));
  return audited(audit::make_event("resolve", paths), values_here(paths));
}

Result<std::vector<SecretBytes>> KeyAccess::values_here(const std::vector<std::string>& paths) {
  std::vector<SecretBytes> out;
  for (const auto& p : paths) out.push_back(TRY(vault_->get(p)));
  return out;
}
Result<std::vector<SecretBytes>> KeyAccess::open_blobs(const nlohmann::json& items) {
  if (!agent_) {
    return fail(Code::locked, "encrypted environment values need the running agent",
                "run 'ward unlock'");
  }
  return detach_values(TRY(agent_->call("env_open", {{"items", items}})));
}

Result<std::vector<SecretBytes>> KeyAccess::grant(const std::vector<std::string>& paths,
                                                  const nlohmann::json& items,
                                                  const nlohmann::json& restriction,
                                                  const GrantRecord& record) {
  if (!agent_) {
    audit::Event event =
        audit::make_event("run", request_secret_names({{"paths", paths}, {"items", items}}));
    event.tool = record.tool;
    event.denied = record.denied;
    return audited(std::move(event), [&]() -> Result<std::vector<SecretBytes>> {
      std::vector<SecretBytes> out = TRY(values_here(paths));
      if (!items.empty()) {
        for (auto& v : TRY(open_blobs(items))) out.push_back(std::move(v));
      }
      return out;
    }());
  }
  nlohmann::json body = {{"paths", paths},
                         {"restrict", restriction},
                         {"tool", record.tool},
                         {"denied", record.denied}};
  if (!items.empty()) body["items"] = items;
  auto values = TRY(detach_values(TRY(agent_->call("grant", body))));
  if (values.size() != paths.size() + items.size()) {
    return fail(Code::protocol, "malformed grant response");
  }
  return values;
}

Result<std::string> KeyAccess::mac(std::string_view message) {
  if (agent_) {
    Message resp = TRY(agent_->call("mac", {{"purpose", "trust"}, {"message", message}}));
    return json_string(resp.body, "mac");
  }
  SecretBytes key = derive_subkey(vault_->key(), "mac:trust");
  return to_hex(hmac_sha256(key, as_bytes(message)));
}

Result<std::vector<std::pair<std::string, SecretBytes>>> KeyAccess::all_values() {
  std::vector<std::pair<std::string, SecretBytes>> out;
  if (agent_) {
    Message resp = TRY(agent_->call("mask_values"));
    auto values = TRY(detach_values(resp));
    auto labels = resp.body.find("labels");
    if (labels == resp.body.end() || !labels->is_array() || labels->size() != values.size()) {
      return fail(Code::protocol, "malformed mask_values response");
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!(*labels)[i].is_string()) return fail(Code::protocol, "malformed label");
      out.emplace_back((*labels)[i].get<std::string>(), std::move(values[i]));
    }
    return out;
  }
  std::vector<std::string> paths;
  for (const auto& info : TRY(vault_->store().list(""))) paths.push_back(info.path);
  auto values = TRY(audited(audit::make_event("mask.values", paths), values_here(paths)));
  for (std::size_t i = 0; i < paths.size(); ++i) out.emplace_back(paths[i], std::move(values[i]));
  return out;
}

}  // namespace ward::cli
