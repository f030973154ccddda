// Finding events in the audit log fast, for `ward audit tail`, `show` and
// `query`.
//
// A log can hold millions of events in hundreds of megabytes, and a query
// must answer in well under two seconds, so parsing every line is out. What
// makes shortcuts safe is the canonical form (event.hpp): a raw `"` byte in
// a line only ever opens or closes a string (inside one it is escaped), and
// only a key is followed by `:`. So `"tool":"/usr/bin/curl","ts":` can only
// be the top-level tool member, and `"llm/openai"` can only be a whole
// string. A Prefilter turns each condition of a Filter into such byte
// patterns; the query memmem's the mapped file for the rarest one, checks
// the others on that line, and parses (parse_line) only the lines left,
// where the exact conditions decide. A line the prefilter passes but that
// does not parse is an error (corrupt); a line it rejects is never parsed,
// so query is not a verifier (that is `ward audit verify`).
//
// Time: events are appended in time order, so --since skips rotated files
// whose last event is older and binary-searches the first file on line
// boundaries by the raw `"ts":` member, and --until stops at the first event
// past it. Both keep a margin (kClockSlackUs) for a wall clock stepped back
// while the log was written.
//
// Tail and show read backwards from the end of the file, or jump to the file
// whose name says it holds the seq, never the whole log.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/event.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

namespace ward::audit {

// How far back the wall clock may have been stepped while events were
// written without --since/--until missing them.
constexpr std::int64_t kClockSlackUs = 10 * 60 * 1000000ll;

// --since/--until: a duration back from now ("45m", "24h", "7d"), a date
// ("2026-11-24", midnight UTC) or RFC 3339 -> unix microseconds.
// invalid_input with a hint otherwise.
Result<std::int64_t> parse_time_bound(std::string_view text, std::int64_t now_us);

enum class TtyFilter { any, present, absent };

// The conditions of a query; every one that is set must hold.
struct Filter {
  std::string secret;   // a path in secrets or denied; ending in '/', a prefix
  std::string event;    // exact event name
  std::string agent;    // actor.agent.name; "none" for events without an agent
  std::string tool;     // exact tool
  std::string outcome;  // ok | denied | error
  TtyFilter tty = TtyFilter::any;
  std::optional<std::int64_t> since_us, until_us;  // inclusive bounds on ts
};

// usage when a value cannot match anything by construction: an unknown
// outcome, since after until.
Status validate_filter(const Filter& f);

// Whether e meets every condition of f.
bool matches(const Filter& f, const Event& e);

// Byte patterns that every canonical line meeting f contains (or, for a
// terminal filter, must not contain). may_match is false only for lines
// that cannot meet f; it never rejects one that does.
class Prefilter {
 public:
  explicit Prefilter(const Filter& f);
  bool may_match(std::string_view line) const;
  // The pattern to memmem the whole file for ("" when there is none).
  const std::string& anchor() const { return anchor_; }

 private:
  std::string anchor_;
  std::vector<std::string> required_;
  std::vector<std::string> forbidden_;
  std::optional<std::int64_t> since_us_, until_us_;
};

// The top-level "ts" / "seq" of a line read from its raw bytes (no parse);
// nullopt when the line has none in the expected place.
std::optional<std::int64_t> raw_ts(std::string_view line);
std::optional<std::int64_t> raw_seq(std::string_view line);

// fn(event, line) for every event of files (oldest first) that meets f, in
// log order, until fn returns false. A torn last line is skipped. corrupt,
// naming file and line, when a candidate line does not parse.
Status query_events(const std::vector<std::string>& files, const Filter& f,
                    const std::function<bool(const Event&, std::string_view line)>& fn);

// Every event of files: query_events without a filter (the detectors, the
// report and export read the whole chain this way).
inline Status for_each_event(const std::vector<std::string>& files,
                             const std::function<bool(const Event&, std::string_view line)>& fn) {
  return query_events(files, Filter{}, fn);
}

// The last lines of a chain, read backwards from the end.
struct TailLines {
  std::vector<std::string> lines;  // oldest first, without newlines
  // The last file, left open for following, and the offset just past its
  // last complete line (invalid when the chain has no files).
  Fd last_file;
  std::int64_t end = 0;
};

// The last n complete lines of files (oldest first), crossing into rotated
// files when the current one holds fewer. io when a file cannot be read.
Result<TailLines> read_last_lines(const std::vector<std::string>& files, std::size_t n);

// The line of the event with seq: the file is chosen by its name and
// searched by binary search on seq, falling back to a scan of every file
// when the log is out of order. not_found when there is none.
Result<std::string> find_line_by_seq(const std::vector<std::string>& files, std::int64_t seq);

}  // namespace ward::audit
