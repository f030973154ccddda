#include "agent/audit_trail.hpp"

#include <charconv>

#include <fmt/format.h>

#include "audit/actor.hpp"
#include "core/paths.hpp"
#include "crypto/digest.hpp"
#include "util/time.hpp"

namespace ward {

namespace {
constexpr const char* kKeySetting = "audit.signing_key";
constexpr const char* kHeadSetting = "audit.head";
}  // namespace

Result<std::unique_ptr<AuditTrail>> AuditTrail::open(Vault& vault, const std::string& log_path) {
  audit::AuditLog log = TRY(audit::AuditLog::open(log_path));
  std::unique_ptr<AuditTrail> trail(new AuditTrail(std::move(log)));
  auto stored = TRY(vault.read_setting(kKeySetting));
  if (stored) {
    trail->signing_key_ = std::move(*stored);
  } else {
    SigningKeyPair pair = generate_signing_key();
    TRY(vault.write_setting(kKeySetting, pair.secret_key));
    trail->signing_key_ = std::move(pair.secret_key);
  }
  trail->public_hex_ = to_hex(TRY(signing_public_key(trail->signing_key_)));
  Result<audit::Head> sealed = sealed_audit_head(vault);
  if (sealed) trail->checkpoint_seq_ = sealed->seq;
  trail->checkpoint_us_ = now_unix_us();
  AuditTrail* self = trail.get();
  if (auto config = TRY(audit::load_export_config(user_config_path()))) {
    std::vector<SecretBytes> headers;
    if (!config->headers_secret.empty()) {
      headers = TRY(audit::split_header_lines(TRY(vault.get(config->headers_secret))));
    }
    SecretBytes salt = TRY(audit::load_or_create_export_salt(audit::default_export_salt_path()));
    trail->exporter_ = audit::start_otlp_exporter(
        *config, std::move(salt), std::move(headers),
        [self](std::size_t count, const std::string& why) {
          // Recorded locally; audit.* events are never exported.
          (void)self->record(audit::export_dropped_event(count, why));
        },
        audit::OnBatchFailure::continue_sending);
  }
  trail->writer_.set_signer([self](std::int64_t seq, const std::string& head, std::int64_t ts) {
    audit::Checkpoint c{seq, head, ts, self->public_hex_, ""};
    std::lock_guard<std::mutex> lock(self->key_mutex_);
    if (self->signing_key_.empty()) return c;  // wiped: the verifier reports it unsigned
    c.sig = to_hex(
        sign_detached(self->signing_key_, as_bytes(audit::checkpoint_message(seq, head, ts))));
    return c;
  });
  return trail;
}

Result<audit::Head> AuditTrail::record(audit::Event event) {
  return record_all(std::span<audit::Event>(&event, 1));
}

Result<audit::Head> AuditTrail::record_all(std::span<audit::Event> events) {
  audit::Head head = TRY(writer_.commit(events));
  if (exporter_) {
    for (const audit::Event& event : events) exporter_->push(event);
  }
  std::int64_t seen = last_seq_.load();
  while (head.seq > seen && !last_seq_.compare_exchange_weak(seen, head.seq)) {
  }
  return head;
}

Result<audit::Head> AuditTrail::checkpoint() {
  audit::Event event;
  event.event = "audit.checkpoint";
  event.actor = audit::actor_of_self();
  audit::Head head = TRY(record(std::move(event)));
  checkpoint_seq_ = head.seq;
  checkpoint_us_ = now_unix_us();
  return head;
}

bool AuditTrail::checkpoint_due(std::int64_t now_us) const {
  std::int64_t since = last_seq_.load() - checkpoint_seq_.load();
  if (since >= kCheckpointEvery) return true;
  return since > 0 && now_us - checkpoint_us_.load() >= kCheckpointInterval_us;
}

void AuditTrail::wipe() {
  if (exporter_) {
    exporter_->shutdown(2000);
    exporter_.reset();  // and with it the header lines
  }
  std::lock_guard<std::mutex> lock(key_mutex_);
  signing_key_ = SecretBytes();
}

Result<audit::Head> sealed_audit_head(Vault& vault) {
  auto stored = TRY(vault.read_setting(kHeadSetting));
  if (!stored) return audit::Head{0, ""};
  std::string_view text = stored->view();
  std::size_t space = text.find(' ');
  audit::Head head;
  if (space == std::string_view::npos ||
      std::from_chars(text.data(), text.data() + space, head.seq).ec != std::errc()) {
    return fail(Code::corrupt, "the audit head sealed in the vault is damaged");
  }
  head.hash = std::string(text.substr(space + 1));
  return head;
}

Status seal_audit_head(Vault& vault, const audit::Head& head) {
  std::string text = fmt::format("{} {}", head.seq, head.hash);
  return vault.write_setting(kHeadSetting, SecretBytes::from_view(text));
}

}  // namespace ward
