#include "audit/log.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "audit/actor.hpp"
#include "core/paths.hpp"
#include "core/process_info.hpp"
#include "util/file.hpp"
#include "util/time.hpp"

namespace ward::audit {

namespace {

// Holds an exclusive flock for its lifetime.
class FileLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { ::flock(fd_, LOCK_UN); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

Result<Head> head_of_line(const std::string& line, const std::string& file) {
  ParsedLine parsed;
  auto ok = parse_line(line, parsed);
  if (!ok) {
    return fail(Code::corrupt,
                fmt::format("the last line of {} is unreadable: {}", file, ok.error().message),
                "run 'ward audit verify' to see what happened to the log");
  }
  return Head{parsed.event.seq, parsed.event.hash};
}

// The head recorded at the end of a complete (rotated) file.
Result<Head> head_of_file(const std::string& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error(Code::io, fmt::format("cannot open {}", file));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(Code::io, "cannot stat " + file);
  FileTail tail = TRY(read_file_tail(fd.get(), st.st_size, 1));
  if (tail.lines.empty()) return Head{};
  return head_of_line(tail.lines.back(), file);
}

}  // namespace

std::string default_log_path() {
  return ward_home() + "/audit.jsonl";
}

Result<FileTail> read_file_tail(int fd, std::int64_t size, std::size_t n) {
  constexpr std::int64_t kChunk = 64 << 10;
  auto too_long = [] {
    return fail(Code::corrupt, "the audit log has a line longer than 1 MiB",
                "run 'ward audit verify'");
  };
  FileTail tail;
  std::vector<std::string> newest_first;
  std::int64_t pos = size;
  std::int64_t end = -1;  // just past the last newline, once seen
  std::string rest;       // the front of data: a line whose start is in an earlier chunk
  std::string data;
  while (pos > 0 && (newest_first.size() < n || end < 0)) {
    std::int64_t chunk = std::min(pos, kChunk);
    pos -= chunk;
    data.assign(static_cast<std::size_t>(chunk), '\0');
    if (::pread(fd, data.data(), data.size(), pos) != chunk) {
      return errno_error(Code::io, "cannot read the audit log");
    }
    data += rest;
    std::size_t stop = data.size();  // end of the line being assembled
    if (end < 0) {
      std::size_t nl = data.rfind('\n');
      if (nl == std::string::npos) {  // still inside the torn part, read below
        if (static_cast<std::size_t>(size - pos) > kMaxLineBytes) return too_long();
        rest.clear();
        continue;
      }
      end = pos + static_cast<std::int64_t>(nl) + 1;
      stop = nl;
    }
    while (newest_first.size() < n && stop > 0) {
      std::size_t nl = data.rfind('\n', stop - 1);
      if (nl == std::string::npos) break;
      if (stop - nl > 1) newest_first.push_back(data.substr(nl + 1, stop - nl - 1));
      stop = nl;
    }
    rest = data.substr(0, stop);
    if (rest.size() > kMaxLineBytes) return too_long();
  }
  if (pos == 0 && end >= 0 && !rest.empty() && newest_first.size() < n) {
    newest_first.push_back(std::move(rest));  // the file's first line
  }
  tail.end = std::max<std::int64_t>(end, 0);
  if (std::int64_t torn = size - tail.end; torn > 0) {
    if (static_cast<std::size_t>(torn) > kMaxLineBytes) return too_long();
    tail.torn.assign(static_cast<std::size_t>(torn), '\0');
    if (::pread(fd, tail.torn.data(), tail.torn.size(), tail.end) != torn) {
      return errno_error(Code::io, "cannot read the audit log");
    }
  }
  tail.lines.assign(newest_first.rbegin(), newest_first.rend());
  return tail;
}

std::optional<std::int64_t> rotated_file_seq(std::string_view file) {
  std::string_view name = file.substr(file.rfind('/') + 1);  // npos + 1: the whole
  if (name.size() != 6 + 12 + 6 || !name.starts_with("audit-") || !name.ends_with(".jsonl")) {
    return std::nullopt;
  }
  std::int64_t seq = 0;
  const char* digits = name.data() + 6;
  auto [end, ec] = std::from_chars(digits, digits + 12, seq);
  if (ec != std::errc() || end != digits + 12) return std::nullopt;
  return seq;
}

std::vector<std::string> chain_files(const std::string& path) {
  std::string dir = dirname_of(path);
  std::vector<std::string> rotated;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* entry = ::readdir(d)) {
      std::string_view name(entry->d_name);
      if (rotated_file_seq(name)) rotated.push_back(dir + "/" + std::string(name));
    }
    ::closedir(d);
  }
  std::sort(rotated.begin(), rotated.end());
  if (path_exists(path)) rotated.push_back(path);
  return rotated;
}

Result<AuditLog> AuditLog::open(const std::string& path, LogOptions options) {
  TRY(ensure_private_dir(dirname_of(path)));
  AuditLog log;
  log.path_ = path;
  log.options_ = options;
  std::string lock_path = dirname_of(path) + "/audit.lock";
  log.lock_ = Fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!log.lock_) return errno_error(Code::io, fmt::format("cannot open {}", lock_path));
  log.host_ = host_name();
  return log;
}

