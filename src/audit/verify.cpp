#include "audit/verify.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "util/file.hpp"

namespace ward::audit {

namespace {

constexpr std::size_t kChunkMin = 1 << 20;  // smaller files are checked by one thread

// What one worker learned about a run of whole lines.
struct ChunkResult {
  std::optional<Failure> failure;
  std::int64_t lines = 0;
  std::int64_t first_seq = 0;  // the first event's seq and prev, linked by the caller
  std::string first_prev;
  Head last;
  std::int64_t checkpoints = 0, checkpoints_valid = 0;
  std::optional<bool> sealed_match;  // set when the sealed seq was seen
};

struct ChunkJob {
  std::string_view text;  // whole lines, each ending in '\n'
  std::int64_t first_line = 1;
  const std::string* file = nullptr;
};

// Why an event with seq and prev cannot follow before; nullopt when it links.
std::optional<std::string> link_error(std::int64_t seq, std::string_view prev, const Head& before) {
  if (seq != before.seq + 1) {
    if (before.seq == 0) return fmt::format("the chain starts at seq {}, not 1", seq);
    return fmt::format("seq {} after {}: {}", seq, before.seq,
                       seq <= before.seq ? "repeats or goes back" : "skips ahead");
  }
  if (prev != before.hash) {
    return before.seq == 0 ? "the first event's prev is not zero"
                           : "prev does not match the hash of the line before";
  }
  return std::nullopt;
}

// key: the anchor's public key decoded (empty: signatures not checked).
void check_chunk(const ChunkJob& job, const std::optional<Anchor>& anchor, const Bytes& key,
                 ChunkResult& out) {
  ParsedLine parsed;
  std::string_view text = job.text;
  std::int64_t line_no = job.first_line;
  auto failed = [&](std::int64_t seq, std::string reason) {
    out.failure = Failure{*job.file, line_no, seq, std::move(reason)};
  };
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    // Before its first line a chunk does not know the seq expected (0 here;
    // verify_chain fills it in).
    std::int64_t expected = out.lines == 0 ? 0 : out.last.seq + 1;
    if (line.empty()) return failed(expected, "empty line");
    auto ok = parse_line(line, parsed);
    if (!ok) return failed(expected, ok.error().message);
    const Event& e = parsed.event;
    if (line_hash(e.prev, parsed.before_hash, parsed.after_hash) != e.hash) {
      return failed(e.seq, "hash does not match the line (edited)");
    }
    if (out.lines == 0) {
      out.first_seq = e.seq;
      out.first_prev = e.prev;
    } else if (auto broken = link_error(e.seq, e.prev, out.last)) {
      return failed(e.seq, std::move(*broken));
    }
    if (e.checkpoint) {
      ++out.checkpoints;
      const Checkpoint& c = *e.checkpoint;
      if (c.seq != e.seq - 1 || c.head != e.prev) {
        return failed(e.seq, "checkpoint does not cover the event before it");
      }
      if (!key.empty()) {
        auto sig = from_hex(c.sig);
        std::string message = checkpoint_message(c.seq, c.head, c.ts);
        if (c.key != anchor->public_key || !sig || !verify_detached(key, *sig, as_bytes(message))) {
          return failed(e.seq, "checkpoint signature is not valid for the vault's key");
        }
        ++out.checkpoints_valid;
      }
    }
    if (anchor && anchor->sealed_head.seq == e.seq) {
      out.sealed_match = anchor->sealed_head.hash == e.hash;
    }
    out.last = Head{e.seq, e.hash};
    ++out.lines;
    ++line_no;
  }
}

// Splits text (whole lines) into about n pieces at line ends.
std::vector<ChunkJob> split(std::string_view text, unsigned n, const std::string& file) {
  std::vector<ChunkJob> jobs;
  std::int64_t line = 1;
  std::size_t target = std::max<std::size_t>(text.size() / n, kChunkMin);
  while (!text.empty()) {
    std::size_t cut = text.size();
    if (text.size() > target + target / 2) {
      std::size_t nl = text.find('\n', target);
      cut = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    std::string_view piece = text.substr(0, cut);
    jobs.push_back(ChunkJob{piece, line, &file});
    line += static_cast<std::int64_t>(std::count(piece.begin(), piece.end(), '\n'));
    text.remove_prefix(cut);
  }
  return jobs;
}

}  // namespace

VerifyReport verify_chain(const std::vector<std::string>& files,
                          const std::optional<Anchor>& anchor, unsigned threads) {
  VerifyReport report;
  Bytes key;
  if (anchor && !anchor->public_key.empty()) {
    key = from_hex(anchor->public_key).value_or(Bytes{});
    if (key.size() != kSignPublicKeySize) key.clear();  // not a key: nothing is anchored
  }
  report.anchored = !key.empty();
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::optional<bool> sealed_match;
  for (std::size_t f = 0; f < files.size() && !report.failure; ++f) {
    const std::string& file = files[f];
    auto mapped = MappedFile::open(file);
    if (!mapped) {
      report.failure = Failure{file, 0, report.head.seq + 1, mapped.error().message};
      break;
    }
    ++report.files;
    std::string_view text = mapped->view();
    report.bytes += static_cast<std::int64_t>(text.size());
    std::size_t end = text.rfind('\n');
    std::string_view whole =
        end == std::string_view::npos ? std::string_view() : text.substr(0, end + 1);
    std::string_view torn = text.substr(whole.size());
    if (!torn.empty()) {
      std::int64_t line = std::count(whole.begin(), whole.end(), '\n') + 1;
      if (f + 1 != files.size()) {
        report.failure = Failure{file, line, 0, "a rotated file ends in a partial line"};
        break;
      }
      report.torn_bytes = static_cast<std::int64_t>(torn.size());
    }
    std::vector<ChunkJob> jobs = split(whole, threads, file);
    std::vector<ChunkResult> results(jobs.size());
    if (jobs.size() == 1) {
      check_chunk(jobs[0], anchor, key, results[0]);
    } else {
      std::vector<std::thread> workers;
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        workers.emplace_back([&, i] { check_chunk(jobs[i], anchor, key, results[i]); });
      }
      for (auto& w : workers) w.join();
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      ChunkResult& r = results[i];
      // The first line of this chunk against the end of what came before.
      if (r.lines > 0) {
        if (auto broken = link_error(r.first_seq, r.first_prev, report.head)) {
          report.failure = Failure{file, jobs[i].first_line, r.first_seq, std::move(*broken)};
          break;
        }
      }
      if (r.failure) {
        report.failure = r.failure;
        if (report.failure->seq == 0) report.failure->seq = report.head.seq + 1;
        break;
      }
      report.events += r.lines;
      report.checkpoints += r.checkpoints;
      report.checkpoints_valid += r.checkpoints_valid;
      if (r.sealed_match) sealed_match = r.sealed_match;
      if (r.lines > 0) report.head = r.last;
    }
  }
  if (anchor && !report.failure) {
    const Head& sealed = anchor->sealed_head;
    if (sealed.seq == 0) {
      report.sealed = SealedHead::none_sealed;
    } else if (!sealed_match) {
      report.sealed = SealedHead::missing;
      report.failure = Failure{
          files.empty() ? "" : files.back(), 0, sealed.seq,
          fmt::format("the head sealed in the vault (seq {}) is not in the log, which ends at seq "
                      "{}: truncated or replaced",
                      sealed.seq, report.head.seq)};
    } else if (!*sealed_match) {
      report.sealed = SealedHead::mismatch;
      report.failure = Failure{files.empty() ? "" : files.back(), 0, sealed.seq,
                               fmt::format("seq {} differs from the head sealed in the vault: "
                                           "the log was replaced",
                                           sealed.seq)};
    } else {
      report.sealed = SealedHead::matches;
    }
  }
  return report;
}

}  // namespace ward::audit
