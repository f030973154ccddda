// ward audit tail, show, query, verify: reading the audit log.
//
// Human output is one line per event (or every field, for show); --json
// prints the stored canonical lines themselves, so what a script reads is
// exactly what the chain hashed. Strings from the log are printed with
// control bytes replaced: a log line must not be able to drive the terminal.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <deque>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audit/log.hpp"
#include "audit/query.hpp"
#include "audit/verify.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace ward::cli {

namespace {

using audit::Event;

// ---- formatting --------------------------------------------------------------

std::string or_dash(std::string_view s) {
  return s.empty() ? "-" : printable(s);
}

// "2026-11-24 14:59:23" in the local time zone (with_micros: ".123456 +0100").
std::string local_time(std::int64_t ts_us, bool with_micros) {
  time_t t = static_cast<time_t>(unix_s_of_us(ts_us));
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  if (!with_micros) return buf;
  char zone[16];
  std::strftime(zone, sizeof zone, "%z", &tm);
  return fmt::format("{}.{:06} {}", buf, ts_us - unix_s_of_us(ts_us) * kMicrosPerSecond, zone);
}

std::string utc_time(std::int64_t ts_us) {
  std::string s = format_rfc3339_us(ts_us);
  s.pop_back();  // 'Z'
  return fmt::format("{}.{:06}Z", s, ts_us - unix_s_of_us(ts_us) * kMicrosPerSecond);
}

std::string outcome_cell(const std::string& outcome, std::size_t width) {
  std::string padded = fmt::format("{:<{}}", printable(outcome), width);
  if (outcome == "ok") return colored(padded, "32");
  return colored(padded, outcome == "denied" ? "33" : "31");
}

std::string secrets_cell(const Event& e) {
  std::string s = join(e.secrets, ",");
  if (!e.denied.empty()) s += (s.empty() ? "denied:" : " denied:") + join(e.denied, ",");
  return or_dash(s);
}

// One event on one line: seq, local time, event, outcome, secrets, actor, agent, tool.
std::string summary_line(const Event& e) {
  return fmt::format("{:>6}  {}  {:<16} {} {:<24} {}/{}  {}  {}", e.seq, local_time(e.ts, false),
                     printable(e.event), outcome_cell(e.outcome, 7), secrets_cell(e),
                     or_dash(e.actor.comm), e.actor.pid, or_dash(e.actor.agent_name),
                     or_dash(e.tool));
}

void print_event_line(const Event& e, std::string_view line, bool json) {
  if (json) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  } else {
    fmt::print("{}\n", summary_line(e));
  }
}

Result<Event> parse_stored(std::string_view line) {
  audit::ParsedLine parsed;
  auto ok = audit::parse_line(line, parsed);
  if (!ok) return fail(Code::corrupt, "unreadable audit line: " + ok.error().message);
  return std::move(parsed.event);
}

// ---- tail --------------------------------------------------------------------

struct TailOptions {
  std::int64_t count = 20;
  bool follow = false;
};

volatile std::sig_atomic_t g_stop = 0;

void on_stop_signal(int) {
  g_stop = 1;
}

void catch_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

// Waits up to ms; false when stdout's reader has gone away.
bool wait_for_more(int ms) {
  pollfd p{STDOUT_FILENO, 0, 0};
  int n = ::poll(&p, 1, ms);
  return !(n > 0 && (p.revents & (POLLERR | POLLHUP)));
}

// Follows path from offset in fd: prints each complete line as it arrives,
// and moves on to the new file when the log is rotated (renamed away and
// created again). Returns on a stop signal or when stdout is closed.
Status follow(const std::string& path, Fd fd, std::int64_t offset, bool json) {
  catch_stop_signals();
  std::string partial;
  struct stat current {};
  if (fd && ::fstat(fd.get(), &current) != 0) fd.reset();
  auto print = [&](std::string_view line) {
    auto e = parse_stored(line);
    if (!e) {
      print_warning(e.error().message);
      return;
    }
    print_event_line(*e, line, json);
  };
  // Reads fd to its end; false when stdout is gone.
  auto drain = [&]() -> bool {
    if (!fd) return true;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return true;
    if (st.st_size < offset) {  // a torn line was cut off
      offset = st.st_size;
      partial.clear();
    }
    char buf[64 << 10];
    while (offset < st.st_size && !g_stop) {
      ssize_t got = ::pread(fd.get(), buf, sizeof buf, offset);
      if (got <= 0) break;
      offset += got;
      partial.append(buf, static_cast<std::size_t>(got));
      std::size_t from = 0;
      for (std::size_t nl; (nl = partial.find('\n', from)) != std::string::npos; from = nl + 1) {
        if (nl > from) print(std::string_view(partial).substr(from, nl - from));
      }
      partial.erase(0, from);
      if (partial.size() > audit::kMaxLineBytes) partial.clear();
    }
    return std::fflush(stdout) == 0;
  };
  while (!g_stop) {
    if (!drain()) return {};
    struct stat now {};
    bool replaced = ::stat(path.c_str(), &now) == 0 &&
                    (!fd || now.st_ino != current.st_ino || now.st_dev != current.st_dev);
    if (replaced) {
      if (!drain()) return {};  // whatever the old file got before it was renamed
      fd = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (fd && ::fstat(fd.get(), &current) != 0) fd.reset();
      offset = 0;
      partial.clear();
      continue;
    }
    if (!wait_for_more(200)) return {};
  }
  return {};
}

