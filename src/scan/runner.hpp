// Runs the engine over what the sources produce: one text (a file, the
// lines a commit added, a process environment) with one level of its
// base64, hex and percent-encoded runs, and whole file lists on several
// threads. Applies the inline `ward:allow` marker; suppression by
// fingerprint and the vault lookup are the caller's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.hpp"
#include "mask/masker.hpp"
#include "scan/engine.hpp"
#include "scan/report.hpp"
#include "util/result.hpp"

namespace ward::scan {

// Where a text came from: an Exposure with the source's fields set (source,
// path, commit, pid, …), copied into every exposure found in it; where is
// the middle part of their fingerprints.
struct Origin {
  Exposure base;
  std::string where;
};

// What a scan produced. values, when asked for, holds a copy of each
// exposure's value (same order), for the vault lookup through the agent.
struct Found {
  std::vector<Exposure> exposures;
  std::vector<SecretBytes> values;
};

// The vault's values (and their encodings, as the masker knows them), for
// finding them where no rule would: their paths label the findings.
struct KnownValues {
  std::shared_ptr<const MaskSet> set;
  std::map<std::string, std::pair<std::size_t, std::string>, std::less<>> by_path;  // length, hash
};

// One thread's search for known values: the masker keeps per-stream state
// and is reused from text to text.
struct KnownSearch {
  explicit KnownSearch(const KnownValues& values) : known(values), masker(values.set) {}
  const KnownValues& known;
  StreamMasker masker;
};

// Scans text and its encoded runs; lines and columns are the text's own.
// With known values, an occurrence of one is a `vault-value` exposure
// whose managed path is set (unless a rule already found it there).
void scan_text(const Scanner& scanner, Scanner::Scratch& scratch, std::string_view text,
               const Origin& origin, Found& found, bool keep_values, KnownSearch* known = nullptr);

// A regular file's bytes into buffer, reusing it (what it held is
// overwritten or zeroed, never freed as it was); false when the file cannot be read
// (gone, no permission, not a regular file, a symbolic link).
bool read_into(const std::string& path, std::string& buffer);

// Scans every file on threads (0: one per core); binaries are skipped and
// counted, and so is a file that vanished or cannot be read. Exposures come
// in the order of paths, then offset. Fingerprints name a file by its path
// under the root it was found in, so they do not depend on how the scan was
// started ("." or an absolute path).
Found scan_files(const Scanner& scanner, const std::vector<std::string>& paths,
                 const std::vector<std::string>& roots, bool keep_values, unsigned threads,
                 ScanStats& stats, const KnownValues* known = nullptr);

}  // namespace ward::scan
