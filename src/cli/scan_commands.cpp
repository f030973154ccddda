// ward scan files|git (and, from scan_shell.cpp and scan_agents.cpp, shell
// and agents): find secrets already exposed. Exit 0 when nothing is found,
// 1 when something is, 2 on any error.
#include <sys/stat.h>

#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "cli/scan_support.hpp"
#include "scan/git_source.hpp"
#include "scan/walk.hpp"
#include "util/file.hpp"

namespace ward::cli {

namespace {

using namespace ward::scan;

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
  ScanCommon common;
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
  ScanCommon common;
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
  std::optional<KnownSearch> search;
  if (known) search.emplace(*known);
  auto scratch = scanner.make_scratch();
  Found found;
  ScanStats stats;
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
    scan_text(scanner, *scratch, added.text, origin, found, true, search ? &*search : nullptr);
    // Lines of the added text are lines of the file in that commit.
    for (std::size_t i = before; i < found.exposures.size(); ++i) {
      Exposure& e = found.exposures[i];
      if (e.line >= 1 && e.line <= added.lines.size()) e.line = added.lines[e.line - 1];
    }
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
  on_scan(files, ctx, fo->common, [&ctx, fo] { return cmd_scan_files(ctx, *fo); });

  auto* git = scan->add_subcommand("git", "Scan the lines every commit added");
  auto go = std::make_shared<GitScanOptions>();
  git->add_option("repo", go->repo, "The repository (default: the current directory)");
  add_common(git, go->common, true);
  git->add_option("--since", go->since, "Only commits not reachable from this revision");
  git->add_flag("--all", go->all, "Every branch, tag and remote, not only HEAD");
  git->add_flag("--staged", go->staged, "The staged changes (what the pre-commit hook runs)");
  on_scan(git, ctx, go->common, [&ctx, go] { return cmd_scan_git(ctx, *go); });

  add_scan_shell(scan, ctx);
  add_scan_agents(scan, ctx);
}

}  // namespace ward::cli
