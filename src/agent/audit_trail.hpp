// The agent's side of the audit log. Every request that touches the vault
// becomes one event whose actor is the socket peer as the kernel reports it.
// Events of concurrent requests are written as a group with one fdatasync
// (audit::GroupWriter), and a request's answer (with any value) is sent only
// once its event is durable. While unlocked, the agent appends a checkpoint
// signed with the Ed25519 key sealed in the vault every 100 events or 10
// minutes and on lock, and seals the head it covers into the vault, so a
// forged or truncated log shows up unless the vault file is rolled back too.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "audit/exporter.hpp"
#include "audit/log.hpp"
#include "crypto/secret_bytes.hpp"
#include "vault/vault.hpp"

namespace ward {

constexpr std::int64_t kCheckpointEvery = 100;
constexpr std::int64_t kCheckpointInterval_us = 10ll * 60 * 1000 * 1000;

class AuditTrail {
 public:
  // Loads the signing key sealed in vault, creating and sealing one the
  // first time, and opens the log at log_path. When the user's config asks
  // for OTLP export, starts the exporter (its auth headers read from the
  // vault now); a bad export config stops the agent from starting.
  static Result<std::unique_ptr<AuditTrail>> open(Vault& vault, const std::string& log_path);

  // Appends event; returns once it is durable.
  Result<audit::Head> record(audit::Event event);
  // Appends events in order as one group; returns once all are durable
  // (all written, or none). Each then holds what was written.
  Result<audit::Head> record_all(std::span<audit::Event> events);
  // Appends a signed checkpoint covering everything before it.
  Result<audit::Head> checkpoint();
  // 100 events since the last checkpoint, or 10 minutes with any.
  bool checkpoint_due(std::int64_t now_us) const;
  const std::string& public_key_hex() const { return public_hex_; }
  // Sends what the exporter still holds (for up to 2 s), then forgets the
  // signing key and the export headers (on lock).
  void wipe();

 private:
  explicit AuditTrail(audit::AuditLog log) : writer_(std::move(log)) {}
  audit::GroupWriter writer_;
  std::mutex key_mutex_;
  SecretBytes signing_key_;
  std::string public_hex_;
  std::atomic<std::int64_t> last_seq_{0};
  std::atomic<std::int64_t> checkpoint_seq_{0};
  std::atomic<std::int64_t> checkpoint_us_{0};
  std::unique_ptr<audit::Exporter> exporter_;  // null without export
};

// The head sealed at the last checkpoint; seq 0 when none yet.
Result<audit::Head> sealed_audit_head(Vault& vault);
Status seal_audit_head(Vault& vault, const audit::Head& head);

}  // namespace ward