Status cmd_tail(const Context& ctx, const TailOptions& o) {
  if (o.count < 0) return fail(Code::usage, "-n must be 0 or more");
  std::string path = audit::default_log_path();
  auto files = audit::chain_files(path);
  audit::TailLines tail = TRY(audit::read_last_lines(files, static_cast<std::size_t>(o.count)));
  for (const std::string& line : tail.lines) {
    Event e = TRY(parse_stored(line));
    print_event_line(e, line, ctx.json);
  }
  if (!o.follow) {
    if (tail.lines.empty() && !ctx.json && o.count > 0) fmt::print("no audit events yet\n");
    return {};
  }
  std::fflush(stdout);
  // The last file of the chain is the current log unless it has not been
  // created again since a rotation; then follow starts when it appears.
  if (files.empty() || files.back() != path) tail.last_file.reset();
  return follow(path, std::move(tail.last_file), tail.end, ctx.json);
}

// ---- show --------------------------------------------------------------------

Result<std::int64_t> parse_seq(const std::string& text) {
  std::int64_t seq = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (ec != std::errc() || ptr != text.data() + text.size() || seq < 1) {
    return fail(Code::usage, fmt::format("invalid seq '{}'", printable(text)),
                "give the event's number, as 'ward audit tail' shows it");
  }
  return seq;
}

void print_field(std::string_view label, std::string_view value, std::size_t width = 10) {
  fmt::print("  {:<{}}{}\n", label, width, value);
}

Status cmd_show(const Context& ctx, const std::string& seq_text) {
  std::int64_t seq = TRY(parse_seq(seq_text));
  auto files = audit::chain_files(audit::default_log_path());
  std::string line = TRY(audit::find_line_by_seq(files, seq));
  Event e = TRY(parse_stored(line));
  if (ctx.json) {
    print_event_line(e, line, true);
    return {};
  }
  fmt::print("event {}\n", e.seq);
  print_field("time", fmt::format("{} ({})", local_time(e.ts, true), utc_time(e.ts)));
  print_field("event", printable(e.event));
  print_field("outcome", outcome_cell(e.outcome, 0));
  print_field("reason", or_dash(e.reason));
  print_field("secrets", or_dash(join(e.secrets, ", ")));
  if (!e.denied.empty()) print_field("denied", printable(join(e.denied, ", ")));
  print_field("tool", or_dash(e.tool));
  print_field("host", or_dash(e.host));
  fmt::print("actor\n");
  const audit::Actor& a = e.actor;
  print_field("pid", std::to_string(a.pid));
  print_field("ppid", std::to_string(a.ppid));
  print_field("uid", std::to_string(a.uid));
  print_field("sid", std::to_string(a.sid));
  print_field("comm", or_dash(a.comm));
  print_field("exe", or_dash(a.exe));
  print_field("cwd", or_dash(a.cwd));
  print_field("tty", a.tty.empty() ? "none" : printable(a.tty));
  print_field("ancestry",
              a.ancestry.empty() ? "-" : printable(join(a.ancestry, " < ")) + "  (nearest first)");
  print_field("agent", a.agent_name.empty()
                           ? "none"
                           : fmt::format("{} ({})", printable(a.agent_name), or_dash(a.agent_via)));
  if (e.checkpoint) {
    const audit::Checkpoint& c = *e.checkpoint;
    fmt::print("checkpoint\n");
    print_field("seq", std::to_string(c.seq));
    print_field("head", printable(c.head));
    print_field("time", fmt::format("{} ({})", local_time(c.ts, true), utc_time(c.ts)));
    print_field("key", printable(c.key));
    print_field("sig", printable(c.sig));
  }
  fmt::print("chain\n");
  print_field("prev", e.prev);
  print_field("hash", e.hash);
  return {};
}

// ---- query -------------------------------------------------------------------

