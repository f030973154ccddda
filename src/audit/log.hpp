// The audit log file and its writers.
//
// Files live beside the vault: audit.jsonl (the current file), audit.lock
// (the cross-process writer lock, never renamed), audit-<LAST SEQ>.jsonl
// (files rotated out at the size limit; the next file's first event links
// the last hash of the previous one) and audit-torn-<TIME>.bin (a torn last
// line set aside after a crash).
//
// Every append takes the lock, finds the tail by reading backwards from the
// end of the file, sets a torn last line aside (recorded as an audit.repair
// event), assigns seq, time, host, prev and hash, writes the whole batch
// with one write(2) and, unless told not to, fdatasyncs before it returns.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audit/event.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

namespace ward::audit {

struct LogOptions {
  std::int64_t max_bytes = 64ll << 20;  // rotate once the current file would pass this
  bool sync = true;                     // fdatasync every append
  // Unix microseconds for new events; the wall clock when empty (tests set it).
  std::function<std::int64_t()> clock;
};

// The end of the chain.
struct Head {
  std::int64_t seq = 0;
  std::string hash = std::string(kZeroHash);
};

// Fills the checkpoint of an audit.checkpoint event: the chain up to seq
// ends in head; ts is the event's time.
using CheckpointSigner =
    std::function<Checkpoint(std::int64_t seq, const std::string& head, std::int64_t ts)>;

// $WARD_HOME/audit.jsonl
std::string default_log_path();

// The end of an open log file of size bytes, read backwards in chunks
// (never the whole file): its last n complete lines, oldest first, empty
// lines skipped; the offset just past its last newline; and the bytes
// after it (a torn line, or the whole file when it has no newline).
// corrupt when a line, or the torn part, is longer than kMaxLineBytes.
struct FileTail {
  std::vector<std::string> lines;
  std::int64_t end = 0;
  std::string torn;
};
Result<FileTail> read_file_tail(int fd, std::int64_t size, std::size_t n);

// The last seq a rotated file holds, from its name (audit-<12 digits>.jsonl,
// any directory); nullopt for any other name.
std::optional<std::int64_t> rotated_file_seq(std::string_view file);

// The files of the chain at path, oldest first: rotated files by their
// last seq, then path itself (if it exists).
std::vector<std::string> chain_files(const std::string& path);

class AuditLog {
 public:
  // Creates the directory (0700) and the lock file; the log itself is
  // created on the first append (0600).
  static Result<AuditLog> open(const std::string& path, LogOptions options = {});

  // Appends events in order as one batch, filling in seq, ts, host, prev
  // and hash. Checkpoint events are signed through signer. Fails (and
  // writes nothing) when the log cannot be written or its last line is
  // unreadable; a torn last line is set aside first.
  Result<Head> append(std::span<Event> events, const CheckpointSigner* signer = nullptr);

  const std::string& path() const { return path_; }

 private:
  AuditLog() = default;
  std::string path_;
  LogOptions options_;
  Fd lock_;
  std::string host_;
};

// Appends for many threads at once (the agent): events that arrive while a
// write is in progress go out together in the next write, with one
// fdatasync for the group. commit returns once its event is durable.
class GroupWriter {
 public:
  explicit GroupWriter(AuditLog log) : log_(std::move(log)) {}
  void set_signer(CheckpointSigner signer);
  // On success event holds what was written (seq, ts, host, prev, hash).
  Result<Head> commit(Event& event);
  // Commits events in order in one group (all written or none); returns the
  // head after the group.
  Result<Head> commit(std::span<Event> events);
  const std::string& path() const { return log_.path(); }

 private:
  struct Pending {
    Event* event;
    bool done = false;
    Result<Head> result = Head{};
  };
  AuditLog log_;
  CheckpointSigner signer_;
  std::mutex mutex_;
  std::condition_variable written_;
  std::vector<Pending*> queue_;
  bool writing_ = false;
};

}  // namespace ward::audit
