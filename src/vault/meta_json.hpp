// JSON forms of secret metadata, shared by the agent wire and `--json` output.
#pragma once

#include <nlohmann/json.hpp>

#include "util/result.hpp"
#include "vault/store.hpp"

namespace ward {

nlohmann::json to_json(const MetaUpdate& update);
// protocol error on wrong field types.
Result<MetaUpdate> meta_update_from_json(const nlohmann::json& j);
// {path, version, created, updated, rotated, owner, tags, note, location, rotate_every, expires}
nlohmann::json to_json(const SecretInfo& info);

}  // namespace ward