Result<Head> AuditLog::append(std::span<Event> events, const CheckpointSigner* signer) {
  FileLock lock(lock_.get());
  Fd fd(::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return errno_error(Code::io, fmt::format("cannot open the audit log {}", path_));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(Code::io, "cannot stat the audit log");
  if (!S_ISREG(st.st_mode)) return fail(Code::corrupt, "the audit log is not a regular file");

  Head head;
  std::vector<Event> repairs;
  std::int64_t size = st.st_size;
  if (size == 0) {
    auto files = chain_files(path_);
    if (files.size() > 1 || (files.size() == 1 && files[0] != path_)) {
      const std::string& last = files.back() == path_ ? files[files.size() - 2] : files.back();
      head = TRY(head_of_file(last));
    }
  } else {
    FileTail tail = TRY(read_file_tail(fd.get(), size, 1));
    if (!tail.lines.empty()) head = TRY(head_of_line(tail.lines.back(), path_));
    if (!tail.torn.empty()) {
      // A crash mid-write: keep the bytes for inspection, cut them off, and
      // say so in the chain.
      std::string aside = fmt::format("{}/audit-torn-{}.bin", dirname_of(path_), now_unix_us());
      Fd out(::open(aside.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
      if (!out) return errno_error(Code::io, fmt::format("cannot create {}", aside));
      TRY(write_all(out.get(), tail.torn.data(), tail.torn.size()));
      if (::fsync(out.get()) != 0) return errno_error(Code::io, "cannot sync " + aside);
      if (::ftruncate(fd.get(), tail.end) != 0) {
        return errno_error(Code::io, "cannot cut the torn line off the audit log");
      }
      size = tail.end;
      Event repair;
      repair.event = "audit.repair";
      repair.reason = fmt::format("set aside a torn last line of {} bytes in {}", tail.torn.size(),
                                  basename_of(aside));
      repair.actor = actor_of_self();
      repairs.push_back(std::move(repair));
    }
  }

  std::int64_t last_seq_of_file = head.seq;
  std::string batch;
  auto add = [&](Event& e) {
    e.v = kFormatVersion;
    e.seq = head.seq + 1;
    e.ts = options_.clock ? options_.clock() : now_unix_us();
    e.host = host_;
    e.prev = head.hash;
    if (e.event == "audit.checkpoint") {
      if (signer == nullptr || !*signer) {
        e.event = "audit.checkpoint.unsigned";
        e.checkpoint.reset();
      } else {
        e.checkpoint = (*signer)(head.seq, head.hash, e.ts);
      }
    } else {
      e.checkpoint.reset();
    }
    batch += encode_line(e);
    batch += '\n';
    head = Head{e.seq, e.hash};
  };
  for (Event& e : repairs) add(e);
  for (Event& e : events) add(e);

  if (size > 0 && size + static_cast<std::int64_t>(batch.size()) > options_.max_bytes) {
    // Rotate: the batch starts the next file and links the last hash of this one.
    std::string rotated = fmt::format("{}/audit-{:012}.jsonl", dirname_of(path_), last_seq_of_file);
    if (::rename(path_.c_str(), rotated.c_str()) != 0) {
      return errno_error(Code::io, "cannot rotate the audit log");
    }
    fd = Fd(::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return errno_error(Code::io, fmt::format("cannot open the audit log {}", path_));
    size = 0;
  }

  auto written = write_all(fd.get(), batch.data(), batch.size());
  if (!written) {
    (void)::ftruncate(fd.get(), size);  // leave no partial line behind
    return tl::unexpected(written.error());
  }
  if (options_.sync && ::fdatasync(fd.get()) != 0) {
    return errno_error(Code::io, "cannot sync the audit log");
  }
  return head;
}

void GroupWriter::set_signer(CheckpointSigner signer) {
  std::lock_guard<std::mutex> lock(mutex_);
  signer_ = std::move(signer);
}

Result<Head> GroupWriter::commit(Event& event) {
  return commit(std::span<Event>(&event, 1));
}

Result<Head> GroupWriter::commit(std::span<Event> events) {
  std::vector<Pending> mine;
  mine.reserve(events.size());
  for (Event& e : events) mine.push_back(Pending{&e});
  std::unique_lock<std::mutex> lock(mutex_);
  for (Pending& p : mine) queue_.push_back(&p);
  // Queued together under the lock, they go out in the same group.
  while (!mine.back().done) {
    if (writing_) {
      written_.wait(lock);
      continue;
    }
    // Lead the next group: everything queued so far goes out in one write.
    writing_ = true;
    std::vector<Pending*> group;
    group.swap(queue_);
    CheckpointSigner signer = signer_;
    lock.unlock();
    std::vector<Event> batch;
    batch.reserve(group.size());
    for (Pending* p : group) batch.push_back(std::move(*p->event));
    Result<Head> result = log_.append(batch, &signer);
    lock.lock();
    for (std::size_t i = 0; i < group.size(); ++i) {
      Pending* p = group[i];
      *p->event = std::move(batch[i]);
      p->result = result;
      p->done = true;
    }
    writing_ = false;
    written_.notify_all();
  }
  return mine.back().result;
}

}  // namespace ward::audit
