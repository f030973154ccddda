#include "audit/query.hpp"

#include "audit/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <future>
#include <memory>

#include <fmt/format.h>

#include "util/file.hpp"
#include "util/time.hpp"

namespace ward::audit {

namespace {

std::optional<std::int64_t> int_after(std::string_view line, std::size_t at) {
  std::int64_t value = 0;
  const char* begin = line.data() + at;
  const char* end = line.data() + line.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin) return std::nullopt;
  return value;
}

bool contains(std::string_view hay, std::string_view needle) {
  return ::memmem(hay.data(), hay.size(), needle.data(), needle.size()) != nullptr;
}

// The whole lines of a mapped file: a torn last line is cut off.
std::string_view whole_lines(std::string_view text) {
  std::size_t nl = text.rfind('\n');
  return nl == std::string_view::npos ? std::string_view() : text.substr(0, nl + 1);
}

// The line starting at off (text is whole lines, off a line start).
std::string_view line_at(std::string_view text, std::size_t off) {
  std::size_t nl = text.find('\n', off);
  return text.substr(off, nl - off);
}

// 1-based number of the line starting at off.
std::int64_t line_number(std::string_view text, std::size_t off) {
  return static_cast<std::int64_t>(std::count(text.begin(), text.begin() + off, '\n')) + 1;
}

// The offset of the first line whose key is at least target, assuming keys
// do not decrease (text.size() when there is none). A line without a
// readable key counts as smaller.
std::size_t first_line_at_least(std::string_view text,
                                std::optional<std::int64_t> (*key)(std::string_view),
                                std::int64_t target) {
  std::size_t lo = 0, hi = text.size();  // both line starts (or the end)
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    std::size_t start = lo;
    if (mid > lo) {
      std::size_t nl = text.find('\n', mid - 1);
      start = nl == std::string_view::npos ? text.size() : nl + 1;
      if (start >= hi) start = lo;
    }
    std::string_view line = line_at(text, start);
    auto k = key(line);
    if (k && *k >= target) {
      hi = start;
    } else {
      lo = start + line.size() + 1;
    }
  }
  return std::min(lo, text.size());
}

Result<std::string> find_in_file(const std::string& file, std::int64_t seq) {
  MappedFile mapped = TRY(MappedFile::open(file));
  std::string_view text = whole_lines(mapped.view());
  std::size_t off = first_line_at_least(text, raw_seq, seq);
  if (off < text.size()) {
    std::string_view line = line_at(text, off);
    if (raw_seq(line) == seq) return std::string(line);
  }
  return fail(Code::not_found, "");
}

// Scans every file for the seq member (the log is out of order).
Result<std::string> scan_for_seq(const std::vector<std::string>& files, std::int64_t seq) {
  std::string needle = fmt::format(",\"seq\":{},\"tool\":", seq);
  for (const std::string& file : files) {
    MappedFile mapped = TRY(MappedFile::open(file));
    std::string_view text = whole_lines(mapped.view());
    const void* hit = ::memmem(text.data(), text.size(), needle.data(), needle.size());
    if (!hit) continue;
    std::size_t at = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
    std::size_t begin = text.rfind('\n', at);
    begin = begin == std::string_view::npos ? 0 : begin + 1;
    return std::string(line_at(text, begin));
  }
  return fail(Code::not_found, "");
}

}  // namespace

Result<std::int64_t> parse_time_bound(std::string_view text, std::int64_t now_us) {
  auto bad = [&] {
    return fail(Code::invalid_input, fmt::format("invalid time '{}'", text),
                "use a duration back from now (30m, 24h, 7d) or a date (2026-11-24, "
                "2026-11-24T18:00:00Z)");
  };
  if (text.size() >= 10 && text[4] == '-') {
    auto date = parse_date(text);
    if (!date) return bad();
    return *date * kMicrosPerSecond;
  }
  auto seconds = parse_duration_s(text);
  if (!seconds) return bad();
  return now_us - *seconds * kMicrosPerSecond;
}

Status validate_filter(const Filter& f) {
  if (!f.outcome.empty() && f.outcome != "ok" && f.outcome != "denied" && f.outcome != "error") {
    return fail(Code::usage, fmt::format("unknown outcome '{}'", f.outcome),
                "use ok, denied or error");
  }
  if (f.since_us && f.until_us && *f.since_us > *f.until_us) {
    return fail(Code::usage, "--since is later than --until");
  }
  return {};
}