struct QueryOptions {
  audit::Filter filter;
  std::string tty, since, until;
  std::int64_t limit = 0;
};

Status cmd_query(const Context& ctx, QueryOptions o) {
  audit::Filter& f = o.filter;
  if (o.tty == "present") {
    f.tty = audit::TtyFilter::present;
  } else if (o.tty == "absent") {
    f.tty = audit::TtyFilter::absent;
  } else if (!o.tty.empty()) {
    return fail(Code::usage, fmt::format("invalid --tty '{}'", printable(o.tty)),
                "use --tty present or --tty absent");
  }
  std::int64_t now = now_unix_us();
  if (!o.since.empty()) f.since_us = TRY(audit::parse_time_bound(o.since, now));
  if (!o.until.empty()) f.until_us = TRY(audit::parse_time_bound(o.until, now));
  if (o.limit < 0) return fail(Code::usage, "--limit must be 1 or more");
  TRY(audit::validate_filter(f));
  auto files = audit::chain_files(audit::default_log_path());
  std::size_t found = 0;
  // --limit N keeps the most recent N matches.
  std::deque<std::pair<Event, std::string>> kept;
  TRY(audit::query_events(files, f, [&](const Event& e, std::string_view line) {
    ++found;
    if (o.limit == 0) {
      print_event_line(e, line, ctx.json);
      return true;
    }
    kept.emplace_back(e, std::string(line));
    if (kept.size() > static_cast<std::size_t>(o.limit)) kept.pop_front();
    return true;
  }));
  for (const auto& [e, line] : kept) print_event_line(e, line, ctx.json);
  if (found == 0 && !ctx.json) fmt::print("no matching events\n");
  return {};
}

// ---- verify ------------------------------------------------------------------

constexpr std::string_view kLockedNote =
    "checkpoint signatures not checked: vault locked (run 'ward unlock' for the full check)";

struct AnchorLookup {
  std::optional<audit::Anchor> anchor;
  std::string note;  // why there is none
};

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The checkpoint key and sealed head from the running agent, when it is
// unlocked and knows how to give them.
Result<AnchorLookup> fetch_anchor(const Context& ctx) {
  AnchorLookup out;
  auto agent = ctx.agent();
  if (!agent || !*agent) {
    out.note = kLockedNote;
    return out;
  }
  auto resp = (*agent)->call("audit_anchor");
  if (!resp) {
    switch (resp.error().code) {
      case Code::locked:
      case Code::unavailable:
        out.note = kLockedNote;
        break;
      case Code::protocol:
        out.note =
            "checkpoint signatures not checked: the running agent cannot give the vault's "
            "anchor (restart it: 'ward lock', then 'ward unlock')";
        break;
      default:
        out.note = "checkpoint signatures not checked: " + printable(resp.error().message);
    }
    return out;
  }
  const nlohmann::json& body = resp->body;
  auto key = json_string(body, "public_key");
  auto seq = json_int(body, "head_seq");
  auto hash = json_string(body, "head_hash");
  if (!key || !seq || !hash || !is_hex(*key) || *seq < 0 || !is_hex(*hash) ||
      (*seq > 0 && hash->size() != 64)) {
    return fail(Code::protocol, "the agent's audit anchor is malformed");
  }
  audit::Anchor anchor;
  anchor.public_key = *key;
  anchor.sealed_head.seq = *seq;
  if (*seq > 0) anchor.sealed_head.hash = *hash;
  out.anchor = std::move(anchor);
  if (out.anchor->public_key.empty()) {
    out.note = "checkpoint signatures not checked: the vault has no checkpoint key yet";
  }
  return out;
}

// How the sealed head's state reads: in --json, and to a person.
struct SealedWords {
  std::string_view json, text;
};

SealedWords sealed_words(audit::SealedHead s) {
  switch (s) {
    case audit::SealedHead::not_checked:
      return {"not_checked", "not checked"};
    case audit::SealedHead::none_sealed:
      return {"none_yet", "none yet"};
    case audit::SealedHead::matches:
      return {"matches", "matches"};
    case audit::SealedHead::missing:
      return {"missing", "missing from the log"};
    case audit::SealedHead::mismatch:
      return {"mismatch", "does not match"};
  }
  return {};
}

std::string torn_text(std::int64_t bytes) {
  return fmt::format("a torn last line of {} bytes: repairable, the next write sets it aside",
                     bytes);
}

