#include "cli/scan_support.hpp"

#include <set>
#include <tuple>

#include <fmt/format.h>

#include "cli/key_access.hpp"
#include "cli/output.hpp"
#include "core/paths.hpp"
#include "scan/gitleaks.hpp"
#include "scan/rules.hpp"
#include "util/file.hpp"

namespace ward::cli {

using namespace ward::scan;

Result<Scanner> load_scanner(const ScanCommon& o) {
  RuleSet rules;
  if (o.config.empty()) {
    rules = TRY(default_rules());
  } else if (o.config.ends_with(".toml")) {
    GitleaksImport imported = TRY(load_gitleaks_config(o.config));
    for (const std::string& skipped : imported.skipped) {
      print_warning(fmt::format("{}: rule {} not used", o.config, skipped));
    }
    rules = std::move(imported.rules);
  } else {
    std::string text = TRY(read_file(o.config));
    rules = TRY(parse_rules(text, o.config));
  }
  return Scanner::build(std::move(rules), cache_dir());
}

// Values equal to a vault secret get that secret's path: the agent compares
// keyed hashes of them with its own, so no value leaves the agent. Nothing
// happens when the agent is locked.
Status label_managed(const Context& ctx, Found& found) {
  if (found.values.empty()) return {};
  auto agent = TRY(ctx.agent());
  if (!agent) return {};
  auto paths = vault_paths_of(*agent, found.values);
  if (!paths)
    return paths.error().code == Code::locked ? Status{} : Status(tl::unexpected(paths.error()));
  for (std::size_t i = 0; i < paths->size(); ++i) {
    if ((*paths)[i]) found.exposures[i].managed = *(*paths)[i];
  }
  return {};
}

// With the agent unlocked: every vault value and its encodings, to be
// found where no rule would look (an audit event mask.values, as for
// `ward mask`). Nothing when the agent is locked or not running.
Result<std::optional<KnownValues>> known_values(const Context& ctx) {
  auto access = TRY(KeyAccess::running_agent(ctx));
  if (!access) return std::nullopt;
  auto values = access->all_values();
  if (!values) {
    if (values.error().code == Code::locked) return std::nullopt;
    return tl::unexpected(values.error());
  }
  KnownValues known;
  std::vector<MaskValue> masks;
  for (auto& [path, value] : *values) {
    known.by_path[path] = {value.size(), value_hash(value.view())};
    masks.push_back({path, std::move(value)});
  }
  known.set = TRY(MaskSet::build(std::move(masks)));
  return known;
}

// A vault value a rule also found at the same place is reported once, by
// the rule (labelled with the path).
void drop_known_duplicates(std::vector<Exposure>& exposures) {
  std::set<std::tuple<std::string, std::size_t, std::string>> by_rule;
  for (const Exposure& e : exposures) {
    if (e.rule != "vault-value" && !e.managed.empty()) by_rule.emplace(e.path, e.line, e.managed);
  }
  std::erase_if(exposures, [&](const Exposure& e) {
    return e.rule == "vault-value" && by_rule.contains({e.path, e.line, e.managed});
  });
}

// Drops suppressed exposures, prints the rest and sets the exit code.
Status report(Context& ctx, const ScanCommon& o, Source source, std::vector<Exposure> exposures,
              const Suppressions& suppressions, ScanStats stats,
              std::chrono::steady_clock::time_point started) {
  std::vector<Exposure> shown;
  for (Exposure& e : exposures) {
    if (suppressions.suppressed(e)) {
      ++stats.suppressed;
    } else {
      shown.push_back(std::move(e));
    }
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string out;
  if (o.json) {
    out = to_json(shown, stats);
  } else if (o.sarif) {
    out = to_sarif(shown);
  }
  if (!out.empty()) {
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else if (!shown.empty()) {
    auto rows = to_table(shown, source);
    for (auto& row : rows) {
      for (auto& cell : row) cell = printable(cell);
    }
    print_table(rows);
  }
  std::fflush(stdout);
  if (!o.json && !o.sarif) {
    std::string what = source == Source::process
                           ? fmt::format("{} processes", stats.files)
                           : fmt::format("{} files ({:.1f} MB)", stats.files, stats.bytes / 1e6);
    fmt::print(stderr, "{} secret{} found in {} in {:.2f}s{}\n", shown.size(),
               shown.size() == 1 ? "" : "s", what, stats.seconds,
               stats.suppressed ? fmt::format(" ({} suppressed)", stats.suppressed) : "");
  }
  ctx.exit_code = shown.empty() ? 0 : 1;
  return {};
}

Status load_suppressions(Suppressions& s, const ScanCommon& o,
                         const std::vector<std::string>& ignore_dirs) {
  for (const std::string& dir : ignore_dirs) TRY(s.add_ignore_file(dir + "/.wardignore"));
  if (!o.baseline.empty()) TRY(s.add_baseline(o.baseline));
  return {};
}

void add_common(CLI::App* cmd, ScanCommon& c, bool sarif) {
  cmd->add_flag("--json", c.json, "Print a JSON report");
  if (sarif) cmd->add_flag("--sarif", c.sarif, "Print SARIF 2.1.0 (code-scanning upload)");
  cmd->add_option("--config", c.config, "Rules: a ward rules .yaml or a gitleaks .toml");
  cmd->add_option("--baseline", c.baseline,
                  "Report only findings absent from this earlier --json report");
}

namespace {

Status check_common(const ScanCommon& c) {
  if (c.json && c.sarif) return fail(Code::usage, "--json and --sarif exclude each other");
  return {};
}

}  // namespace

void on_scan(CLI::App* cmd, Context& ctx, const ScanCommon& c, std::function<Status()> action) {
  cmd->callback([&ctx, &c, action = std::move(action)] {
    ctx.error_exit_code = 2;
    ctx.action = [&c, action]() -> Status {
      TRY(check_common(c));
      return action();
    };
  });
}

}  // namespace ward::cli
