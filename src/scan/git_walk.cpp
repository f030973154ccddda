#include "scan/git_walk.hpp"

#include <string.h>

#include <queue>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "util/file.hpp"

namespace ward::scan {

namespace {

struct OidHash {
  std::size_t operator()(const git_oid& id) const {
    std::size_t h;
    ::memcpy(&h, id.id, sizeof h);  // already uniformly distributed
    return h;
  }
};
struct OidEqual {
  bool operator()(const git_oid& a, const git_oid& b) const {
    return ::memcmp(a.id, b.id, GIT_OID_RAWSZ) == 0;
  }
};
using OidSet = std::unordered_set<git_oid, OidHash, OidEqual>;

// The commits a shallow clone has without their parents ($GIT_DIR/shallow,
// one hex id a line); git treats them as root commits.
Result<OidSet> shallow_commits(const GitApi& api, git_repository* repo) {
  OidSet out;
  std::string path = std::string(api.repository_commondir(repo)) + "shallow";
  if (!path_exists(path)) return out;
  std::string text = TRY(read_file(path));
  std::string_view rest = text;
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.size() != GIT_OID_HEXSZ) continue;
    git_oid id;
    bool ok = true;
    for (std::size_t i = 0; i < GIT_OID_RAWSZ; ++i) {
      int hi = nibble(line[2 * i]), lo = nibble(line[2 * i + 1]);
      ok = ok && hi >= 0 && lo >= 0;
      id.id[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    if (ok) out.insert(id);
  }
  return out;
}

// The commits to visit: reachable from the starts, not from a hidden
// commit. Nodes are created for every commit seen, parsed (time, tree,
// parents) when queued.
class Walk {
 public:
  struct Node {
    git_oid id;
    git_oid tree;
    std::int64_t time = 0;
    std::uint32_t first_parent = 0;  // into parents_
    std::uint32_t parent_count = 0;
    bool queued = false;
    bool popped = false;
    bool hidden = false;
  };

  Walk(const GitApi& api, git_repository* repo, OidSet shallow)
      : api_(api), repo_(repo), shallow_(std::move(shallow)) {}

  Status start(const git_oid& id) { return push(node_of(id)); }
  Status hide(const git_oid& id) {
    std::uint32_t i = node_of(id);
    mark_hidden(i);
    return push(i);
  }

  // The commits to visit, children before parents, newest first where the
  // order is free.
  Result<std::vector<std::uint32_t>> order() {
    // Pop newest first; stop once only hidden commits are queued: what is
    // left is reachable from them. (A clock skewed backwards can let a
    // commit reachable from a hidden one through older commits be visited:
    // too much, never too little.)
    std::vector<std::uint32_t> wanted;
    while (!queue_.empty() && positive_queued_ > 0) {
      std::uint32_t i = queue_.top().second;
      queue_.pop();
      nodes_[i].popped = true;
      bool hidden = nodes_[i].hidden;
      if (!hidden) {
        --positive_queued_;
        wanted.push_back(i);
      }
      for (std::uint32_t k = 0; k < nodes_[i].parent_count; ++k) {
        std::uint32_t p = parents_[nodes_[i].first_parent + k];
        if (hidden) mark_hidden(p);
        TRY(push(p));
      }
    }
    // Kahn's topological sort, newest first among the ready.
    auto in_walk = [&](std::uint32_t i) { return nodes_[i].popped && !nodes_[i].hidden; };
    std::vector<std::uint32_t> children(nodes_.size(), 0);
    for (std::uint32_t i : wanted) {
      if (!in_walk(i)) continue;
      for (std::uint32_t k = 0; k < nodes_[i].parent_count; ++k) {
        std::uint32_t p = parents_[nodes_[i].first_parent + k];
        if (in_walk(p)) ++children[p];
      }
    }
    Queue ready;
    for (std::uint32_t i : wanted) {
      if (in_walk(i) && children[i] == 0) ready.push(key(i));
    }
    std::vector<std::uint32_t> out;
    while (!ready.empty()) {
      std::uint32_t i = ready.top().second;
      ready.pop();
      out.push_back(i);
      for (std::uint32_t k = 0; k < nodes_[i].parent_count; ++k) {
        std::uint32_t p = parents_[nodes_[i].first_parent + k];
        if (in_walk(p) && --children[p] == 0) ready.push(key(p));
      }
    }
    return out;
  }

  const Node& node(std::uint32_t i) const { return nodes_[i]; }
  const Node& first_parent(const Node& n) const { return nodes_[parents_[n.first_parent]]; }

 private:
  // Newest first; between equal times, the commit seen first (a child is
  // seen before its parents).
  struct Later {
    bool operator()(const std::pair<std::int64_t, std::uint32_t>& a,
                    const std::pair<std::int64_t, std::uint32_t>& b) const {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    }
  };
  using Queue = std::priority_queue<std::pair<std::int64_t, std::uint32_t>,
                                    std::vector<std::pair<std::int64_t, std::uint32_t>>, Later>;
  std::pair<std::int64_t, std::uint32_t> key(std::uint32_t i) const { return {nodes_[i].time, i}; }

  std::uint32_t node_of(const git_oid& id) {
    auto [it, added] = index_.try_emplace(id, static_cast<std::uint32_t>(nodes_.size()));
    if (added) {
      nodes_.emplace_back();
      nodes_.back().id = id;
    }
    return it->second;
  }