Status cmd_verify(const Context& ctx) {
  AnchorLookup lookup = TRY(fetch_anchor(ctx));
  auto files = audit::chain_files(audit::default_log_path());
  audit::VerifyReport r = audit::verify_chain(files, lookup.anchor);
  std::optional<Error> error;
  if (r.failure) {
    const audit::Failure& f = *r.failure;
    std::string where = f.line > 0 ? fmt::format("{} line {}", f.file, f.line) : f.file;
    error = Error{Code::corrupt,
                  fmt::format("audit log fails verification at seq {} ({}): {}", f.seq,
                              printable(where), printable(f.reason)),
                  ""};
  }
  if (ctx.json) {
    nlohmann::json out = {
        {"intact", r.intact()},
        {"events", r.events},
        {"files", r.files},
        {"bytes", r.bytes},
        {"head", {{"seq", r.head.seq}, {"hash", r.head.hash}}},
        {"checkpoints", {{"total", r.checkpoints}, {"valid", r.checkpoints_valid}}},
        {"anchored", r.anchored},
        {"sealed_head", sealed_words(r.sealed).json},
        {"torn_bytes", r.torn_bytes},
        {"failure", nullptr},
    };
    if (!lookup.note.empty()) out["note"] = lookup.note;
    if (r.failure) {
      out["failure"] = {{"seq", r.failure->seq},
                        {"file", r.failure->file},
                        {"line", r.failure->line},
                        {"reason", r.failure->reason}};
    }
    fmt::print("{}\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else if (!r.failure) {
    fmt::print("{}\n", colored("audit log intact", "32"));
    constexpr std::size_t kWidth = 13;
    print_field("events", std::to_string(r.events), kWidth);
    print_field("files", std::to_string(r.files), kWidth);
    print_field("bytes", std::to_string(r.bytes), kWidth);
    print_field("head",
                r.head.seq == 0 ? "none (no events yet)" : fmt::format("seq {}", r.head.seq),
                kWidth);
    print_field("checkpoints",
                r.anchored ? fmt::format("{}/{} valid", r.checkpoints_valid, r.checkpoints)
                           : fmt::format("{} (signatures not checked)", r.checkpoints),
                kWidth);
    print_field("sealed head", sealed_words(r.sealed).text, kWidth);
    if (r.torn_bytes > 0) print_field("torn tail", torn_text(r.torn_bytes), kWidth);
    if (!lookup.note.empty()) fmt::print("{}\n", lookup.note);
  }
  if (error) return tl::unexpected(*error);
  return {};
}

}  // namespace

void register_audit_read_commands(CLI::App& audit, Context& ctx) {
  auto* tail = audit.add_subcommand("tail", "Show the latest audit events");
  auto to = std::make_shared<TailOptions>();
  tail->add_option("-n,--lines", to->count, "How many events")->capture_default_str();
  tail->add_flag("-f,--follow", to->follow, "Keep printing events as they are written");
  tail->add_flag("--json", ctx.json, "One stored JSON line per event");
  tail->callback([&ctx, to] { ctx.action = [&ctx, to] { return cmd_tail(ctx, *to); }; });

  auto* show = audit.add_subcommand("show", "Show one audit event in full");
  auto seq = std::make_shared<std::string>();
  show->add_option("seq", *seq, "The event's seq")->required();
  show->add_flag("--json", ctx.json, "The stored JSON line");
  show->callback([&ctx, seq] { ctx.action = [&ctx, seq] { return cmd_show(ctx, *seq); }; });

  auto* query = audit.add_subcommand("query", "Find audit events");
  auto qo = std::make_shared<QueryOptions>();
  query->add_option("--secret", qo->filter.secret,
                    "A secret path, or a prefix ending in '/' (also matches denied names)");
  query->add_option("--event", qo->filter.event, "Event name (get, run, unlock, ...)");
  query->add_option("--agent", qo->filter.agent, "AI agent name, or 'none'");
  query->add_option("--tool", qo->filter.tool, "Tool path");
  query->add_option("--outcome", qo->filter.outcome, "ok, denied or error");
  query->add_option("--tty", qo->tty, "present or absent");
  query->add_option("--since", qo->since, "A duration back from now (24h, 7d) or a date/time");
  query->add_option("--until", qo->until, "A duration back from now or a date/time");
  query->add_option("--limit", qo->limit, "Only the most recent N matches");
  query->add_flag("--json", ctx.json, "One stored JSON line per event");
  query->callback([&ctx, qo] { ctx.action = [&ctx, qo] { return cmd_query(ctx, *qo); }; });

  auto* verify = audit.add_subcommand("verify", "Check the audit log's chain and checkpoints");
  verify->add_flag("--json", ctx.json, "The report as one JSON object");
  verify->callback([&ctx] { ctx.action = [&ctx] { return cmd_verify(ctx); }; });
}

}  // namespace ward::cli
