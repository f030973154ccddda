// ward audit export: a one-shot OTLP export of the events after a cursor.
//
// The cursor (state_dir()/export-cursor) holds the last seq handled: every
// event up to it was sent or is an audit.* event that stays local. A run
// sends the events after it (or from --since on), then moves it to the
// last event read, or, when a batch could not be sent, to just before the
// first record that was not sent, so the next run tries again (delivery is
// at least once: a later batch that did go out is sent again). It never
// moves backwards. Anything not sent is recorded locally as one
// audit.export_dropped event and makes the command fail.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audit/export_config.hpp"
#include "audit/exporter.hpp"
#include "audit/log.hpp"
#include "audit/otlp.hpp"
#include "audit/query.hpp"
#include "cli/context.hpp"
#include "cli/key_access.hpp"
#include "core/paths.hpp"
#include "util/time.hpp"

namespace ward::cli {

namespace {

// How long a one-shot export may keep retrying before it gives up.
constexpr std::int64_t kShutdownDeadlineMs = 120'000;

struct ExportOptions {
  std::string since;
  bool dry_run = false;
};

Status record_dropped(std::size_t count, const std::string& why) {
  audit::Event e = audit::export_dropped_event(count, why);
  audit::AuditLog log = TRY(audit::AuditLog::open(audit::default_log_path()));
  TRY(log.append(std::span<audit::Event>(&e, 1)));
  return {};
}

Status cmd_export(const Context& ctx, const ExportOptions& o) {
  std::string config_path = user_config_path();
  auto config = TRY(audit::load_export_config(config_path));
  if (!config && !o.dry_run) {
    return fail(Code::not_found, fmt::format("no audit.export.otlp section in {}", config_path),
                "add 'audit: {export: {otlp: {endpoint: https://HOST:4318/v1/logs}}}'");
  }
  audit::OtlpConfig cfg = config.value_or(audit::OtlpConfig{});
  std::optional<std::int64_t> since_us;
  if (!o.since.empty()) since_us = TRY(audit::parse_time_bound(o.since, now_unix_us()));
  std::string cursor_file = audit::default_export_cursor_path();
  std::int64_t cursor = TRY(audit::read_export_cursor(cursor_file));

  SecretBytes salt = TRY(audit::load_or_create_export_salt(audit::default_export_salt_path()));
  auto selected = [&](const audit::Event& e) {
    return since_us ? e.ts >= *since_us : e.seq > cursor;
  };
  auto files = audit::chain_files(audit::default_log_path());

  if (o.dry_run) {
    audit::OtlpResource resource = audit::otlp_resource(cfg, salt);
    std::vector<std::string> records;
    auto print_batch = [&] {
      if (!records.empty()) fmt::print("{}\n", audit::otlp_payload(records, resource));
      records.clear();
    };
    TRY(audit::for_each_event(files, [&](const audit::Event& e, std::string_view) {
      if (!selected(e) || !audit::is_exportable(e)) return true;
      records.push_back(audit::otlp_log_record(e, salt));
      if (records.size() >= cfg.batch) print_batch();
      return true;
    }));
    print_batch();
    return {};
  }

  // Started on the first event to send, here on this thread: the header
  // lines come from the vault (through the agent, or a passphrase asked
  // now), only when there is something to send. Drops are counted from the
  // stats once it has stopped: no reporter needed.
  std::unique_ptr<audit::Exporter> exporter;
  audit::ExportStats stats;
  auto start = [&]() -> Status {
    std::vector<SecretBytes> headers;
    if (!cfg.headers_secret.empty()) {
      KeyAccess access = TRY(KeyAccess::open(ctx));
      auto values = TRY(access.resolve({cfg.headers_secret}));
      if (values.size() != 1) return fail(Code::protocol, "malformed resolve response");
      headers = TRY(audit::split_header_lines(values[0]));
    }
    exporter = audit::start_otlp_exporter(cfg, std::move(salt), std::move(headers), {},
                                          audit::OnBatchFailure::stop);
    return {};
  };

  std::int64_t last_seq = 0;
  std::size_t kept_local = 0, exportable = 0;
  bool pushing = true;
  Status read = audit::for_each_event(files, [&](const audit::Event& e, std::string_view) {
    if (!selected(e)) return true;
    last_seq = std::max(last_seq, e.seq);
    if (!audit::is_exportable(e)) {
      ++kept_local;
      return true;
    }
    ++exportable;
    if (!exporter && pushing) {
      if (Status started = start(); !started) {
        // Nothing can be sent: every exportable event from here is dropped.
        stats.last_error = started.error().message;
        stats.first_dropped_seq = e.seq;
        pushing = false;
      }
    }
    // After a failed batch the exporter stops; the rest is only counted.
    pushing = pushing && exporter->push(e, audit::WhenFull::wait);
    return true;
  });
  if (exporter) stats = exporter->shutdown(kShutdownDeadlineMs);
  if (!read) return read;

  std::size_t not_sent = exportable - stats.sent;
  std::int64_t next = last_seq;
  if (not_sent) next = stats.first_dropped_seq ? stats.first_dropped_seq - 1 : cursor;
  std::int64_t new_cursor = std::max(cursor, next);
  if (new_cursor != cursor) TRY(audit::write_export_cursor(cursor_file, new_cursor));
  if (not_sent) TRY(record_dropped(not_sent, stats.last_error));

  // A query string may carry a token: it is not shown.
  std::string shown_endpoint = cfg.endpoint.substr(0, cfg.endpoint.find_first_of("?#"));
  if (ctx.json) {
    nlohmann::json out = {{"sent", stats.sent},       {"dropped", not_sent},
                          {"kept_local", kept_local}, {"requests", stats.batches},
                          {"cursor", new_cursor},     {"endpoint", shown_endpoint}};
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("sent {} events in {} requests to {} ({} audit.* kept local); cursor at seq {}\n",
               stats.sent, stats.batches, shown_endpoint, kept_local, new_cursor);
  }
  if (not_sent) {
    return fail(Code::unavailable,
                fmt::format("{} event{} not exported: {}", not_sent, not_sent == 1 ? "" : "s",
                            stats.last_error),
                "they stay in the local log; run 'ward audit export' again to retry");
  }
  return {};
}

}  // namespace

void register_audit_export_commands(CLI::App& audit, Context& ctx) {
  auto o = std::make_shared<ExportOptions>();
  auto* exp = audit.add_subcommand(
      "export", "Send new audit events to the OTLP endpoint in config.yaml (redacted)");
  exp->add_option("--since", o->since,
                  "Export events from this time on (24h, 7d, RFC 3339), ignoring the cursor");
  exp->add_flag("--dry-run", o->dry_run, "Print the redacted OTLP payloads instead of sending");
  exp->add_flag("--json", ctx.json, "JSON output");
  exp->callback([&ctx, o] { ctx.action = [&ctx, o] { return cmd_export(ctx, *o); }; });
}

}  // namespace ward::cli
