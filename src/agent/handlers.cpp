#include "agent/handlers.hpp"

#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>

#include <sodium.h>

#include <fmt/format.h>

#include "agent/env_blob.hpp"
#include "audit/actor.hpp"
#include "core/agent_detect.hpp"
#include "core/process_info.hpp"
#include "util/file.hpp"
#include "util/time.hpp"
#include "vault/fingerprint.hpp"
#include "vault/meta_json.hpp"
#include "vault/secret_path.hpp"

namespace ward {

namespace {

Message ok_message() {
  Message m;
  m.body["ok"] = true;
  return m;
}

Result<Message> handle_status(AgentState& st, const Peer&, Message&, audit::Event&) {
  Message m = ok_message();
  std::int64_t now = monotonic_ms();
  m.body["unlocked"] = st.vault.has_value();
  m.body["pid"] = ::getpid();
  m.body["socket"] = st.config.socket_path;
  m.body["vault"] = st.config.vault_path;
  m.body["started"] = st.started_unix_s;
  m.body["ttl_left_s"] = std::max<std::int64_t>(0, (st.expires_mono_ms - now) / 1000);
  m.body["idle_left_s"] =
      std::max<std::int64_t>(0, st.config.idle_s - (now - st.last_activity_mono_ms) / 1000);
  if (st.vault) m.body["vault_id"] = st.vault->store().header().vault_id;
  m.body["session"] = st.session_id;
  return m;
}

// The server locks (checkpoint, wipe) once this request's event is written.
Result<Message> handle_lock(AgentState& st, const Peer&, Message&, audit::Event&) {
  st.stop_reason = "lock";
  st.stop = true;
  stop_listening(st);  // a client asking right after this finds no agent
  return ok_message();
}

// Refuses to release a value to a peer that runs under an AI agent, judged
// from what the kernel says about the peer, never from what it claims. Fails
// closed: a peer whose environment cannot be read is refused too.
Status check_reveal_allowed(const Peer& peer, const std::string& path) {
  auto names = read_process_env_names(peer.pid);
  if (!names) {
    return fail(Code::denied,
                fmt::format("refusing to reveal {}: cannot verify the calling process", path));
  }
  AgentDetection d = detect_ai_agent(*names, peer.pid);
  if (!d.detected) {
    ProcessInfo process = read_process(peer.pid).value_or(ProcessInfo{});
    for (const std::string& name : {process.comm, process.argv0, basename_of(process.exe)}) {
      std::string_view agent = agent_for_process_name(name);
      if (!name.empty() && !agent.empty()) {
        d = AgentDetection{true, std::string(agent), "process:" + name, {}};
        break;
      }
    }
  }
  return refuse_reveal_if_agent(d, path);
}

Result<Message> handle_get(AgentState& st, const Peer& peer, Message& req, audit::Event& ev) {
  std::string path = TRY(json_string(req.body, "path"));
  ev.secrets = {path};
  std::int64_t version = req.body.contains("version") ? TRY(json_int(req.body, "version")) : 0;
  bool reveal = json_bool(req.body, "reveal");
  ev.reason = reveal ? "revealed" : "masked";
  if (reveal) TRY(check_reveal_allowed(peer, path));
  std::int64_t found = 0;
  SecretBytes value = TRY(st.vault->get(path, version, &found));
  Message m = ok_message();
  m.body["path"] = path;
  m.body["version"] = found;
  if (reveal) {
    m.payload = std::move(value);
  } else {
    Fingerprint fp = fingerprint_of(value);
    m.body["kind"] = fp.kind;
    m.body["length"] = fp.length;
    m.body["preview"] = fp.preview;
  }
  return m;
}

Result<Message> handle_set(AgentState& st, const Peer&, Message& req, audit::Event& ev) {
  std::string path = TRY(json_string(req.body, "path"));
  ev.secrets = {path};
  // ward import stores through set, and says so.
  if (req.body.value("event", "") == "import") ev.event = "import";
  if (!req.payload) return fail(Code::protocol, "set carries no value");
  MetaUpdate meta;
  if (auto it = req.body.find("meta"); it != req.body.end()) meta = TRY(meta_update_from_json(*it));
  std::int64_t version = TRY(st.vault->set(path, *req.payload, meta));
  ev.reason = fmt::format("version {}", version);
  Message m = ok_message();
  m.body["version"] = version;
  return m;
}

Result<Message> handle_rollback(AgentState& st, const Peer&, Message& req, audit::Event& ev) {
  std::string path = TRY(json_string(req.body, "path"));
  ev.secrets = {path};
  std::int64_t old = TRY(json_int(req.body, "version"));
  std::int64_t version = TRY(st.vault->rollback(path, old));
  ev.reason = fmt::format("version {} restored as {}", old, version);
  Message m = ok_message();
  m.body["version"] = version;
  return m;
}

Result<std::vector<std::string>> string_list(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_array()) {
    return fail(Code::protocol, fmt::format("field '{}' missing or not a list", key));
  }
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return fail(Code::protocol, fmt::format("'{}' holds a non-string", key));
    out.push_back(v.get<std::string>());
  }
  return out;
}

