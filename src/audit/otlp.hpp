// Audit events as OTLP/HTTP JSON log records, redacted by allow-list.
//
// What leaves the machine is decided here and nowhere else: an event is
// turned into one OTLP LogRecord that carries only the attributes listed
// below; everything else in the event is dropped, whatever it holds.
//
//   LogRecord field / attribute   from the event
//   timeUnixNano                  ts * 1000, as a decimal string (OTLP JSON
//                                 encodes 64-bit integers as strings)
//   severityNumber, severityText  outcome: ok INFO (9), denied WARN (13),
//                                 error ERROR (17)
//   eventName, body               "ward." + event, and the event name
//   ward.event, ward.outcome      event, outcome
//   ward.seq                      seq (intValue)
//   ward.secrets, ward.denied     each name as 12 hex digits of
//                                 HMAC-SHA256(salt, "secret:" + name)
//   process.pid                   actor.pid
//   process.parent_pid            actor.ppid
//   process.user.id               actor.uid
//   process.executable.name       basename of actor.exe
//   ward.actor.comm               actor.comm
//   ward.actor.ancestry           actor.ancestry (comm names, no paths)
//   ward.actor.tty_present        actor.tty != "" (the device is not sent)
//   ward.agent.name, .via         actor.agent_name / agent_via, when set
//   ward.tool                     basename of tool, when set
//   resource service.name         the configured service name
//   resource host.id              12 hex of HMAC-SHA256(salt, "host:" + host)
//
// Never sent: reason (free text that may name paths or secrets), cwd, the
// exe and tool directories, the tty device, sid, host in clear, prev, hash,
// checkpoints, v. Events named audit.* (checkpoints, repairs, export drops)
// stay local and are not turned into records at all.
//
// The salt is 32 random bytes kept in state_dir()/export-salt (0600), made
// once per host, so the same name hashes the same way across exports from
// one machine but cannot be guessed from a list of likely names elsewhere.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "audit/event.hpp"
#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward::audit {

constexpr std::size_t kExportSaltSize = 32;
constexpr std::size_t kNameHashHexDigits = 12;

// The describing attributes of every payload (OTLP Resource).
struct OtlpResource {
  std::string service_name = "ward";
  std::string host_id;  // from hashed_host_name; left out when empty
};

// state_dir()/export-salt
std::string default_export_salt_path();

// Reads the salt at path, creating it (32 random bytes, 0600, in a 0700
// directory) when it does not exist; two processes racing agree on one
// salt. denied when the file is group/world accessible or someone else's,
// corrupt when it is not 32 bytes.
Result<SecretBytes> load_or_create_export_salt(const std::string& path);

// 12 hex digits of HMAC-SHA256(salt, "secret:" + name).
std::string hashed_secret_name(const SecretBytes& salt, std::string_view name);
// 12 hex digits of HMAC-SHA256(salt, "host:" + host).
std::string hashed_host_name(const SecretBytes& salt, std::string_view host);

// False for events that never leave the machine (audit.*).
bool is_exportable(const Event& e);

// One LogRecord as a JSON object, redacted as described above. Invalid
// UTF-8 in names is replaced, never passed on.
std::string otlp_log_record(const Event& e, const SecretBytes& salt);

// An ExportLogsServiceRequest holding records (each from otlp_log_record)
// under one resource and the "ward.audit" scope.
std::string otlp_payload(std::span<const std::string> records, const OtlpResource& resource);

}  // namespace ward::audit
