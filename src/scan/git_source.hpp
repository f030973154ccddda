// What a git repository's history and index add, for `ward scan git` and
// the pre-commit hook: every line a commit added to a file, with the
// commit, its author and the file's path, handed over one (commit, file)
// at a time so the caller scans each as a small text.
//
// Each commit is diffed against its first parent (the empty tree for a
// root commit) with no context lines, so a secret is reported once, by the
// commit that added it, even if a later commit removed it. The result is
// that of `git log -p -U0 --no-merges -M100%`:
// - merge commits are skipped, as `git log -p` does without -m: what a
//   merge brings in was added by the commits merged, which the walk visits
//   too; only lines written while resolving a conflict go unseen;
// - renames are found by exact content only (comparing blob ids costs
//   nothing): a file moved unchanged adds no lines; a file moved and
//   edited in one commit shows as added whole;
// - binary files (a NUL or mostly control bytes in the first 8000; not
//   .gitattributes, which a leak could use to hide) and submodule entries
//   are skipped; a file that was binary and is now text is added whole;
// - in a shallow clone the oldest commits present count as root commits.
//
// libgit2 is loaded on first use (git_loader.hpp); without it every call
// fails with unavailable.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace ward::scan {

struct GitOptions {
  std::string since;  // a revision: only commits not reachable from it ("" = whole history)
  bool all = false;   // every ref (branches, tags, remotes, stash) and HEAD instead of HEAD
};

// The lines one commit added to one file.
struct AddedText {
  std::string commit;                // full hex id; "" for staged changes
  std::string author;                // "Name <email>"; "" for staged changes
  std::int64_t time = 0;             // author time, unix seconds; 0 for staged changes
  std::string path;                  // the file's path in the commit (or index), '/'-separated
  std::string text;                  // the added lines, each ending in '\n'
  std::vector<std::uint32_t> lines;  // the new-file line number of each line of text
};

// Called once per (commit, file) with added lines; the AddedText is reused
// for the next call. An error stops the walk and is returned as it is.
using AddedTextVisitor = std::function<Status(const AddedText&)>;

// Walks the commits of HEAD (or of every ref and HEAD with options.all),
// newest first with children before parents, each commit once, and visits
// the lines each added. repo is a work tree, any directory inside one, a
// .git directory or a bare repository. not_found "not a git repository:
// PATH"; invalid_input for a since that names no single commit ("unknown
// revision: REV", "not a commit: REV", "ambiguous revision: REV"); denied
// when git's safe.directory check refuses a repository owned by someone
// else; io when an object cannot be read. A repository without commits has
// nothing to visit.
Status scan_history(const std::string& repo, const GitOptions& options,
                    const AddedTextVisitor& visit);

// Visits the lines the index adds to HEAD's tree (to the empty tree before
// the first commit): what `git commit` is about to record, for the
// pre-commit hook. Reads the index named by GIT_INDEX_FILE when set, as git
// sets it for the hook of `git commit -a` or `git commit PATH`. Errors as
// scan_history, and invalid_input for a bare repository (it has no index).
Status scan_staged(const std::string& repo, const AddedTextVisitor& visit);

}  // namespace ward::scan
