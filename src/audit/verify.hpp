// Verifies the audit chain from the stored bytes: every line canonical and
// of the known schema, its hash SHA-256(prev || line without hash), seq
// contiguous from 1 across rotated files, each prev the hash before it.
// With an anchor from the vault (the checkpoint public key and the head
// sealed at the last checkpoint), checkpoint signatures are checked and a
// log truncated or replaced by a self-consistent forgery is caught.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/log.hpp"

namespace ward::audit {

struct Anchor {
  std::string public_key;  // hex; "" when the vault has no checkpoint key yet
  Head sealed_head;        // seq 0 when no checkpoint was sealed yet
};

struct Failure {
  std::string file;
  std::int64_t line = 0;  // 1-based, within file
  std::int64_t seq = 0;   // the seq of the failing line (or the one expected)
  std::string reason;
};

enum class SealedHead { not_checked, none_sealed, matches, missing, mismatch };

struct VerifyReport {
  std::optional<Failure> failure;  // the first one; none when intact
  std::int64_t events = 0;
  std::int64_t bytes = 0;
  std::size_t files = 0;
  Head head;
  std::int64_t checkpoints = 0;
  std::int64_t checkpoints_valid = 0;  // signature checked against the anchor's key
  bool anchored = false;
  SealedHead sealed = SealedHead::not_checked;
  std::int64_t torn_bytes = 0;  // a torn last line (repairable: the next write sets it aside)
  bool intact() const { return !failure.has_value(); }
};

// files: oldest first (chain_files). threads 0 = as many as the machine has (at most 4).
VerifyReport verify_chain(const std::vector<std::string>& files,
                          const std::optional<Anchor>& anchor, unsigned threads = 0);

}  // namespace ward::audit
