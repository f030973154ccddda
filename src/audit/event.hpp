// One audit event and its line in the log.
//
// A line is one canonical JSON object: keys sorted bytewise, no whitespace,
// integers only, strings escaped one way (\" \\ \b \f \n \r \t, other
// control bytes as \u00xx, everything else raw UTF-8). Its hash is
// SHA-256(prev || the line without its ",hash" member), prev being the 32
// bytes of the previous event's hash (zeros for the first event ever), so
// the events form a chain and verification re-checks the stored bytes
// themselves: a line that parses but is not exactly what encode_line would
// write for its values is a failure, as is an unknown or duplicate key.
//
// Events name secrets, never values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/digest.hpp"
#include "util/result.hpp"

namespace ward::audit {

constexpr std::int64_t kFormatVersion = 1;
constexpr std::size_t kMaxAncestry = 8;
// No line ward writes is longer (an agent request is at most 1 MiB); a
// longer one is not an event.
constexpr std::size_t kMaxLineBytes = 1 << 20;

// Who asked. When the agent serves a request, this is the socket peer as the
// kernel reports it (SO_PEERCRED + /proc), never what the client claims.
struct Actor {
  std::int64_t pid = 0;
  std::int64_t ppid = 0;
  std::int64_t uid = 0;
  std::int64_t sid = 0;
  std::string exe;
  std::string comm;
  std::string cwd;
  std::string tty;                    // "" when the process has no terminal
  std::vector<std::string> ancestry;  // comm of up to 8 ancestors, nearest first
  std::string agent_name;             // AI agent it runs under, "" for none
  std::string agent_via;              // the evidence ("env:CLAUDECODE")
};

// A signed statement that the chain up to seq ended in head: made by the
// agent with the Ed25519 key sealed in the vault.
struct Checkpoint {
  std::int64_t seq = 0;  // the last event covered
  std::string head;      // its hash, hex
  std::int64_t ts = 0;   // when signed, unix microseconds
  std::string key;       // the public key, hex
  std::string sig;       // Ed25519 over checkpoint_message(seq, head, ts), hex
};

struct Event {
  std::int64_t v = kFormatVersion;
  std::int64_t seq = 0;
  std::int64_t ts = 0;  // unix microseconds, UTC
  std::string event;    // "get", "run", "audit.checkpoint", ...
  std::vector<std::string> secrets;
  std::vector<std::string> denied;  // names refused; the key is left out when empty
  std::string outcome = "ok";       // ok | denied | error
  std::string reason;
  Actor actor;
  std::string tool;
  std::string host;
  std::string prev;                      // hex
  std::string hash;                      // hex
  std::optional<Checkpoint> checkpoint;  // only on audit.checkpoint
};

inline constexpr std::string_view kZeroHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// s as a JSON string in canonical form (quotes included), as it stands in a line.
std::string canonical_string(std::string_view s);

// The line for e (no newline) with e.prev = prev; sets e.hash.
std::string encode_line(Event& e);

// What parse_line found wrong; the message is the verifier's reason.
struct ParsedLine {
  Event event;
  // The line without its ",hash" member, as two pieces of the input.
  std::string_view before_hash, after_hash;
};

// Parses and checks one line (no newline). corrupt with the reason: not
// JSON, unknown key, duplicate key, keys out of order, a wrong type, a
// missing key, non-canonical formatting, a bad outcome or hash. Does not
// check the hash itself (see line_hash). out is reused to save allocations.
Status parse_line(std::string_view line, ParsedLine& out);

// SHA-256(prev bytes || before_hash || after_hash), hex.
std::string line_hash(std::string_view prev_hex, std::string_view before_hash,
                      std::string_view after_hash);

// What a checkpoint signs.
std::string checkpoint_message(std::int64_t seq, std::string_view head, std::int64_t ts);

// Marks e as the record of an operation that failed with error: outcome
// "denied" for denied and locked refusals, else "error"; reason its message.
void set_failure(Event& e, const Error& error);

}  // namespace ward::audit