bool matches(const Filter& f, const Event& e) {
  if (!f.secret.empty()) {
    bool prefix = f.secret.back() == '/';
    auto hit = [&](const std::string& s) {
      return prefix ? s.starts_with(f.secret) : s == f.secret;
    };
    if (std::none_of(e.secrets.begin(), e.secrets.end(), hit) &&
        std::none_of(e.denied.begin(), e.denied.end(), hit)) {
      return false;
    }
  }
  if (!f.event.empty() && e.event != f.event) return false;
  if (!f.agent.empty() && e.actor.agent_name != (f.agent == "none" ? "" : f.agent)) return false;
  if (!f.tool.empty() && e.tool != f.tool) return false;
  if (!f.outcome.empty() && e.outcome != f.outcome) return false;
  if (f.tty == TtyFilter::present && e.actor.tty.empty()) return false;
  if (f.tty == TtyFilter::absent && !e.actor.tty.empty()) return false;
  if (f.since_us && e.ts < *f.since_us) return false;
  if (f.until_us && e.ts > *f.until_us) return false;
  return true;
}

Prefilter::Prefilter(const Filter& f) : since_us_(f.since_us), until_us_(f.until_us) {
  // Most selective first: the first pattern is the one searched for.
  if (!f.secret.empty()) {
    std::string quoted = canonical_string(f.secret);
    if (f.secret.back() == '/') quoted.pop_back();  // a prefix: no closing quote
    required_.push_back(std::move(quoted));
  }
  if (!f.tool.empty()) required_.push_back("\"tool\":" + canonical_string(f.tool) + ",\"ts\":");
  if (!f.event.empty())
    required_.push_back("\"event\":" + canonical_string(f.event) + ",\"hash\":");
  if (!f.agent.empty()) {
    std::string name = f.agent == "none" ? "" : f.agent;
    required_.push_back("{\"agent\":{\"name\":" + canonical_string(name) + ",\"via\":");
  }
  if (!f.outcome.empty()) {
    required_.push_back("\"outcome\":" + canonical_string(f.outcome) + ",\"prev\":");
  }
  if (f.tty == TtyFilter::absent) required_.push_back("\"tty\":\"\",\"uid\":");
  if (f.tty == TtyFilter::present) forbidden_.push_back("\"tty\":\"\",\"uid\":");
  if (!required_.empty()) anchor_ = required_.front();
}

bool Prefilter::may_match(std::string_view line) const {
  for (const std::string& needle : required_) {
    if (!contains(line, needle)) return false;
  }
  for (const std::string& needle : forbidden_) {
    if (contains(line, needle)) return false;
  }
  if (since_us_ || until_us_) {
    auto ts = raw_ts(line);
    if (ts && since_us_ && *ts < *since_us_) return false;
    if (ts && until_us_ && *ts > *until_us_) return false;
  }
  return true;
}

