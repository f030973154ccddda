// The streaming masker behind `ward run`: it replaces every known secret value,
// and the common encodings of it, by `[masked:LABEL]` in a child's output.
//
// A MaskSet is built once from the values a run grants (immutable, shared by
// the stdout and stderr maskers); a StreamMasker masks one output stream. Bytes
// are held back only while they could still become a match — the longest suffix
// of what was written that is a proper prefix of some pattern — never for a
// fixed time. Matching is leftmost-longest and non-overlapping, and the output
// of a stream does not depend on how its input was split into writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/secret_bytes.hpp"
#include "mask/prefix_index.hpp"
#include "util/result.hpp"

struct hs_database;
struct hs_scratch;

namespace ward {

// Values shorter than this are not masked: masking "abc" everywhere would
// wreck the output and protect nothing.
constexpr std::size_t kMinMaskLength = 6;

struct MaskValue {
  std::string label;  // VAR name or secret path; shown as [masked:LABEL]
  SecretBytes value;
};

class MaskSet {
 public:
  // How occurrences are found. Compiling a Hyperscan database costs about
  // half a millisecond however few the patterns, which is a third of what
  // `ward run` may add to a command's start; a handful of literals is found
  // as fast by memmem, one pass each. automatic: memmem up to
  // kDirectSearchMax expressions, Hyperscan above. The other two are for
  // tests, fuzzing and benchmarks (both engines must mask identically).
  enum class Engine { automatic, hyperscan, direct };
  static constexpr std::size_t kDirectSearchMax = 16;

  // Compiles every value and its encodings (mask/encodings.hpp) into one
  // literal search. Values shorter than kMinMaskLength are skipped and listed
  // in skipped_labels(). An empty set is valid and masks nothing. Fails with
  // Code::internal if Hyperscan cannot compile or place the database.
  static Result<std::shared_ptr<const MaskSet>> build(std::vector<MaskValue> values,
                                                      Engine engine = Engine::automatic);

  MaskSet(const MaskSet&) = delete;
  MaskSet& operator=(const MaskSet&) = delete;
  ~MaskSet();

  // Labels of the values that were too short to mask, in input order.
  const std::vector<std::string>& skipped_labels() const { return skipped_; }
  // Distinct literal patterns (values and encodings) in the database.
  std::size_t pattern_count() const { return patterns_.size(); }
  // Length of the longest pattern; 0 for an empty set.
  std::size_t max_pattern_length() const { return max_length_; }
  // Whether occurrences are found by a Hyperscan database (else by memmem).
  bool uses_hyperscan() const { return database_ != nullptr; }

 private:
  friend class StreamMasker;
  MaskSet() = default;

  struct Pattern {
    std::size_t offset = 0;  // into arena_
    std::uint32_t length = 0;
    std::uint32_t label = 0;  // index into replacements_
  };

  // Patterns up to kDirectPrefix bytes are in the database whole, and their
  // prefixes in prefixes_. A longer pattern (a private key's hex is 6 KB;
  // Hyperscan refuses literals of a few KB) is in the database only as its
  // first kMarkerLength bytes, its "marker" (ids from pattern_count() on):
  // the masker compares the window with the patterns behind each marker it
  // finds, both to confirm an occurrence and to hold back a long prefix, so
  // the check after a write stays O(kDirectPrefix) however long the patterns.
  static constexpr std::size_t kDirectPrefix = 255;
  static constexpr std::size_t kMarkerLength = 32;

  SecretBytes arena_;                                // every pattern's bytes, back to back
  std::vector<Pattern> patterns_;                    // Hyperscan id = index if short
  std::vector<std::vector<std::uint32_t>> markers_;  // the long patterns with each marker
  // What is searched for: whole short patterns and markers, as ids above.
  struct Expression {
    std::size_t offset = 0;  // into arena_
    std::uint32_t length = 0;
    std::uint32_t id = 0;
  };
  std::vector<Expression> expressions_;
  std::vector<std::string> replacements_;  // "[masked:LABEL]" per label
  std::vector<std::string> skipped_;
  std::size_t max_length_ = 0;
  PrefixIndex prefixes_;
  // The database lives inside database_memory_ (hs_deserialize_database_at);
  // it is not freed with hs_free_database. Null for an empty set and when
  // the expressions are searched with memmem.
  SecretBytes database_memory_;
  hs_database* database_ = nullptr;
  hs_scratch* prototype_scratch_ = nullptr;  // cloned by each StreamMasker
};

// Masks one output stream. Not thread-safe; use one per stream.
class StreamMasker {
 public:
  // Aborts if Hyperscan cannot allocate scratch space (out of memory), as
  // SecretBytes does: a masker that cannot mask must not pass output through.
  explicit StreamMasker(std::shared_ptr<const MaskSet> set);
  StreamMasker(const StreamMasker&) = delete;
  StreamMasker& operator=(const StreamMasker&) = delete;
  ~StreamMasker();

  // Masks what can be decided now and appends it to out; keeps back only the
  // bytes that could still become part of a match (at most the longest
  // pattern's length minus one).
  void write(std::span<const std::uint8_t> in, std::string& out);
  // End of stream: appends the held-back bytes, masking any complete match.
  // The masker can then be used for a new stream.
  void finish(std::string& out);
  // Bytes written but not yet appended to any out.
  std::size_t held_back() const { return carry_length_; }

 private:
  // One occurrence of a pattern, in offsets of the current scan window.
  struct Match {
    std::size_t start = 0;
    std::size_t end = 0;
    std::uint32_t pattern = 0;
  };
  struct ScanContext;
  enum class End { open, closed };  // more input may follow, or the stream ended

  void process(std::span<const std::uint8_t> in, End end, std::string& out);
  // Adds the occurrences in buffer that start before start_limit and end after
  // end_floor (offsets in buffer), shifted by base into window offsets.
  void scan(std::span<const std::uint8_t> buffer, std::size_t base, std::size_t start_limit,
            std::size_t end_floor);
  // scan for a set without a Hyperscan database.
  void scan_direct(std::span<const std::uint8_t> buffer, const ScanContext& context);
  // Whether window[at, at + count) equals bytes (count <= window_length_ - at).
  bool window_equals(std::size_t at, const std::uint8_t* bytes, std::size_t count) const;
  // Adds to matches_ the long patterns complete in the window behind markers_.
  void confirm_long_patterns();
  // Fills hits_ with the lengths of the window's suffixes that are proper
  // prefixes of a pattern; tail holds the window's last min(length, K) bytes.
  void find_open_suffixes(std::span<const std::uint8_t> tail);
  // Hyperscan's match callback.
  static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                      unsigned int flags, void* context);

  std::shared_ptr<const MaskSet> set_;
  hs_scratch* scratch_ = nullptr;
  // Held-back bytes (possibly the start of a secret the child is printing):
  // locked memory of the longest pattern's length.
  SecretBytes carry_;
  std::size_t carry_length_ = 0;
  // Where small windows, the carry's join with the next write and the end of
  // a large write are copied to be scanned, with readable slack after them.
  SecretBytes scan_buffer_;
  std::size_t copy_limit_ = 0;           // windows up to this size are copied whole
  std::size_t window_length_ = 0;        // carry + input of the write being processed
  std::span<const std::uint8_t> input_;  // the input of the write being processed
  std::vector<Match> matches_;
  std::vector<Match> markers_;     // marker occurrences in the window
  std::vector<std::size_t> hits_;  // suffix lengths that are pattern prefixes
};

}  // namespace ward
