// The commits `ward scan git` visits: those reachable from HEAD (or from
// every ref), less those reachable from --since, children before parents
// and newest first where that leaves a choice (git's --topo-order).
//
// The walk is ours rather than libgit2's revwalk, which in 1.5 fails on a
// shallow clone (the parent of its oldest commit is missing), and shallow
// clones are how CI checks code out. As git does, the commits listed in
// $GIT_DIR/shallow count as root commits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scan/git_loader.hpp"
#include "scan/git_source.hpp"

namespace ward::scan {

struct WalkedCommit {
  git_oid id;
  git_oid tree;
  git_oid parent_tree;        // the first parent's tree when parents > 0
  std::uint32_t parents = 0;  // 0 for a root commit or a shallow clone's oldest
};

// The commits to visit, in order. invalid_input for a since that names no
// commit ("unknown revision: REV", "not a commit: REV"); io when an object
// cannot be read.
Result<std::vector<WalkedCommit>> walk_commits(const GitApi& api, git_repository* repo,
                                               const GitOptions& options);

// The commit rev names (a branch, tag, hex id, HEAD~2...); invalid_input
// when it names nothing or no commit.
Result<git_oid> resolve_commit(const GitApi& api, git_repository* repo, const std::string& rev);

}  // namespace ward::scan
