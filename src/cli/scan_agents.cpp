// ward scan agents [--redact]: the transcripts AI agents keep and shell
// histories; --redact rewrites what rules found as [masked:RULE:HASH].
#include <algorithm>
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "cli/output.hpp"
#include "cli/scan_support.hpp"
#include "core/paths.hpp"
#include "scan/redact.hpp"
#include "scan/transcripts.hpp"
#include "util/file.hpp"

namespace ward::cli {

namespace {

using namespace ward::scan;

struct AgentsOptions {
  ScanCommon common;
  bool redact = false;
  std::string home;  // default: $HOME
};

// `[masked:RULE:HASH]`: what --redact leaves; safe inside a JSON string.
std::string mask_for(const Exposure& e) {
  return fmt::format("[masked:{}:{}]", e.rule, e.hash.substr(0, 6));
}

Status cmd_scan_agents(Context& ctx, const AgentsOptions& o) {
  auto started = std::chrono::steady_clock::now();
  Suppressions suppressions;
  TRY(load_suppressions(suppressions, o.common, {}));
  Scanner scanner = TRY(load_scanner(o.common));
  auto scratch = scanner.make_scratch();
  std::vector<TranscriptFile> transcripts =
      TRY(transcript_files(o.home.empty() ? home_dir() : o.home));
  auto known = TRY(known_values(ctx));
  std::optional<KnownSearch> search;
  if (known) search.emplace(*known);
  Found found;
  ScanStats stats;
  std::string text;
  std::size_t redacted = 0, redacted_files = 0;
  for (const TranscriptFile& t : transcripts) {
    Origin origin;
    origin.base.source = Source::agent;
    origin.base.path = t.path;
    origin.base.agent = t.agent;
    origin.where = t.path;
    // A transcript a running agent appends to may change under us: --redact
    // rescans and tries again.
    for (int attempt = 0;; ++attempt) {
      if (!read_into(t.path, text)) {
        ++stats.skipped;
        break;
      }
      Found here;
      scan_text(scanner, *scratch, text, origin, here, true, search ? &*search : nullptr);
      std::vector<Replacement> edits;
      // A database's lengths are structure, and an agent's settings file is
      // what it runs with: those are reported, never rewritten.
      bool rewritable = t.kind == TranscriptKind::history;
      for (const Exposure& e : here.exposures) {
        // (A vault value found by the masker has no span here: the
        // findings of rules are what --redact rewrites.)
        if (o.redact && rewritable && e.extent > 0 && !suppressions.suppressed(e)) {
          edits.push_back({e.offset, e.extent, mask_for(e)});
        }
      }
      if (o.redact && !rewritable && !here.exposures.empty()) {
        print_warning(
            fmt::format("{}: not redacted ({}); rotate what it holds", printable(t.path),
                        t.kind == TranscriptKind::database ? "a database" : "a settings file"));
      }
      if (!edits.empty()) {
        std::sort(edits.begin(), edits.end(),
                  [](const Replacement& a, const Replacement& b) { return a.offset < b.offset; });
        // Two findings over the same bytes (a value and its decoding): one edit.
        std::vector<Replacement> merged;
        for (Replacement& r : edits) {
          if (!merged.empty() && r.offset < merged.back().offset + merged.back().length) continue;
          merged.push_back(std::move(r));
        }
        auto done = redact_file(t.path, text, merged);
        if (!done && done.error().code == Code::corrupt && attempt < 3) continue;
        TRY(done);
        redacted += merged.size();
        ++redacted_files;
      }
      ++stats.files;
      stats.bytes += text.size();
      std::move(here.exposures.begin(), here.exposures.end(), std::back_inserter(found.exposures));
      std::move(here.values.begin(), here.values.end(), std::back_inserter(found.values));
      break;
    }
    std::fill(text.begin(), text.end(), '\0');
  }
  TRY(label_managed(ctx, found));
  drop_known_duplicates(found.exposures);
  if (o.redact) {
    fmt::print(stderr, "redacted {} secret{} in {} file{}\n", redacted, redacted == 1 ? "" : "s",
               redacted_files, redacted_files == 1 ? "" : "s");
  }
  return report(ctx, o.common, Source::agent, std::move(found.exposures), suppressions, stats,
                started);
}

}  // namespace

void add_scan_agents(CLI::App* scan, Context& ctx) {
  auto* agents = scan->add_subcommand("agents", "Scan AI agent transcripts and shell histories");
  auto ao = std::make_shared<AgentsOptions>();
  add_common(agents, ao->common, false);
  agents->add_flag("--redact", ao->redact,
                   "Rewrite each finding in place as [masked:RULE:HASH] (atomically)");
  agents->add_option("--home", ao->home, "Look under this home directory (default: $HOME)");
  on_scan(agents, ctx, ao->common, [&ctx, ao] { return cmd_scan_agents(ctx, *ao); });
}

}  // namespace ward::cli