// The current values of the secrets named in body["paths"], in order.
Result<std::vector<SecretBytes>> values_of_paths(AgentState& st, const nlohmann::json& body) {
  std::vector<SecretBytes> values;
  for (const auto& path : TRY(string_list(body, "paths"))) {
    values.push_back(TRY(st.vault->get(path)));
  }
  return values;
}

// Values of the named secrets, for a child's environment or a masker.
Result<Message> handle_resolve(AgentState& st, const Peer&, Message& req, audit::Event& ev) {
  ev.secrets = request_secret_names(req.body);
  Message m = ok_message();
  attach_values(m, TRY(values_of_paths(st, req.body)));
  return m;
}

// Renders template entries and seals each under the session key:
// items [{var, parts: [{ref: PATH} | {text: STRING}]}] -> blobs [{var, blob}].
Result<Message> handle_env_seal(AgentState& st, const Peer&, Message& req, audit::Event& ev) {
  auto items = req.body.find("items");
  if (items == req.body.end() || !items->is_array()) return fail(Code::protocol, "no items");
  for (const auto& item : *items) {
    if (!item.is_object() || !item.contains("parts") || !item["parts"].is_array()) continue;
    for (const auto& part : item["parts"]) {
      if (part.is_object() && part.contains("ref") && part["ref"].is_string()) {
        ev.secrets.push_back(part["ref"].get<std::string>());
      }
    }
  }
  nlohmann::json blobs = nlohmann::json::array();
  for (const auto& item : *items) {
    if (!item.is_object()) return fail(Code::protocol, "item is not an object");
    std::string var = TRY(json_string(item, "var"));
    auto parts = item.find("parts");
    if (parts == item.end() || !parts->is_array()) return fail(Code::protocol, "item has no parts");
    SecretBytes value;
    for (const auto& part : *parts) {
      if (!part.is_object()) return fail(Code::protocol, "part is not an object");
      if (part.contains("ref")) {
        SecretBytes v = TRY(st.vault->get(TRY(json_string(part, "ref"))));
        value.append(v.data(), v.size());
      } else {
        std::string text = TRY(json_string(part, "text"));
        value.append(text.data(), text.size());
      }
    }
    EnvBlob blob = seal_env_value(st.session_key, st.session_id, var, value);
    blobs.push_back({{"var", var}, {"blob", format_env_blob(blob)}});
  }
  Message m = ok_message();
  m.body["blobs"] = std::move(blobs);
  return m;
}

// Opens ENC[ward:...] blobs: items [{var, blob}] -> values in order.
Result<std::vector<SecretBytes>> open_items(AgentState& st, const nlohmann::json& items) {
  std::vector<SecretBytes> values;
  for (const auto& item : items) {
    if (!item.is_object()) return fail(Code::protocol, "item is not an object");
    std::string var = TRY(json_string(item, "var"));
    auto blob = parse_env_blob(TRY(json_string(item, "blob")));
    if (!blob) {
      return fail(Code::corrupt, fmt::format("{}: {}", var, blob.error().message));
    }
    values.push_back(TRY(open_env_value(st.session_key, st.session_id, var, *blob)));
  }
  return values;
}

