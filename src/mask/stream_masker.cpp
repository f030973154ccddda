// StreamMasker: block-mode Hyperscan scans over a stream, holding back only
// what could still become a match.
//
// Each write looks at the window carry + input, where carry is what the last
// write held back (at most K = the longest pattern's length minus one).
//
// Finding every occurrence in the window. Hyperscan 5.4 can read past the end
// of the buffer it scans (one byte seen here, on buffers of 30-31 and 62-65
// bytes; the AVX512VBMI Teddy bug fixed in vectorscan #322/#333): a buffer that
// ends just before an unmapped page — the guard page after a SecretBytes, the
// end of an mmap'ed read buffer — would crash the scan. So hs_scan only ever
// sees buffers followed by at least kScanSlack readable bytes:
//  - a small window (up to copy_limit_) is copied whole into scan_buffer_,
//    which has slack, and scanned once;
//  - a large write is scanned where it lies except for its last kScanSlack
//    bytes (the "body"); matches that start in the carry are found in a copy of
//    carry + the first K input bytes, and matches that end in the last
//    kScanSlack bytes in a copy of the write's last kScanSlack + K bytes. The
//    input is never copied whole.
//
// Deciding, on the window's offsets:
//  - an "open" position j is one where window[j..end) is a proper prefix of
//    some pattern: more input could complete a pattern there, so nothing at
//    or after it can be decided yet. Suffixes up to 255 bytes are looked up in
//    the prefix index; longer ones start with a marker (the first 32 bytes of
//    a long pattern) that the scan reports, and are compared with the pattern;
//  - a pattern longer than 255 bytes is not in the database itself, only its
//    marker: every marker found is compared with the patterns behind it, and
//    one that is complete in the window becomes an occurrence;
//  - every occurrence starting before the first open position is complete and
//    cannot grow; leftmost-longest greedy selection over them is final. If a
//    chosen match ends past that open position, the position it covers cannot
//    start a match any more (it would overlap), so the next open position at
//    or after the match's end becomes the limit, and so on;
//  - everything before the limit is emitted, with chosen matches replaced by
//    [masked:LABEL]; the rest becomes the new carry.
// Because a decision is only taken when no future byte can change it, the
// output is the same however the stream is split into writes, and equals the
// leftmost-longest masking of the whole stream at once.
//
// Without a match and with nothing to hold back (the common case) a large
// write costs one hs_scan of its body, one of a copy of its last K + kScanSlack
// bytes, at most 255 multiply-adds in the prefix index and one append.
#include <hs/hs.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "mask/masker.hpp"

namespace ward {

namespace {

// hs_scan takes an unsigned length; larger writes are masked in pieces.
constexpr std::size_t kMaxScan = std::size_t{1} << 30;
// Readable bytes kept after the end of every buffer hs_scan sees: a vector.
constexpr std::size_t kScanSlack = 64;

}  // namespace

struct StreamMasker::ScanContext {
  std::vector<Match>* matches;
  std::vector<Match>* markers;
  std::size_t base;
  std::size_t start_limit;
  std::size_t end_floor;
  std::uint32_t pattern_count;  // ids from here on are markers

