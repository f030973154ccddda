// libgit2, loaded with dlopen("libgit2.so.1.5") the first time a git scan
// runs rather than linked: every ward process pays at start-up for what it
// links (ARCHITECTURE.md), libgit2 brings libssh2, mbedTLS, http-parser and
// PCRE2 with it, and only `ward scan git` and the pre-commit hook need it.
// (Debian's libgit2.a is no way out: it needs GSSAPI, which Debian ships
// only as a shared library.) The function pointers take their types from
// <git2.h>, so a signature that differs from the header is a compile error,
// not a crash; the soname pins the ABI those headers describe.
#pragma once

#include <git2.h>

#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ward::scan {

// The libgit2 functions ward calls, by name without the git_ prefix: one
// list for the table below and for the loader, which resolves each.
#define WARD_GIT_FUNCTIONS(X) \
  X(libgit2_init)             \
  X(libgit2_opts)             \
  X(error_last)               \
  X(repository_open_ext)      \
  X(repository_free)          \
  X(repository_is_bare)       \
  X(repository_head_unborn)   \
  X(repository_commondir)     \
  X(index_open)               \
  X(index_free)               \
  X(revparse_single)          \
  X(object_peel)              \
  X(object_id)                \
  X(object_free)              \
  X(reference_iterator_new)   \
  X(reference_iterator_free)  \
  X(reference_next)           \
  X(reference_peel)           \
  X(reference_free)           \
  X(commit_lookup)            \
  X(commit_free)              \
  X(commit_time)              \
  X(commit_parentcount)       \
  X(commit_parent_id)         \
  X(commit_tree_id)           \
  X(commit_author)            \
  X(tree_lookup)              \
  X(tree_free)                \
  X(tree_entrycount)          \
  X(tree_entry_byindex)       \
  X(tree_entry_name)          \
  X(tree_entry_id)            \
  X(tree_entry_type)          \
  X(blob_lookup)              \
  X(blob_free)                \
  X(blob_rawcontent)          \
  X(blob_rawsize)             \
  X(blob_is_binary)           \
  X(diff_tree_to_index)       \
  X(diff_num_deltas)          \
  X(diff_get_delta)           \
  X(diff_buffers)             \
  X(diff_free)                \
  X(oid_fmt)

// The functions, typed from the header: api.commit_lookup is a
// decltype(&git_commit_lookup).
struct GitApi {
#define WARD_GIT_FIELD(name) decltype(&git_##name) name = nullptr;
  WARD_GIT_FUNCTIONS(WARD_GIT_FIELD)
#undef WARD_GIT_FIELD
};

// Loads libgit2 once per process and initialises it. unavailable, with an
// install hint, when libgit2.so.1.5 or one of its functions is missing.
Result<const GitApi*> git_api();

// Opens soname and resolves every GitApi function, without initialising
// the library (git_api's first step; exposed to test its failures).
// unavailable when the library or a function is missing.
Result<GitApi> load_git_library(const char* soname);

// A libgit2 object freed by its git_*_free function:
// Owned<git_tree> tree(raw, api.tree_free).
template <class T>
using Owned = std::unique_ptr<T, void (*)(T*)>;

// An io error: what, then libgit2's message for the error rc just returned.
tl::unexpected<Error> git_failure(const GitApi& api, int rc, std::string_view what);

// The 40-digit hex form of id.
std::string oid_hex(const GitApi& api, const git_oid& id);

}  // namespace ward::scan
