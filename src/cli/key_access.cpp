#include "cli/key_access.hpp"

#include <fmt/format.h>

namespace ward::cli {

Result<KeyAccess> KeyAccess::open(const Context& ctx) {
  KeyAccess access;
  if (auto agent = TRY(ctx.agent())) {
    access.agent_ = std::move(agent);
  } else {
    access.vault_.emplace(TRY(ctx.unlock_directly()));
  }
  return access;
}

Result<std::vector<SecretBytes>> KeyAccess::resolve(const std::vector<std::string>& paths) {
  if (agent_) return detach_values(TRY(agent_->call("resolve", {{"paths", paths}})));
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
                                                  const nlohmann::json& restriction) {
  if (!agent_) {
    std::vector<SecretBytes> out = TRY(resolve(paths));
    if (!items.empty()) {
      for (auto& v : TRY(open_blobs(items))) out.push_back(std::move(v));
    }
    return out;
  }
  nlohmann::json body = {{"paths", paths}, {"restrict", restriction}};
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
  for (const auto& info : TRY(vault_->store().list(""))) {
    out.emplace_back(info.path, TRY(vault_->get(info.path)));
  }
  return out;
}

}  // namespace ward::cli
