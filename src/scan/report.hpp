// What `ward scan` reports: one Exposure per secret found, wherever it was
// (a file, a commit, a process, an agent transcript), and the three forms
// it is printed in (a table, JSON, SARIF 2.1.0). An Exposure never holds the
// value: only its kind, length and a fingerprint (a keyed BLAKE2b of the
// value, truncated), so a report can be pasted into a ticket or uploaded
// to code scanning without leaking what it found.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "scan/engine.hpp"
#include "util/result.hpp"

namespace ward::scan {

enum class Source { file, git, process, agent };
std::string_view source_name(Source source);

struct Exposure {
  std::string rule;  // rule id
  std::string description;
  Source source = Source::file;
  std::string path;  // file as walked, path in the commit, transcript; empty for a process
  std::size_t line = 0, column = 0, length = 0;
  // The bytes that hold the value in the scanned text (the encoded run for
  // a decoded value): what --redact replaces. Not printed.
  std::size_t offset = 0, extent = 0;
  std::string encoding;     // "base64", "hex", "percent" when found in a decoded run
  std::string fingerprint;  // RULE:WHERE:HASH, stable across runs: .wardignore, --baseline
  std::string hash;         // the value's keyed hash (12 hex digits)
  std::string managed;      // the vault path holding the same value, when known
  // git
  std::string commit, author;
  std::int64_t time = 0;
  // process
  int pid = 0;
  std::string process, variable;
  // agent transcripts
  std::string agent;

  // "github-pat, 40 chars, #1a2b3c": usable to recognise a secret, never to
  // use it (no characters of the value).
  std::string preview() const;
};

// The value's fingerprint hash: BLAKE2b keyed with a fixed, public key,
// 48 bits. Enough to tell values apart and match them across runs; for a
// high-entropy key it reveals nothing usable, for a weak password it is a
// confirmation oracle like any hash (docs/threat-model.md).
std::string value_hash(std::string_view value);

// Whether the line holding offset carries an inline `ward:allow` marker.
bool allowed_inline(std::string_view text, std::size_t offset);

// Fingerprints to leave out: .wardignore files (one per line, '#' comments)
// and --baseline reports (a previous `--json` report).
class Suppressions {
 public:
  // A .wardignore; a missing file is not an error.
  Status add_ignore_file(const std::string& path);
  // A previous JSON report; invalid_input naming the file when it is not one.
  Status add_baseline(const std::string& path);
  bool suppressed(const Exposure& e) const;
  std::size_t size() const { return fingerprints_.size(); }

 private:
  std::set<std::string, std::less<>> fingerprints_;
};

struct ScanStats {
  std::uint64_t files = 0, bytes = 0, skipped = 0, suppressed = 0;
  double seconds = 0;
};

std::string to_json(const std::vector<Exposure>& found, const ScanStats& stats);
std::string to_sarif(const std::vector<Exposure>& found);
// Rows for cli::print_table, the header first; columns suit the source.
std::vector<std::vector<std::string>> to_table(const std::vector<Exposure>& found, Source source);

}  // namespace ward::scan
