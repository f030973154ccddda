// ward scan shell: secrets in the environments and command lines of the
// user's processes; values ward sealed are listed as managed, and with the
// agent unlocked every value is asked about (a vault value is found
// whatever its format).
#include <chrono>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cli/output.hpp"
#include "cli/scan_support.hpp"
#include "scan/processes.hpp"

namespace ward::cli {

namespace {

using namespace ward::scan;

struct ShellOptions {
  ScanCommon common;
  bool summary = false;
  bool all_users = false;
};

// One NAME=value entry of an environment: its name and value.
std::pair<std::string_view, std::string_view> split_entry(std::string_view entry) {
  std::size_t eq = entry.find('=');
  if (eq == std::string_view::npos) return {entry, {}};
  return {entry.substr(0, eq), entry.substr(eq + 1)};
}

// An exposure that no rule produced (a sealed value, a command-line
// argument, a vault value): origin's fields, the rule, and the value's hash.
Exposure whole_value(const Origin& origin, std::string rule, std::string description,
                     std::string_view value) {
  Exposure e = origin.base;
  e.rule = std::move(rule);
  e.description = std::move(description);
  e.length = value.size();
  e.hash = value_hash(value);
  e.fingerprint = e.rule + ":" + origin.where + ":" + e.hash;
  return e;
}

Status cmd_scan_shell(Context& ctx, const ShellOptions& o) {
  auto started = std::chrono::steady_clock::now();
  Suppressions suppressions;
  TRY(load_suppressions(suppressions, o.common, {}));
  Scanner scanner = TRY(load_scanner(o.common));
  ProcessStats pstats;
  std::vector<ProcessEnv> processes = TRY(read_processes(o.all_users, pstats));
  auto scratch = scanner.make_scratch();
  Found found;
  std::vector<Exposure> managed_env;  // ENC[ward:…] values: ward's own, not exposed
  // With the agent running, every value no rule claims is asked about too:
  // a vault value is found whatever its format.
  auto agent = TRY(ctx.agent());
  Found whole;
  for (ProcessEnv& p : processes) {
    Origin origin;
    origin.base.source = Source::process;
    origin.base.pid = p.pid;
    origin.base.process = p.comm;
    std::string_view env = p.environ;
    while (!env.empty()) {
      std::size_t end = env.find('\0');
      std::string_view entry = env.substr(0, end);
      env.remove_prefix(end == std::string_view::npos ? env.size() : end + 1);
      auto [name, value] = split_entry(entry);
      if (value.empty()) continue;
      origin.base.variable = std::string(name);
      origin.where = p.comm + ":" + origin.base.variable;
      if (value.starts_with("ENC[ward:")) {
        Exposure e =
            whole_value(origin, "ward-sealed", "a value sealed by ward for one session", value);
        e.managed = "ENC[ward]";
        managed_env.push_back(std::move(e));
        continue;
      }
      std::size_t before = found.exposures.size();
      scan_text(scanner, *scratch, entry, origin, found, true);
      if (agent && found.exposures.size() == before && value.size() >= 8) {
        whole.exposures.push_back(
            whole_value(origin, "vault-value", "a value the vault holds, in plain text", value));
        whole.values.push_back(SecretBytes::copy_of(value.data(), value.size()));
      }
    }
    for (const ArgSecret& a : secret_arguments(p.argv)) {
      std::string_view value = std::string_view(p.argv[a.arg]).substr(a.offset, a.length);
      Origin arg = origin;
      arg.base.variable = fmt::format("argv[{}]", a.arg);
      arg.where = p.comm + ":" + arg.base.variable;
      found.exposures.push_back(whole_value(
          arg, a.kind, "a secret on a command line (any user can read it in ps)", value));
      found.values.push_back(SecretBytes::copy_of(value.data(), value.size()));
    }
    // What the agent-specific argument check did not claim: tokens of
    // known formats anywhere on the command line.
    std::string joined;
    for (const std::string& arg : p.argv) joined.append(arg).push_back('\n');
    origin.base.variable = "argv";
    origin.where = p.comm + ":argv";
    std::size_t before = found.exposures.size();
    scan_text(scanner, *scratch, joined, origin, found, true);
    for (std::size_t i = before; i < found.exposures.size(); ++i) {
      Exposure& e = found.exposures[i];
      if (e.line >= 1) e.variable = fmt::format("argv[{}]", e.line - 1);
    }
    std::fill(joined.begin(), joined.end(), '\0');
    std::fill(p.environ.begin(), p.environ.end(), '\0');
    for (std::string& arg : p.argv) std::fill(arg.begin(), arg.end(), '\0');
  }
  // A value both the argument check and a rule found is reported once.
  {
    std::set<std::string> seen;
    Found unique;
    for (std::size_t i = 0; i < found.exposures.size(); ++i) {
      Exposure& e = found.exposures[i];
      if (!seen.insert(fmt::format("{}:{}:{}", e.pid, e.variable, e.hash)).second) continue;
      unique.exposures.push_back(std::move(e));
      unique.values.push_back(std::move(found.values[i]));
    }
    found = std::move(unique);
  }
  TRY(label_managed(ctx, found));
  if (agent && !whole.values.empty()) {
    auto paths = vault_paths_of(*agent, whole.values);
    if (!paths && paths.error().code != Code::locked) return tl::unexpected(paths.error());
    for (std::size_t i = 0; paths && i < paths->size(); ++i) {
      if (!(*paths)[i]) continue;
      whole.exposures[i].managed = *(*paths)[i];
      found.exposures.push_back(std::move(whole.exposures[i]));
    }
  }
  ScanStats stats;
  stats.files = pstats.processes;
  stats.skipped = pstats.unreadable + pstats.vanished;
  if (o.summary && !o.common.json) {
    std::map<std::pair<int, std::string>, std::size_t> per_process;
    for (const Exposure& e : found.exposures) {
      ++per_process[{e.pid, e.process}];
    }
    std::vector<std::vector<std::string>> rows = {{"PID", "PROCESS", "SECRETS"}};
    for (const auto& [key, n] : per_process) {
      rows.push_back({std::to_string(key.first), printable(key.second), std::to_string(n)});
    }
    if (rows.size() > 1) print_table(rows);
    fmt::print(stderr, "{} secret{} exposed in {} of {} processes\n", found.exposures.size(),
               found.exposures.size() == 1 ? "" : "s", per_process.size(), stats.files);
    ctx.exit_code = per_process.empty() ? 0 : 1;
    return {};
  }
  std::vector<Exposure> all = std::move(found.exposures);
  std::move(managed_env.begin(), managed_env.end(), std::back_inserter(all));
  return report(ctx, o.common, Source::process, std::move(all), suppressions, stats, started);
}

}  // namespace

void add_scan_shell(CLI::App* scan, Context& ctx) {
  auto* shell =
      scan->add_subcommand("shell", "Scan the environments and command lines of your processes");
  auto so = std::make_shared<ShellOptions>();
  add_common(shell, so->common, false);
  shell->add_flag("--summary", so->summary, "One line per process with how many secrets it holds");
  shell->add_flag("--all-users", so->all_users, "Every user's processes (root only)");
  on_scan(shell, ctx, so->common, [&ctx, so] { return cmd_scan_shell(ctx, *so); });
}

}  // namespace ward::cli