std::optional<std::int64_t> raw_ts(std::string_view line) {
  // ts is the last member but v; the checkpoint's ts comes earlier.
  static constexpr std::string_view kKey = ",\"ts\":";
  std::size_t at = line.rfind(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  return int_after(line, at + kKey.size());
}

std::optional<std::int64_t> raw_seq(std::string_view line) {
  // The top-level seq comes after the checkpoint's.
  static constexpr std::string_view kKey = ",\"seq\":";
  std::size_t at = line.rfind(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  return int_after(line, at + kKey.size());
}

namespace {

// Candidate lines of one file, parsed and filtered off the main thread.
struct Batch {
  std::vector<std::pair<std::string_view, std::size_t>> lines;  // line, offset in file
  std::vector<std::pair<Event, std::string_view>> matches;      // in order
  std::optional<std::pair<std::size_t, std::string>> corrupt;   // offset, reason
};

constexpr std::size_t kBatchLines = 4096;
constexpr std::size_t kBatchesInFlight = 2;  // parsing is the cost: one per core here

void parse_batch(const Filter& f, Batch& batch) {
  ParsedLine parsed;
  for (const auto& [line, begin] : batch.lines) {
    auto ok = parse_line(line, parsed);
    if (!ok) {
      batch.corrupt.emplace(begin, ok.error().message);
      return;
    }
    if (matches(f, parsed.event)) batch.matches.emplace_back(parsed.event, line);
  }
}

}  // namespace

Status query_events(const std::vector<std::string>& files, const Filter& f,
                    const std::function<bool(const Event&, std::string_view line)>& fn) {
  Prefilter pre(f);
  const std::string& anchor = pre.anchor();
  std::optional<std::int64_t> from_us, stop_us;  // the search window, with slack
  if (f.since_us) from_us = *f.since_us - kClockSlackUs;
  if (f.until_us) stop_us = *f.until_us + kClockSlackUs;
  for (const std::string& file : files) {
    MappedFile mapped = TRY(MappedFile::open(file));
    std::string_view text = whole_lines(mapped.view());
    if (text.empty()) continue;
    if (from_us) {
      std::size_t last = text.rfind('\n', text.size() - 2);
      auto ts = raw_ts(line_at(text, last == std::string_view::npos ? 0 : last + 1));
      if (ts && *ts < *from_us) continue;  // all of this file is older
    }
    if (stop_us) {
      auto ts = raw_ts(line_at(text, 0));
      if (ts && *ts > *stop_us) return {};  // this file and all later are newer
    }
    // Candidates are parsed in batches on worker threads (in order of the
    // file), while this thread finds the next candidates and hands the
    // matches of finished batches to fn in log order.
    std::deque<std::pair<std::unique_ptr<Batch>, std::future<void>>> in_flight;
    bool stopped = false;
    auto emit_front = [&]() -> Status {
      auto [batch, done] = std::move(in_flight.front());
      in_flight.pop_front();
      done.wait();
      for (const auto& [event, line] : batch->matches) {
        if (!stopped && !fn(event, line)) stopped = true;
      }
      if (!stopped && batch->corrupt) {
        return fail(Code::corrupt,
                    fmt::format("{} line {}: {}", file, line_number(text, batch->corrupt->first),
                                batch->corrupt->second),
                    "run 'ward audit verify'");
      }
      return {};
    };
    auto launch = [&](std::unique_ptr<Batch> batch) -> Status {
      if (in_flight.size() == kBatchesInFlight) TRY(emit_front());
      Batch* b = batch.get();
      in_flight.emplace_back(std::move(batch),
                             std::async(std::launch::async, [&f, b] { parse_batch(f, *b); }));
      return {};
    };
    auto batch = std::make_unique<Batch>();
    bool past_window = false;
    std::size_t pos = from_us ? first_line_at_least(text, raw_ts, *from_us) : 0;
    while (pos < text.size() && !stopped) {
      std::size_t begin = pos;
      if (!anchor.empty()) {
        const void* hit =
            ::memmem(text.data() + pos, text.size() - pos, anchor.data(), anchor.size());
        if (!hit) break;
        std::size_t at = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
        std::size_t nl = text.rfind('\n', at);
        begin = (nl == std::string_view::npos || nl < pos) ? pos : nl + 1;
      }
      std::string_view line = line_at(text, begin);
      pos = begin + line.size() + 1;
      if (stop_us) {
        auto ts = raw_ts(line);
        if (ts && *ts > *stop_us) {
          past_window = true;
          break;
        }
      }
      if (!pre.may_match(line)) continue;
      batch->lines.emplace_back(line, begin);
      if (batch->lines.size() == kBatchLines) {
        TRY(launch(std::move(batch)));
        batch = std::make_unique<Batch>();
      }
    }
    if (!batch->lines.empty() && !stopped) TRY(launch(std::move(batch)));
    while (!in_flight.empty()) TRY(emit_front());
    if (stopped || past_window) return {};
  }
  return {};
}

Result<TailLines> read_last_lines(const std::vector<std::string>& files, std::size_t n) {
  TailLines tail;
  std::vector<std::string> newest_first;
  for (std::size_t i = files.size();
       i-- > 0 && (newest_first.size() < n || i + 1 == files.size());) {
    const std::string& file = files[i];
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return errno_error(Code::io, fmt::format("cannot open {}", file));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_error(Code::io, "cannot stat " + file);
    FileTail end = TRY(read_file_tail(fd.get(), st.st_size, n - newest_first.size()));
    for (auto it = end.lines.rbegin(); it != end.lines.rend(); ++it) {
      newest_first.push_back(std::move(*it));
    }
    if (i + 1 == files.size()) {
      tail.last_file = std::move(fd);
      tail.end = end.end;
    }
  }
  tail.lines.assign(newest_first.rbegin(), newest_first.rend());
  return tail;
}

Result<std::string> find_line_by_seq(const std::vector<std::string>& files, std::int64_t seq) {
  auto missing = [&] {
    return fail(Code::not_found, fmt::format("no audit event with seq {}", seq),
                "run 'ward audit tail' to see the latest events");
  };
  if (seq < 1 || files.empty()) return missing();
  // The first rotated file whose last seq reaches seq, else the current file.
  const std::string* chosen = nullptr;
  for (const std::string& file : files) {
    auto last = rotated_file_seq(file);
    if (!last || *last >= seq) {
      chosen = &file;
      break;
    }
  }
  if (chosen) {
    auto line = find_in_file(*chosen, seq);
    if (line) return line;
    if (line.error().code != Code::not_found) return tl::unexpected(line.error());
  }
  auto line = scan_for_seq(files, seq);
  if (line) return line;
  if (line.error().code != Code::not_found) return tl::unexpected(line.error());
  return missing();
}

}  // namespace ward::audit
