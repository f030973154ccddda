// What the `ward scan` commands share: the common options, the rules, the
// vault lookups (labels by keyed hash, known values for the masker's
// search) and the report with its exit code (0 nothing found, 1 found, 2
// any error).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/context.hpp"
#include "scan/engine.hpp"
#include "scan/report.hpp"
#include "scan/runner.hpp"

namespace ward::cli {

// What every scan takes.
struct ScanCommon {
  bool json = false;
  bool sarif = false;
  std::string config;    // a gitleaks .toml or a ward rules .yaml
  std::string baseline;  // a previous --json report
};

// --json (and --sarif when offered), --config, --baseline.
void add_common(CLI::App* cmd, ScanCommon& c, bool sarif);
// Makes cmd run action with every error exiting 2, after checking the
// common options.
void on_scan(CLI::App* cmd, Context& ctx, const ScanCommon& c, std::function<Status()> action);

Result<scan::Scanner> load_scanner(const ScanCommon& o);
// .wardignore in each of ignore_dirs, and --baseline.
Status load_suppressions(scan::Suppressions& s, const ScanCommon& o,
                         const std::vector<std::string>& ignore_dirs);

// Labels each exposure whose value the vault holds with its path (asked of
// the agent by keyed hash). Nothing when the agent is locked.
Status label_managed(const Context& ctx, scan::Found& found);
// Every vault value, for finding them where no rule looks; nullopt when the
// agent is locked or not running.
Result<std::optional<scan::KnownValues>> known_values(const Context& ctx);
// A vault value a rule also found at the same place is reported once, by
// the rule.
void drop_known_duplicates(std::vector<scan::Exposure>& exposures);

// Drops suppressed exposures, prints the rest and sets the exit code.
Status report(Context& ctx, const ScanCommon& o, scan::Source source,
              std::vector<scan::Exposure> exposures, const scan::Suppressions& suppressions,
              scan::ScanStats stats, std::chrono::steady_clock::time_point started);

// ward scan shell, ward scan agents (scan_shell.cpp, scan_agents.cpp).
void add_scan_shell(CLI::App* scan, Context& ctx);
void add_scan_agents(CLI::App* scan, Context& ctx);

}  // namespace ward::cli
