#include "vault/meta_json.hpp"

#include "util/time.hpp"

namespace ward {

nlohmann::json to_json(const MetaUpdate& u) {
  nlohmann::json j = nlohmann::json::object();
  if (u.owner) j["owner"] = *u.owner;
  if (u.note) j["note"] = *u.note;
  if (u.location) j["location"] = *u.location;
  if (u.tags) j["tags"] = *u.tags;
  if (u.rotate_every) j["rotate_every"] = *u.rotate_every;
  if (u.expires) j["expires"] = *u.expires;
  return j;
}

Result<MetaUpdate> meta_update_from_json(const nlohmann::json& j) {
  MetaUpdate u;
  if (!j.is_object()) return fail(Code::protocol, "meta is not an object");
  auto str = [&](const char* key, std::optional<std::string>& out) -> Status {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_string())
      return fail(Code::protocol, std::string("meta field not a string: ") + key);
    out = it->get<std::string>();
    return {};
  };
  auto num = [&](const char* key, std::optional<std::int64_t>& out) -> Status {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_number_integer()) {
      return fail(Code::protocol, std::string("meta field not an integer: ") + key);
    }
    out = it->get<std::int64_t>();
    return {};
  };
  TRY(str("owner", u.owner));
  TRY(str("note", u.note));
  TRY(str("location", u.location));
  TRY(num("rotate_every", u.rotate_every));
  TRY(num("expires", u.expires));
  if (auto it = j.find("tags"); it != j.end()) {
    if (!it->is_array()) return fail(Code::protocol, "meta tags not an array");
    std::vector<std::string> tags;
    for (const auto& t : *it) {
      if (!t.is_string()) return fail(Code::protocol, "meta tag not a string");
      tags.push_back(t.get<std::string>());
    }
    u.tags = std::move(tags);
  }
  return u;
}

nlohmann::json to_json(const SecretInfo& info) {
  nlohmann::json j = {{"path", info.path},
                      {"version", info.version},
                      {"created", format_rfc3339(info.created)},
                      {"updated", format_rfc3339(info.updated)},
                      {"rotated", format_rfc3339(info.rotated)},
                      {"owner", info.meta.owner},
                      {"tags", info.meta.tags}};
  if (!info.meta.note.empty()) j["note"] = info.meta.note;
  if (!info.meta.location.empty()) j["location"] = info.meta.location;
  if (info.meta.rotate_every) j["rotate_every"] = info.meta.rotate_every;
  if (info.meta.expires) j["expires"] = format_rfc3339(info.meta.expires);
  return j;
}

}  // namespace ward