Result<Message> handle_env_open(AgentState& st, const Peer&, Message& req, audit::Event& ev) {
  auto items = req.body.find("items");
  if (items == req.body.end() || !items->is_array()) return fail(Code::protocol, "no items");
  ev.secrets = request_secret_names(req.body);
  Message m = ok_message();
  attach_values(m, TRY(open_items(st, *items)));
  return m;
}

// Every current value, labelled with its path, for `ward mask`.
Result<Message> handle_mask_values(AgentState& st, const Peer&, Message&, audit::Event& ev) {
  nlohmann::json labels = nlohmann::json::array();
  std::vector<SecretBytes> values;
  for (const auto& info : TRY(st.vault->store().list(""))) {
    labels.push_back(info.path);
    ev.secrets.push_back(info.path);
    values.push_back(TRY(st.vault->get(info.path)));
  }
  Message m = ok_message();
  m.body["labels"] = std::move(labels);
  attach_values(m, values);
  return m;
}

// ward scan's question "is this value one of the vault's?": candidates
// (the payload cut at sizes) against every current value, compared by a
// hash keyed per request, so the answer is a path or null per candidate and
// no value leaves the agent. The matched paths are the event's secrets.
Result<Message> handle_match(AgentState& st, const Peer&, Message& req, audit::Event& ev) {
  auto sizes = req.body.find("sizes");
  if (sizes == req.body.end() || !sizes->is_array()) return fail(Code::protocol, "no sizes");
  std::size_t total = 0;
  for (const auto& n : *sizes) {
    if (!n.is_number_unsigned()) return fail(Code::protocol, "bad size");
    total += n.get<std::size_t>();
  }
  std::size_t payload_size = req.payload ? req.payload->size() : 0;
  if (total != payload_size) return fail(Code::protocol, "sizes do not add up to the payload");
  SecretBytes key = SecretBytes::random(32);
  auto keyed = [&](std::span<const std::uint8_t> value) {
    std::array<std::uint8_t, 32> h{};
    crypto_generichash(h.data(), h.size(), value.data(), value.size(), key.data(), key.size());
    return h;
  };
  std::map<std::array<std::uint8_t, 32>, std::string> known;
  for (const auto& info : TRY(st.vault->store().list(""))) {
    SecretBytes value = TRY(st.vault->get(info.path));
    known.emplace(keyed(std::span(value.data(), value.size())), info.path);
  }
  nlohmann::json paths = nlohmann::json::array();
  std::size_t at = 0;
  for (const auto& n : *sizes) {
    std::size_t size = n.get<std::size_t>();
    auto it = known.find(keyed(std::span(req.payload->data() + at, size)));
    at += size;
    if (it == known.end()) {
      paths.push_back(nullptr);
      continue;
    }
    paths.push_back(it->second);
    if (std::find(ev.secrets.begin(), ev.secrets.end(), it->second) == ev.secrets.end()) {
      ev.secrets.push_back(it->second);
    }
  }
  ev.reason = fmt::format("{} candidates", sizes->size());
  Message m = ok_message();
  m.body["paths"] = std::move(paths);
  return m;
}

// HMAC of a message under a key derived from the vault key for one purpose,
// so plain files (the trust store) can be authenticated by the user's vault.
Result<Message> handle_mac(AgentState& st, const Peer& peer, Message& req, audit::Event&) {
  std::string purpose = TRY(json_string(req.body, "purpose"));
  // A MAC is what makes a project trusted: never sign for an AI agent.
  TRY(check_reveal_allowed(peer, "a trust signature"));
  if (purpose != "trust")
    return fail(Code::protocol, fmt::format("unknown mac purpose '{}'", purpose));
  std::string message = TRY(json_string(req.body, "message"));
  SecretBytes key = derive_subkey(st.vault->key(), "mac:" + purpose);
  Message m = ok_message();
  m.body["mac"] = to_hex(hmac_sha256(key, as_bytes(message)));
  return m;
}

