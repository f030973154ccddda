// The file walker of `ward scan files PATH…`: every regular file under the
// given roots, in a deterministic order, without reading any of them.
//
// Directories are read with openat/fdopendir (getdents64 underneath) and the
// entries' d_type, so a directory costs one open and a few getdents calls
// and a file one fstatat (for its size); fstatat also settles the type when
// the file system reports DT_UNKNOWN. Entries are sorted by name (bytewise)
// within each directory, depth first, roots in the order given.
//
// What is left out:
//  - ".git" entries (directories and gitdir files), always;
//  - symbolic links (never followed, not even to a file), sockets, FIFOs and
//    devices, silently; a root itself is followed if it is a link;
//  - --exclude patterns, gitignore-style, relative to each root;
//  - unless --no-gitignore: every .gitignore found under a root (wherever it
//    is, in a git work tree or not, like ripgrep), and .git/info/exclude of
//    a repository whose top directory is under a root (or is the root).
//    .gitignore files above a root and the user's core.excludesFile are not
//    read; a .gitignore that is a symbolic link is not followed (as git);
//  - files larger than max_size (counted in too_large); a root given as a
//    file is otherwise always listed (no pattern applies to it);
//  - a file or directory reached a second time (overlapping roots, hard
//    links, bind mounts): it is listed at its first path only.
//
// Precedence, as git: --exclude patterns first (a '!' there re-includes even
// a gitignored file), then .gitignore files from the deepest directory up,
// then info/exclude; the last matching pattern of the first file that has
// one decides. An excluded directory is not entered, so nothing below it can
// be re-included.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ward::scan {

struct WalkOptions {
  std::vector<std::string> excludes;          // gitignore-style patterns (--exclude)
  std::uint64_t max_size = 10 * 1024 * 1024;  // larger files are skipped (counted)
  bool gitignore = true;                      // false: --no-gitignore
};

// path: the root joined with the path below it, as the user would type it
// ("src/a.env" for root "src" or "src/", "./x" for ".", "/abs/y").
struct WalkedFile {
  std::string path;
  std::uint64_t size = 0;
};

// files/bytes: what was listed; ignored: entries left out by a pattern (an
// ignored directory counts once); unreadable: directories that could not be
// opened or listed (also those past the open-file limit: every level of the
// current path holds one descriptor) and entries that could not be stat'ed.
struct WalkStats {
  std::uint64_t files = 0, bytes = 0, too_large = 0, ignored = 0, unreadable = 0;
};

// Every regular file under roots (see above). Every root is checked before
// any is walked: not_found naming a root that does not exist, invalid_input
// for one that is neither a regular file nor a directory, io for a root
// directory that cannot be opened. Unreadable subdirectories are counted.
Result<std::vector<WalkedFile>> walk(const std::vector<std::string>& roots,
                                     const WalkOptions& options, WalkStats& stats);

// The common git directory of the repository whose ".git" entry is in the
// directory dirfd: ".git" when that is a directory; for a "gitdir: PATH"
// file (a linked work tree, a submodule) the directory PATH's commondir
// names, else PATH. A relative result is relative to dirfd; nullopt when
// there is no .git (or it is a symbolic link or unreadable).
std::optional<std::string> common_git_dir(int dirfd);

// Whether a file whose first bytes are head looks binary: a NUL in its first
// 8000 bytes, as git decides.
bool looks_binary(std::string_view head);

}  // namespace ward::scan
