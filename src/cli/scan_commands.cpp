// ward scan files|git|shell|agents: find secrets already exposed. Exit 0
// when nothing is found, 1 when something is, 2 on any error.
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/paths.hpp"
#include "scan/git_source.hpp"
#include "scan/gitleaks.hpp"
#include "scan/processes.hpp"
#include "scan/redact.hpp"
#include "scan/report.hpp"
#include "scan/rules.hpp"
#include "scan/runner.hpp"
#include "scan/transcripts.hpp"
#include "scan/walk.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace ward::cli {

namespace {

using namespace ward::scan;

// What every scan takes.
struct Common {
  bool json = false;
  bool sarif = false;
  std::string config;    // a gitleaks .toml or a ward rules .yaml
  std::string baseline;  // a previous --json report
};

Result<Scanner> load_scanner(const Common& o) {
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
  auto agent = TRY(ctx.agent());
  if (!agent) return std::nullopt;
  auto resp = agent->call("mask_values");
  if (!resp) {
    if (resp.error().code == Code::locked) return std::nullopt;
    return tl::unexpected(resp.error());
  }
  auto values = TRY(detach_values(*resp));
  const auto& labels = resp->body["labels"];
  if (!labels.is_array() || labels.size() != values.size()) {
    return fail(Code::protocol, "malformed mask_values response");
  }
  KnownValues known;
  std::vector<MaskValue> masks;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!labels[i].is_string()) return fail(Code::protocol, "malformed label");
    std::string path = labels[i].get<std::string>();
    known.by_path[path] = {values[i].size(), value_hash(values[i].view())};
    masks.push_back({std::move(path), std::move(values[i])});
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
Status report(Context& ctx, const Common& o, Source source, std::vector<Exposure> exposures,
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

Status load_suppressions(Suppressions& s, const Common& o,
                         const std::vector<std::string>& ignore_dirs) {
  for (const std::string& dir : ignore_dirs) TRY(s.add_ignore_file(dir + "/.wardignore"));
  if (!o.baseline.empty()) TRY(s.add_baseline(o.baseline));
  return {};
}

// "10M", "512k", "1G" or bytes.
Result<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K':
        unit = 1ull << 10;
        break;
      case 'm':
      case 'M':
        unit = 1ull << 20;
        break;
      case 'g':
      case 'G':
        unit = 1ull << 30;
        break;
      default:
        break;
    }
    if (unit != 1) text.remove_suffix(1);
  }
  std::uint64_t n = 0;
  bool ok = !text.empty() && text.size() < 12;
  for (char c : text) {
    ok = ok && c >= '0' && c <= '9';
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (!ok || n == 0) {
    return fail(Code::usage, fmt::format("bad size '{}'", text), "for example: 10M, 512k, 2000000");
  }
  return n * unit;
}

struct FilesOptions {
  Common common;
  std::vector<std::string> paths;
  std::vector<std::string> excludes;
  std::string max_size = "10M";
  bool no_gitignore = false;
  unsigned threads = 0;
};