// Registers what this peer and its descendants may still ask for. A
// restricted peer can only narrow its restriction.
Status restrict_peer(AgentState& st, const Peer& peer, const nlohmann::json& body) {
  Restriction fresh{TRY(string_list(body, "vars")), TRY(string_list(body, "paths"))};
  if (const Restriction* current = restriction_for(st, peer)) {
    auto narrow = [](std::vector<std::string>& want, const std::vector<std::string>& allowed) {
      std::erase_if(want, [&](const std::string& x) {
        return std::find(allowed.begin(), allowed.end(), x) == allowed.end();
      });
    };
    narrow(fresh.vars, current->vars);
    narrow(fresh.paths, current->paths);
  }
  st.restrictions[peer.pid] = std::move(fresh);
  return {};
}

// ward run, just before it starts a child: restrict this peer and its
// descendants to what the child was granted.
Result<Message> handle_restrict(AgentState& st, const Peer& peer, Message& req, audit::Event&) {
  TRY(restrict_peer(st, peer, req.body));
  return ok_message();
}

// ward run's one request: the values of paths, then of the blobs in items
// ([{var, blob}]), and the restriction {vars, paths} registered in the same
// step, so no moment exists where the values are out and the peer is not yet
// restricted, and `ward run` pays one round trip rather than three.
Result<Message> handle_grant(AgentState& st, const Peer& peer, Message& req, audit::Event& ev) {
  ev.secrets = request_secret_names(req.body);
  ev.tool = req.body.value("tool", "");
  if (auto denied = req.body.find("denied"); denied != req.body.end() && denied->is_array()) {
    for (const auto& name : *denied) {
      if (name.is_string()) ev.denied.push_back(name.get<std::string>());
    }
  }
  auto restriction = req.body.find("restrict");
  if (restriction == req.body.end() || !restriction->is_object()) {
    return fail(Code::protocol, "grant carries no restriction");
  }
  std::vector<SecretBytes> values = TRY(values_of_paths(st, req.body));
  if (auto items = req.body.find("items"); items != req.body.end()) {
    if (!items->is_array()) return fail(Code::protocol, "items is not a list");
    for (auto& v : TRY(open_items(st, *items))) values.push_back(std::move(v));
  }
  TRY(restrict_peer(st, peer, *restriction));
  Message m = ok_message();
  attach_values(m, values);
  return m;
}

Result<Message> handle_rm(AgentState& st, const Peer&, Message& req, audit::Event& ev) {
  std::string path = TRY(json_string(req.body, "path"));
  ev.secrets = {path};
  TRY(validate_secret_path(path));
  TRY(st.vault->store().remove(path));
  return ok_message();
}

Result<Message> handle_mv(AgentState& st, const Peer&, Message& req, audit::Event& ev) {
  ev.secrets = request_secret_names(req.body);
  TRY(st.vault->move(TRY(json_string(req.body, "from")), TRY(json_string(req.body, "to"))));
  return ok_message();
}

// What `ward audit verify` checks the log against: the checkpoint public
// key and the head sealed at the last checkpoint.
Result<Message> handle_audit_anchor(AgentState& st, const Peer&, Message&, audit::Event&) {
  audit::Head sealed = TRY(sealed_audit_head(*st.vault));
  Message m = ok_message();
  m.body["public_key"] = st.audit ? st.audit->public_key_hex() : "";
  m.body["head_seq"] = sealed.seq;
  m.body["head_hash"] = sealed.hash;
  return m;
}