  Status parse(std::uint32_t i) {
    git_oid id = nodes_[i].id;
    git_commit* raw = nullptr;
    int rc = api_.commit_lookup(&raw, repo_, &id);
    Owned<git_commit> commit(raw, api_.commit_free);
    if (rc < 0) {
      return git_failure(api_, rc, fmt::format("cannot read commit {}", oid_hex(api_, id)));
    }
    nodes_[i].time = api_.commit_time(commit.get());
    nodes_[i].tree = *api_.commit_tree_id(commit.get());
    unsigned count = shallow_.contains(id) ? 0 : api_.commit_parentcount(commit.get());
    parent_ids_.clear();
    for (unsigned k = 0; k < count; ++k) {
      parent_ids_.push_back(*api_.commit_parent_id(commit.get(), k));
    }
    std::uint32_t first = static_cast<std::uint32_t>(parents_.size());
    for (const git_oid& p : parent_ids_) parents_.push_back(node_of(p));  // may grow nodes_
    nodes_[i].first_parent = first;
    nodes_[i].parent_count = count;
    return {};
  }

  Status push(std::uint32_t i) {
    if (nodes_[i].queued) return {};
    TRY(parse(i));
    nodes_[i].queued = true;
    queue_.push(key(i));
    if (!nodes_[i].hidden) ++positive_queued_;
    return {};
  }

  // Hides i and, through commits already popped, its ancestors; a queued
  // commit passes its mark on to its parents when popped.
  void mark_hidden(std::uint32_t first) {
    std::vector<std::uint32_t>& stack = hide_stack_;
    stack.assign(1, first);
    while (!stack.empty()) {
      std::uint32_t i = stack.back();
      stack.pop_back();
      Node& n = nodes_[i];
      if (n.hidden) continue;
      n.hidden = true;
      if (n.queued && !n.popped) --positive_queued_;
      if (!n.popped) continue;
      for (std::uint32_t k = 0; k < n.parent_count; ++k) {
        stack.push_back(parents_[n.first_parent + k]);
      }
    }
  }

  const GitApi& api_;
  git_repository* repo_;
  OidSet shallow_;
  std::vector<Node> nodes_;
  std::unordered_map<git_oid, std::uint32_t, OidHash, OidEqual> index_;
  std::vector<std::uint32_t> parents_;
  std::vector<git_oid> parent_ids_;        // parse's scratch
  std::vector<std::uint32_t> hide_stack_;  // mark_hidden's scratch
  Queue queue_;
  std::size_t positive_queued_ = 0;  // queued, not popped, not hidden
};

// Pushes HEAD, or every ref and HEAD, as starts of walk.
Status start_walk(const GitApi& api, git_repository* repo, bool all, Walk& walk) {
  int unborn = api.repository_head_unborn(repo);
  if (unborn < 0) return git_failure(api, unborn, "cannot read HEAD");
  if (unborn == 0) TRY(walk.start(TRY(resolve_commit(api, repo, "HEAD"))));
  if (!all) return {};
  git_reference_iterator* raw = nullptr;
  int rc = api.reference_iterator_new(&raw, repo);
  Owned<git_reference_iterator> refs(raw, api.reference_iterator_free);
  if (rc < 0) return git_failure(api, rc, "cannot list refs");
  git_reference* ref_raw = nullptr;
  while ((rc = api.reference_next(&ref_raw, refs.get())) == 0) {
    Owned<git_reference> ref(ref_raw, api.reference_free);
    git_object* target_raw = nullptr;
    int peeled = api.reference_peel(&target_raw, ref.get(), GIT_OBJECT_COMMIT);
    Owned<git_object> target(target_raw, api.object_free);
    // A tag of a tree or blob, or a symbolic ref to nothing: no commits.
    if (peeled == GIT_EPEEL || peeled == GIT_EINVALIDSPEC || peeled == GIT_ENOTFOUND) continue;
    if (peeled < 0) return git_failure(api, peeled, "cannot read a ref");
    TRY(walk.start(*api.object_id(target.get())));
  }
  if (rc != GIT_ITEROVER) return git_failure(api, rc, "cannot list refs");
  return {};
}

}  // namespace

Result<git_oid> resolve_commit(const GitApi& api, git_repository* repo, const std::string& rev) {
  git_object* raw = nullptr;
  int rc = api.revparse_single(&raw, repo, rev.c_str());
  Owned<git_object> object(raw, api.object_free);
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
    return fail(Code::invalid_input, fmt::format("unknown revision: {}", rev));
  }
  if (rc == GIT_EAMBIGUOUS) {
    return fail(Code::invalid_input, fmt::format("ambiguous revision: {}", rev),
                "give more hex digits or a full ref name");
  }
  if (rc < 0) return git_failure(api, rc, fmt::format("cannot resolve {}", rev));
  git_object* peeled_raw = nullptr;
  rc = api.object_peel(&peeled_raw, object.get(), GIT_OBJECT_COMMIT);
  Owned<git_object> peeled(peeled_raw, api.object_free);
  if (rc < 0) return fail(Code::invalid_input, fmt::format("not a commit: {}", rev));
  return *api.object_id(peeled.get());
}

Result<std::vector<WalkedCommit>> walk_commits(const GitApi& api, git_repository* repo,
                                               const GitOptions& options) {
  Walk walk(api, repo, TRY(shallow_commits(api, repo)));
  TRY(start_walk(api, repo, options.all, walk));
  if (!options.since.empty()) TRY(walk.hide(TRY(resolve_commit(api, repo, options.since))));
  std::vector<WalkedCommit> out;
  for (std::uint32_t i : TRY(walk.order())) {
    const Walk::Node& node = walk.node(i);
    WalkedCommit& c = out.emplace_back();
    c.id = node.id;
    c.tree = node.tree;
    c.parents = node.parent_count;
    if (node.parent_count > 0) c.parent_tree = walk.first_parent(node).tree;
  }
  return out;
}

}  // namespace ward::scan