Status cmd_scan_files(Context& ctx, const FilesOptions& o) {
  auto started = std::chrono::steady_clock::now();
  WalkOptions walk_options;
  walk_options.excludes = o.excludes;
  walk_options.max_size = TRY(parse_size(o.max_size));
  walk_options.gitignore = !o.no_gitignore;
  Suppressions suppressions;
  std::vector<std::string> ignore_dirs;
  for (const std::string& root : o.paths) {
    struct stat st {};
    bool dir = ::stat(root.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    ignore_dirs.push_back(dir ? root : dirname_of(root));
  }
  TRY(load_suppressions(suppressions, o.common, ignore_dirs));
  Scanner scanner = TRY(load_scanner(o.common));
  WalkStats walked;
  std::vector<WalkedFile> files = TRY(walk(o.paths, walk_options, walked));
  std::vector<std::string> paths;
  paths.reserve(files.size());
  for (WalkedFile& f : files) paths.push_back(std::move(f.path));
  ScanStats stats;
  stats.skipped = walked.too_large + walked.unreadable;
  auto known = TRY(known_values(ctx));
  Found found =
      scan_files(scanner, paths, o.paths, true, o.threads, stats, known ? &*known : nullptr);
  TRY(label_managed(ctx, found));
  drop_known_duplicates(found.exposures);
  return report(ctx, o.common, Source::file, std::move(found.exposures), suppressions, stats,
                started);
}

struct GitScanOptions {
  Common common;
  std::string repo = ".";
  std::string since;
  bool all = false;
  bool staged = false;  // the pre-commit hook: index against HEAD
};

Status cmd_scan_git(Context& ctx, const GitScanOptions& o) {
  auto started = std::chrono::steady_clock::now();
  Suppressions suppressions;
  TRY(load_suppressions(suppressions, o.common, {o.repo}));
  Scanner scanner = TRY(load_scanner(o.common));
  auto known = TRY(known_values(ctx));
  auto scratch = scanner.make_scratch();
  Found found;
  ScanStats stats;
  std::set<std::string> commits;
  auto visit = [&](const AddedText& added) -> Status {
    if (scanner.path_excluded(added.path)) return {};
    Origin origin;
    origin.base.source = Source::git;
    origin.base.path = added.path;
    origin.base.commit = added.commit;
    origin.base.author = added.author;
    origin.base.time = added.time;
    origin.where = added.path;
    std::size_t before = found.exposures.size();
    scan_text(scanner, *scratch, added.text, origin, found, true, known ? &*known : nullptr);
    // Lines of the added text are lines of the file in that commit.
    for (std::size_t i = before; i < found.exposures.size(); ++i) {
      Exposure& e = found.exposures[i];
      if (e.line >= 1 && e.line <= added.lines.size()) e.line = added.lines[e.line - 1];
    }
    commits.insert(added.commit);
    stats.bytes += added.text.size();
    ++stats.files;
    return {};
  };
  if (o.staged) {
    TRY(scan_staged(o.repo, visit));
  } else {
    TRY(scan_history(o.repo, GitOptions{o.since, o.all}, visit));
  }
  TRY(label_managed(ctx, found));
  drop_known_duplicates(found.exposures);
  return report(ctx, o.common, Source::git, std::move(found.exposures), suppressions, stats,
                started);
}

struct ShellOptions {
  Common common;
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

struct AgentsOptions {
  Common common;
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
      auto read = read_file(t.path);
      if (!read) {
        ++stats.skipped;
        break;
      }
      text = std::move(*read);
      Found here;
      scan_text(scanner, *scratch, text, origin, here, true, known ? &*known : nullptr);
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

constexpr std::string_view kHookMarker = "# ward pre-commit hook";

// core.hooksPath from a repository's config file ("" when unset): the
// [core] section's hooksPath key (git's keys are case-insensitive).
std::string core_hooks_path(std::string_view config) {
  bool in_core = false;
  for (std::string_view line : split(config, '\n')) {
    line = trim(line);
    if (line.starts_with('[')) {
      in_core = to_lower(std::string(line)).starts_with("[core]");
      continue;
    }
    if (!in_core) continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    if (to_lower(std::string(trim(line.substr(0, eq)))) == "hookspath") {
      return std::string(trim(line.substr(eq + 1)));
    }
  }
  return {};
}

// The hooks directory of the repository holding dir: .git/hooks, or for a
// linked work tree (.git is a file naming the git dir) its common dir's.
Result<std::string> hooks_dir(std::string dir) {
  char resolved[PATH_MAX];
  if (!::realpath(dir.c_str(), resolved)) return errno_error(Code::not_found, dir);
  dir = resolved;
  for (;;) {
    std::string dot_git = dir + "/.git";
    struct stat st {};
    if (::stat(dot_git.c_str(), &st) == 0) {
      std::string git_dir = dot_git;
      if (S_ISREG(st.st_mode)) {
        std::string text = TRY(read_file(dot_git));
        std::string_view line = trim(text);
        if (!line.starts_with("gitdir:")) {
          return fail(Code::invalid_input, fmt::format("{}: not a gitdir file", dot_git));
        }
        git_dir = std::string(trim(line.substr(7)));
        if (!git_dir.starts_with('/')) git_dir = dir + "/" + git_dir;
        if (auto common = read_file(git_dir + "/commondir")) {
          std::string c(trim(*common));
          git_dir = c.starts_with('/') ? c : git_dir + "/" + c;
        }
      }
      // Husky and similar tools point git elsewhere; writing there would
      // edit files the repository tracks, so the user decides.
      if (auto config = read_file(git_dir + "/config")) {
        if (std::string path = core_hooks_path(*config); !path.empty()) {
          return fail(Code::already_exists,
                      fmt::format("core.hooksPath is set to '{}': git does not run .git/hooks",
                                  printable(path)),
                      "add 'ward scan git --staged' to the pre-commit hook there");
        }
      }
      return git_dir + "/hooks";
    }
    if (dir == "/" || dir.empty()) break;
    dir = dirname_of(dir);
  }
  return fail(Code::not_found, "not inside a git repository",
              "run it in the repository's work tree");
}

Status cmd_hook_install(const std::string& hook, bool force) {
  if (hook != "pre-commit") {
    return fail(Code::usage, fmt::format("unknown hook '{}'", hook),
                "ward hook install pre-commit");
  }
  std::string dir = TRY(hooks_dir("."));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return errno_error(Code::io, dir);
  std::string path = dir + "/pre-commit";
  if (auto existing = read_file(path)) {
    if (existing->find(kHookMarker) == std::string::npos && !force) {
      return fail(Code::already_exists, fmt::format("{} exists and is not ward's", path),
                  "add 'ward scan git --staged' to it, or replace it with --force");
    }
  }
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string ward = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : "ward";
  std::string script = fmt::format(
      "#!/bin/sh\n"
      "{}: refuses a commit whose staged changes hold a secret.\n"
      "# Installed by 'ward hook install pre-commit'. Skip once: git commit --no-verify.\n"
      "# Leave a finding out: a 'ward:allow' comment on its line, or its fingerprint\n"
      "# in .wardignore.\n"
      "ward='{}'\n"
      "[ -x \"$ward\" ] || ward=ward\n"
      "exec \"$ward\" scan git --staged .\n",
      kHookMarker, ward);
  auto file = TRY(AtomicFile::create(path, 0755));
  TRY(file.write(script));
  TRY(file.commit());
  fmt::print("installed {}\n", path);
  return {};
}

void add_common(CLI::App* cmd, Common& c, bool sarif) {
  cmd->add_flag("--json", c.json, "Print a JSON report");
  if (sarif) cmd->add_flag("--sarif", c.sarif, "Print SARIF 2.1.0 (code-scanning upload)");
  cmd->add_option("--config", c.config, "Rules: a ward rules .yaml or a gitleaks .toml");
  cmd->add_option("--baseline", c.baseline,
                  "Report only findings absent from this earlier --json report");
}

Status check_common(const Common& c) {
  if (c.json && c.sarif) return fail(Code::usage, "--json and --sarif exclude each other");
  return {};
}

}  // namespace

void register_scan_commands(CLI::App& app, Context& ctx) {
  auto* scan = app.add_subcommand("scan", "Find secrets already exposed (exit 1 when found)");
  scan->require_subcommand(1);

  auto* files = scan->add_subcommand("files", "Scan files and directories");
  auto fo = std::make_shared<FilesOptions>();
  files->add_option("paths", fo->paths, "Files or directories")->required();
  add_common(files, fo->common, true);
  files->add_option("--exclude", fo->excludes, "Skip paths matching this gitignore-style glob");
  files->add_option("--max-size", fo->max_size, "Skip files larger than this (default 10M)");
  files->add_flag("--no-gitignore", fo->no_gitignore, "Scan files .gitignore leaves out too");
  files->add_option("--threads", fo->threads, "Scanning threads (default: one per core)");
  files->callback([&ctx, fo] {
    ctx.error_exit_code = 2;
    ctx.action = [&ctx, fo]() -> Status {
      TRY(check_common(fo->common));
      return cmd_scan_files(ctx, *fo);
    };
  });

  auto* git = scan->add_subcommand("git", "Scan the lines every commit added");
  auto go = std::make_shared<GitScanOptions>();
  git->add_option("repo", go->repo, "The repository (default: the current directory)");
  add_common(git, go->common, true);
  git->add_option("--since", go->since, "Only commits not reachable from this revision");
  git->add_flag("--all", go->all, "Every branch, tag and remote, not only HEAD");
  git->add_flag("--staged", go->staged, "The staged changes (what the pre-commit hook runs)");
  git->callback([&ctx, go] {
    ctx.error_exit_code = 2;
    ctx.action = [&ctx, go]() -> Status {
      TRY(check_common(go->common));
      return cmd_scan_git(ctx, *go);
    };
  });

  auto* shell =
      scan->add_subcommand("shell", "Scan the environments and command lines of your processes");
  auto so = std::make_shared<ShellOptions>();
  add_common(shell, so->common, false);
  shell->add_flag("--summary", so->summary, "One line per process with how many secrets it holds");
  shell->add_flag("--all-users", so->all_users, "Every user's processes (root only)");
  shell->callback([&ctx, so] {
    ctx.error_exit_code = 2;
    ctx.action = [&ctx, so] { return cmd_scan_shell(ctx, *so); };
  });

  auto* agents = scan->add_subcommand("agents", "Scan AI agent transcripts and shell histories");
  auto ao = std::make_shared<AgentsOptions>();
  add_common(agents, ao->common, false);
  agents->add_flag("--redact", ao->redact,
                   "Rewrite each finding in place as [masked:RULE:HASH] (atomically)");
  agents->add_option("--home", ao->home, "Look under this home directory (default: $HOME)");
  agents->callback([&ctx, ao] {
    ctx.error_exit_code = 2;
    ctx.action = [&ctx, ao] { return cmd_scan_agents(ctx, *ao); };
  });

  auto* hook = app.add_subcommand("hook", "Install git hooks");
  hook->require_subcommand(1);
  auto* install =
      hook->add_subcommand("install", "Install a hook: pre-commit scans staged changes");
  auto name = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  install->add_option("hook", *name, "The hook (pre-commit)")->required();
  install->add_flag("--force", *force, "Replace a hook that is not ward's");
  install->callback([&ctx, name, force] {
    ctx.action = [name, force] { return cmd_hook_install(*name, *force); };
  });
}

}  // namespace ward::cli