constexpr std::array<Handler, 16> kHandlers = {{
    {"status", nullptr, false, Activity::ignored, handle_status},
    {"lock", "lock", false, Activity::ignored, handle_lock},
    {"get", "get", true, Activity::counts, handle_get},
    {"set", "set", true, Activity::counts, handle_set},
    {"rm", "rm", true, Activity::counts, handle_rm},
    {"rollback", "rollback", true, Activity::counts, handle_rollback},
    {"mv", "mv", true, Activity::counts, handle_mv},
    {"resolve", "resolve", true, Activity::counts, handle_resolve},
    {"env_seal", "env", true, Activity::counts, handle_env_seal},
    {"env_open", "env.decrypt", true, Activity::counts, handle_env_open},
    {"mask_values", "mask.values", true, Activity::counts, handle_mask_values},
    {"mac", nullptr, true, Activity::counts, handle_mac},
    {"match", "scan.match", true, Activity::counts, handle_match},
    {"restrict", nullptr, true, Activity::ignored, handle_restrict},
    {"grant", "run", true, Activity::counts, handle_grant},
    {"audit_anchor", nullptr, true, Activity::ignored, handle_audit_anchor},
}};

}  // namespace

const Restriction* restriction_for(AgentState& st, const Peer& peer) {
  if (st.restrictions.empty()) return nullptr;
  std::erase_if(st.restrictions,
                [](const auto& kv) { return ::kill(kv.first, 0) != 0 && errno == ESRCH; });
  // Walk the whole parent chain, however deep the child nests.
  pid_t pid = peer.pid;
  for (int depth = 0; pid > 1 && depth < 256; ++depth) {
    if (auto it = st.restrictions.find(pid); it != st.restrictions.end()) return &it->second;
    ProcStat stat;
    if (!proc::read_stat(pid, stat)) break;
    pid = stat.ppid;
  }
  return nullptr;
}

Status check_restriction(const Restriction& r, std::string_view op, const Message& req) {
  auto refuse = [&](const std::string& what) {
    return fail(Code::denied,
                fmt::format("refused: {} was not granted to this 'ward run' child", what),
                "grant it on the ward run command line");
  };
  auto contains = [](const std::vector<std::string>& list, const std::string& x) {
    return std::find(list.begin(), list.end(), x) != list.end();
  };
  if (op == "status" || op == "restrict") return {};
  auto check_paths = [&]() -> Status {
    for (const auto& p : TRY(string_list(req.body, "paths"))) {
      if (!contains(r.paths, p)) return refuse(p);
    }
    return {};
  };
  auto check_items = [&]() -> Status {
    auto items = req.body.find("items");
    if (items == req.body.end() || !items->is_array()) return fail(Code::protocol, "no items");
    for (const auto& item : *items) {
      auto var = item.is_object() ? json_string(item, "var") : fail(Code::protocol, "bad item");
      if (!var || !contains(r.vars, *var)) return refuse(var ? *var : "a variable");
    }
    return {};
  };
  if (op == "resolve") return check_paths();
  if (op == "env_open") return check_items();
  if (op == "grant") {
    TRY(check_paths());
    return req.body.contains("items") ? check_items() : Status{};
  }
  if (op == "get" && !json_bool(req.body, "reveal")) {
    std::string path = TRY(json_string(req.body, "path"));
    return contains(r.paths, path) ? Status{} : refuse(path);
  }
  return fail(Code::denied, fmt::format("refused: '{}' is not available inside 'ward run'", op));
}

void lock_agent(AgentState& st, const std::string& reason) {
  if (st.audit && st.vault) {
    if (reason != "lock") {
      audit::Event event;
      event.event = "auto-lock";
      event.reason = reason;
      event.actor = audit::actor_of_self();
      (void)st.audit->record(std::move(event));
    }
    if (auto head = st.audit->checkpoint()) (void)seal_audit_head(*st.vault, *head);
  }
  if (st.audit) st.audit->wipe();
  st.vault.reset();  // wipes the key
  st.session_key = SecretBytes();
  stop_listening(st);
}

const Handler* find_handler(std::string_view op) {
  for (const auto& h : kHandlers) {
    if (op == h.op) return &h;
  }
  return nullptr;
}

}  // namespace ward