  // Keeps an occurrence at [from, to) of the scanned buffer if it starts
  // before start_limit and ends after end_floor.
  void add(std::uint32_t id, std::size_t from, std::size_t to) const {
    if (from >= start_limit || to <= end_floor) return;
    (id < pattern_count ? matches : markers)->push_back(Match{base + from, base + to, id});
  }
};

StreamMasker::StreamMasker(std::shared_ptr<const MaskSet> set) : set_(std::move(set)) {
  if (set_->patterns_.empty()) return;
  if (set_->database_ != nullptr &&
      hs_clone_scratch(set_->prototype_scratch_, &scratch_) != HS_SUCCESS) {
    std::abort();
  }
  const std::size_t k = set_->max_length_ - 1;
  carry_ = SecretBytes(std::max<std::size_t>(k, 1));
  // Above the copy limit a write is longer than K + 2 * kScanSlack, so its
  // body and its copied end do not overlap the carry's join.
  copy_limit_ = std::max<std::size_t>(4096, 2 * k + 2 * kScanSlack);
  scan_buffer_ = SecretBytes(copy_limit_ + kScanSlack);
}

StreamMasker::~StreamMasker() {
  hs_free_scratch(scratch_);
}

void StreamMasker::write(std::span<const std::uint8_t> in, std::string& out) {
  while (in.size() > kMaxScan) {
    process(in.first(kMaxScan), End::open, out);
    in = in.subspan(kMaxScan);
  }
  process(in, End::open, out);
}

void StreamMasker::finish(std::string& out) {
  process({}, End::closed, out);
}

// Collects the occurrences the context asks for; Hyperscan delivers them in
// order of end offset.
int StreamMasker::on_match(unsigned int id, unsigned long long from, unsigned long long to,
                           unsigned int, void* context) {
  static_cast<const ScanContext*>(context)->add(id, static_cast<std::size_t>(from),
                                                static_cast<std::size_t>(to));
  return 0;
}

void StreamMasker::scan(std::span<const std::uint8_t> buffer, std::size_t base,
                        std::size_t start_limit, std::size_t end_floor) {
  if (buffer.empty()) return;
  ScanContext context{&matches_,   &markers_, base,
                      start_limit, end_floor, static_cast<std::uint32_t>(set_->patterns_.size())};
  if (set_->database_ == nullptr) {
    scan_direct(buffer, context);
    return;
  }
  const hs_error_t rc =
      hs_scan(set_->database_, reinterpret_cast<const char*>(buffer.data()),
              static_cast<unsigned>(buffer.size()), 0, scratch_, on_match, &context);
  // Only a bug (wrong scratch, corrupt database) makes a scan fail. Passing
  // the bytes through unmasked is not an option, so stop here.
  if (rc != HS_SUCCESS) std::abort();
}

// The same occurrences as scan's Hyperscan search, one memmem pass per
// expression; the order differs, and process sorts them anyway.
// The same occurrences as scan's Hyperscan search, one memmem pass per
// expression; the order differs, and process sorts them anyway.
void StreamMasker::scan_direct(std::span<const std::uint8_t> buffer, const ScanContext& context) {
  const MaskSet& set = *set_;
  const std::uint8_t* const begin = buffer.data();
  const std::uint8_t* const end = begin + buffer.size();
  for (const MaskSet::Expression& e : set.expressions_) {
    const std::uint8_t* needle = set.arena_.data() + e.offset;
    for (const std::uint8_t* from = begin; static_cast<std::size_t>(end - from) >= e.length;) {
      const auto* found = static_cast<const std::uint8_t*>(
          ::memmem(from, static_cast<std::size_t>(end - from), needle, e.length));
      if (found == nullptr) break;
      const std::size_t start = static_cast<std::size_t>(found - begin);
      if (start >= context.start_limit) break;  // later ones start later still
      context.add(e.id, start, start + e.length);
      from = found + 1;  // occurrences may overlap
    }
  }
}

bool StreamMasker::window_equals(std::size_t at, const std::uint8_t* bytes,
                                 std::size_t count) const {
  const std::size_t c = carry_length_;
  if (at < c) {
    const std::size_t n = std::min(count, c - at);
    if (std::memcmp(carry_.data() + at, bytes, n) != 0) return false;
    at += n;
    bytes += n;
    count -= n;
  }
  return count == 0 || std::memcmp(input_.data() + (at - c), bytes, count) == 0;
}

void StreamMasker::confirm_long_patterns() {
  const MaskSet& set = *set_;
  for (const Match& marker : markers_) {
    for (std::uint32_t p : set.markers_[marker.pattern - set.patterns_.size()]) {
      const MaskSet::Pattern& pattern = set.patterns_[p];
      if (marker.start + pattern.length > window_length_) continue;
      if (window_equals(marker.start, set.arena_.data() + pattern.offset, pattern.length)) {
        matches_.push_back(Match{marker.start, marker.start + pattern.length, p});
      }
    }
  }
}

void StreamMasker::find_open_suffixes(std::span<const std::uint8_t> tail) {
  const MaskSet& set = *set_;
  const std::size_t k = set.max_length_ - 1;
  const std::size_t len = window_length_;
  set.prefixes_.suffix_hits(tail, std::min({k, len, MaskSet::kDirectPrefix}), hits_);
  if (markers_.empty()) return;
  const std::size_t before = hits_.size();
  for (const Match& marker : markers_) {
    const std::size_t suffix = len - marker.start;
    if (suffix <= MaskSet::kDirectPrefix || suffix > k) continue;
    for (std::uint32_t p : set.markers_[marker.pattern - set.patterns_.size()]) {
      const MaskSet::Pattern& pattern = set.patterns_[p];
      if (suffix < pattern.length &&
          window_equals(marker.start, set.arena_.data() + pattern.offset, suffix)) {
        hits_.push_back(suffix);
        break;
      }
    }
  }
  if (hits_.size() != before) {
    std::sort(hits_.begin(), hits_.end());
    hits_.erase(std::unique(hits_.begin(), hits_.end()), hits_.end());
  }
}

void StreamMasker::process(std::span<const std::uint8_t> in, End end, std::string& out) {
  const MaskSet& set = *set_;
  if (set.patterns_.empty()) {
    out.append(reinterpret_cast<const char*>(in.data()), in.size());
    return;
  }
  constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();
  const std::size_t k = set.max_length_ - 1;
  const std::size_t c = carry_length_;
  const std::size_t n = in.size();
  const std::size_t len = c + n;
  std::uint8_t* buffer = scan_buffer_.data();

  matches_.clear();
  markers_.clear();
  hits_.clear();
  window_length_ = len;
  input_ = in;
  // A contiguous copy of the window's last min(len, K) bytes or more.
  std::span<const std::uint8_t> tail;
  if (len <= copy_limit_) {
    if (c > 0) std::memcpy(buffer, carry_.data(), c);
    if (n > 0) std::memcpy(buffer + c, in.data(), n);
    tail = {buffer, len};
    scan(tail, 0, kAll, 0);
  } else {
    // n > K + 2 * kScanSlack here (see the constructor).
    if (c > 0) {  // matches that start in the carry end within K input bytes
      std::memcpy(buffer, carry_.data(), c);
      std::memcpy(buffer + c, in.data(), k);
      scan({buffer, c + k}, 0, c, 0);
    }
    const std::size_t body = n - kScanSlack;
    scan(in.first(body), c, kAll, 0);   // may read on into the last kScanSlack bytes
    const std::size_t from = body - k;  // where a match ending after body can start
    std::memcpy(buffer, in.data() + from, n - from);
    tail = {buffer, n - from};
    scan(tail, c + from, kAll, body - from);
  }
  if (!markers_.empty()) confirm_long_patterns();
  if (end == End::open) find_open_suffixes(tail);

  if (matches_.size() > 1) {
    std::sort(matches_.begin(), matches_.end(), [](const Match& a, const Match& b) {
      return a.start != b.start ? a.start < b.start : a.end > b.end;
    });
  }

  // The first open position at or after pos (len if none).
  auto open_from = [&](std::size_t pos) {
    for (auto it = hits_.rbegin(); it != hits_.rend(); ++it) {
      if (*it <= len - pos) return len - *it;
    }
    return len;
  };
  // Appends window[from, to).
  auto emit = [&](std::size_t from, std::size_t to) {
    if (from < c) {
      out.append(reinterpret_cast<const char*>(carry_.data()) + from, std::min(to, c) - from);
    }
    if (to > c) {
      const std::size_t a = std::max(from, c) - c;
      out.append(reinterpret_cast<const char*>(in.data()) + a, to - c - a);
    }
  };

  std::size_t pos = 0;
  std::size_t emitted = 0;
  std::size_t limit = open_from(0);
  for (const Match& m : matches_) {
    if (m.start < pos) continue;  // overlaps the match chosen before
    if (m.start >= limit) break;  // could still grow: decided later
    emit(emitted, m.start);
    out += set.replacements_[set.patterns_[m.pattern].label];
    emitted = pos = m.end;
    if (pos > limit) limit = open_from(pos);
  }
  emit(emitted, limit);

  // Hold back window[limit, len): the end of tail.
  const std::size_t keep = len - limit;
  if (keep > 0) std::memmove(carry_.data(), tail.data() + tail.size() - keep, keep);
  carry_length_ = keep;
}

}  // namespace ward
