#include "agent/handlers.hpp"

#include <unistd.h>

#include <array>

#include <fmt/format.h>

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

Result<Message> handle_status(AgentState& st, const Peer&, Message&) {
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
  return m;
}

Result<Message> handle_lock(AgentState& st, const Peer&, Message&) {
  st.vault.reset();  // wipes the key now; the main loop exits
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
    for (const std::string& name :
         {peer.process.comm, peer.process.argv0, basename_of(peer.process.exe)}) {
      std::string_view agent = agent_for_process_name(name);
      if (!name.empty() && !agent.empty()) {
        d = AgentDetection{true, std::string(agent), "process:" + name, {}};
        break;
      }
    }
  }
  if (d.detected) {
    return fail(Code::denied,
                fmt::format("refusing to reveal {}: caller runs under an AI agent ({}, {})", path,
                            d.name, d.via),
                "reveal values in your own terminal; a masked 'ward get' works here");
  }
  return {};
}

Result<Message> handle_get(AgentState& st, const Peer& peer, Message& req) {
  std::string path = TRY(json_string(req.body, "path"));
  std::int64_t version = req.body.contains("version") ? TRY(json_int(req.body, "version")) : 0;
  bool reveal = json_bool(req.body, "reveal");
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

Result<Message> handle_set(AgentState& st, const Peer&, Message& req) {
  std::string path = TRY(json_string(req.body, "path"));
  if (!req.payload) return fail(Code::protocol, "set carries no value");
  MetaUpdate meta;
  if (auto it = req.body.find("meta"); it != req.body.end()) meta = TRY(meta_update_from_json(*it));
  std::int64_t version = TRY(st.vault->set(path, *req.payload, meta));
  Message m = ok_message();
  m.body["version"] = version;
  return m;
}

Result<Message> handle_rollback(AgentState& st, const Peer&, Message& req) {
  std::string path = TRY(json_string(req.body, "path"));
  std::int64_t version = TRY(st.vault->rollback(path, TRY(json_int(req.body, "version"))));
  Message m = ok_message();
  m.body["version"] = version;
  return m;
}

Result<Message> handle_rm(AgentState& st, const Peer&, Message& req) {
  std::string path = TRY(json_string(req.body, "path"));
  TRY(validate_secret_path(path));
  TRY(st.vault->store().remove(path));
  return ok_message();
}

Result<Message> handle_mv(AgentState& st, const Peer&, Message& req) {
  TRY(st.vault->move(TRY(json_string(req.body, "from")), TRY(json_string(req.body, "to"))));
  return ok_message();
}

constexpr std::array<Handler, 7> kHandlers = {{
    {"status", false, Activity::ignored, handle_status},
    {"lock", false, Activity::ignored, handle_lock},
    {"get", true, Activity::counts, handle_get},
    {"set", true, Activity::counts, handle_set},
    {"rm", true, Activity::counts, handle_rm},
    {"rollback", true, Activity::counts, handle_rollback},
    {"mv", true, Activity::counts, handle_mv},
}};

}  // namespace

const Handler* find_handler(std::string_view op) {
  for (const auto& h : kHandlers) {
    if (op == h.op) return &h;
  }
  return nullptr;
}

}  // namespace ward
