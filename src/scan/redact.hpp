// In-place redaction for `ward scan agents --redact`: a transcript is
// rewritten with each secret replaced by its mask, atomically (temporary
// file beside it, fsync, rename), so that a crash leaves either the old or
// the new file and never half of one.
//
// A transcript may belong to an agent that is still running and appending
// to it. The file is therefore rewritten only if it still holds exactly the
// bytes that were scanned, checked once before writing and once more (by
// size and modification time) just before the rename; otherwise nothing is
// touched and the caller rescans. A process holding the file open keeps
// writing to the old inode after the rename: redact sessions that are over.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ward::scan {

// Replace bytes [offset, offset + length) of the scanned text with text.
struct Replacement {
  std::size_t offset = 0, length = 0;
  std::string text;
};

// Rewrites path as expected with every replacement applied, keeping the
// file's mode, and its owner and group when running as root (the new file
// is then created as that owner, so nothing of another user's is touched
// with root's rights). expected must be a copy of the bytes scanned, not a
// live mapping of the file.
// Errors: invalid_input when the replacements are unsorted, overlap or reach
// past expected, or the path is not a regular file; corrupt ("PATH changed
// while scanning") when the file no longer holds expected; denied for a
// symbolic link, or when root cannot act as the owner; not_found when the
// file is gone; io when writing fails. On every error the file is left as
// it was and no temporary file remains.
Status redact_file(const std::string& path, std::string_view expected,
                   std::span<const Replacement> replacements);

}  // namespace ward::scan
