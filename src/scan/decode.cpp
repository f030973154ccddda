#include "scan/decode.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace ward::scan {

namespace {

using Byte = unsigned char;

// Character classes, one bit each.
constexpr Byte kRun = 1;         // may be part of an encoded run (URL characters)
constexpr Byte kBase64 = 2;      // A-Z a-z 0-9 + / - _
constexpr Byte kHex = 4;         // 0-9 a-f A-F
constexpr Byte kUnreserved = 8;  // A-Z a-z 0-9 - . _ ~ (RFC 3986)
constexpr Byte kPrintable = 16;  // printable ASCII, tab, CR, LF

constexpr std::size_t kMinBase64 = 24;
constexpr std::size_t kMinHex = 32;
constexpr std::size_t kMinPercent = 16;  // decoded bytes

struct Tables {
  std::array<Byte, 256> cls{};
  std::array<std::int8_t, 256> value{};  // base64 or hex digit value, -1 if none
  std::array<std::int8_t, 256> hex{};
};

constexpr Tables make_tables() {
  Tables t;
  for (int c = 0; c < 256; ++c) {
    t.value[c] = -1;
    t.hex[c] = -1;
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    Byte k = 0;
    if (alnum || c == '+' || c == '/' || c == '-' || c == '_') k |= kBase64;
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~') k |= kUnreserved;
    if ((k & (kBase64 | kUnreserved)) != 0) k |= kRun;
    for (char p : std::string_view("%:?#[]@!$&*,;=")) {
      if (c == static_cast<Byte>(p)) k |= kRun;
    }
    if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r') k |= kPrintable;
    if (c >= '0' && c <= '9') t.hex[c] = static_cast<std::int8_t>(c - '0');
    if (c >= 'a' && c <= 'f') t.hex[c] = static_cast<std::int8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') t.hex[c] = static_cast<std::int8_t>(c - 'A' + 10);
    if (t.hex[c] >= 0) k |= kHex;
    t.cls[c] = k;
  }
  for (int i = 0; i < 26; ++i) {
    t.value['A' + i] = static_cast<std::int8_t>(i);
    t.value['a' + i] = static_cast<std::int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t.value['0' + i] = static_cast<std::int8_t>(52 + i);
  t.value['+'] = t.value['-'] = 62;
  t.value['/'] = t.value['_'] = 63;
  return t;
}

constexpr Tables kTables = make_tables();
constexpr const std::array<Byte, 256>& kClass = kTables.cls;

bool has(Byte c, Byte bits) {
  return (kClass[c] & bits) != 0;
}

// The offset (0 or 8) of an 8-byte half of the 16 bytes at p that is all
// base64 characters, or -1 (GCC/Clang vector extensions: SSE2 on x86-64,
// NEON on arm64).
int base64_block(const Byte* p) {
  using V16 = Byte __attribute__((vector_size(16)));
  V16 v;
  std::memcpy(&v, p, sizeof v);
  auto letter = ((v | 0x20) - 'a') < 26;
  auto digit = (v - '0') < 10;
  auto symbol = (v == '+') | (v == '/') | (v == '-') | (v == '_');
  auto all = letter | digit | symbol;
  std::uint64_t halves[2];
  std::memcpy(halves, &all, sizeof halves);
  return halves[0] == ~std::uint64_t{0} ? 0 : halves[1] == ~std::uint64_t{0} ? 8 : -1;
}

// Collects the decodings of one text; out_ grows, buffer_ is reused.
class Decoder {
 public:
  explicit Decoder(std::string_view text)
      : p_(reinterpret_cast<const Byte*>(text.data())), n_(text.size()) {}

  std::vector<Decoded> run() {
    find_percent_runs();
    find_base64_runs();
    flush_percent(n_);
    return std::move(out_);
  }

 private:
  // Percent runs first, from every '%' (memchr: most texts have few), into
  // percent_; the base64 pass then skips what they cover and merges them in.
  void find_percent_runs() {
    std::size_t pos = 0;
    while (pos < n_) {
      const void* hit = std::memchr(p_ + pos, '%', n_ - pos);
      if (!hit) break;
      std::size_t at = static_cast<std::size_t>(static_cast<const Byte*>(hit) - p_);
      std::size_t start = at;
      while (start > pos && has(p_[start - 1], kRun)) --start;
      std::size_t end = at + 1;
      while (end < n_ && has(p_[end], kRun)) ++end;
      if (end - start >= kMinPercent && percent(start, end)) {
        percent_.push_back({start, end - start, Encoding::percent, buffer_});
      }
      pos = end;
    }
  }

  // Every run of 24 base64 characters holds a whole 8-byte block of the
  // grid the scan steps along, so a run that matters is found from it.
  void find_base64_runs() {
    std::size_t i = 0;
    std::size_t done = 0;  // runs start no earlier than this
    while (i + 16 <= n_) {
      int half = base64_block(p_ + i);
      if (half < 0) {
        i += 16;
        continue;
      }
      std::size_t start = i + static_cast<std::size_t>(half);
      std::size_t end = start + 8;
      while (start > done && has(p_[start - 1], kBase64)) --start;
      while (end < n_ && has(p_[end], kBase64)) ++end;
      std::size_t padding = 0;
      while (end + padding < n_ && padding < 2 && p_[end + padding] == '=') ++padding;
      if (end - start >= kMinBase64 && !in_percent_run(start)) {
        base64_or_hex(start, end, padding);
      }
      done = i = end + padding;
    }
  }

  // Whether offset lies in a percent run kept (those wholly before it go to
  // out_ on the way).
  bool in_percent_run(std::size_t offset) {
    while (next_percent_ < percent_.size() &&
           percent_[next_percent_].offset + percent_[next_percent_].length <= offset) {
      out_.push_back(std::move(percent_[next_percent_++]));
    }
    return next_percent_ < percent_.size() && percent_[next_percent_].offset <= offset;
  }

  // Moves the percent runs before offset to out_.
  void flush_percent(std::size_t offset) {
    while (next_percent_ < percent_.size() && percent_[next_percent_].offset < offset) {
      out_.push_back(std::move(percent_[next_percent_++]));
    }
  }

  bool percent(std::size_t start, std::size_t end) {
    const auto& hex = kTables.hex;
    bool escaped = false;  // a %XX of a byte that needed escaping
    for (std::size_t i = start; i + 2 < end; ++i) {
      if (p_[i] == '%' && hex[p_[i + 1]] >= 0 && hex[p_[i + 2]] >= 0) {
        auto byte = static_cast<Byte>(hex[p_[i + 1]] << 4 | hex[p_[i + 2]]);
        if (!has(byte, kUnreserved)) {
          escaped = true;
          break;
        }
      }
    }
    if (!escaped) return false;
    buffer_.clear();
    for (std::size_t i = start; i < end; ++i) {
      if (p_[i] == '%' && i + 2 < end && hex[p_[i + 1]] >= 0 && hex[p_[i + 2]] >= 0) {
        buffer_.push_back(static_cast<char>(hex[p_[i + 1]] << 4 | hex[p_[i + 2]]));
        i += 2;
      } else {
        buffer_.push_back(static_cast<char>(p_[i]));
      }
    }
    return buffer_.size() >= kMinPercent && mostly_printable(buffer_);
  }

  void base64_or_hex(std::size_t from, std::size_t to, std::size_t padding) {
    bool found = false;
    std::size_t i = from;
    while (i < to) {
      if (!has(p_[i], kHex)) {
        ++i;
        continue;
      }
      std::size_t start = i;
      while (i < to && has(p_[i], kHex)) ++i;
      std::size_t length = i - start;
      if (length >= kMinHex && length % 2 == 0 && hex(start, length)) {
        emit(start, length, Encoding::hex);
        found = true;
      }
    }
    if (!found && base64(from, to - from)) emit(from, to - from + padding, Encoding::base64);
  }

  // Decodes into buffer_; false as soon as more than a tenth of the
  // decoded bytes cannot be printable.
  bool hex(std::size_t start, std::size_t length) {
    const auto& hex = kTables.hex;
    std::size_t size = length / 2;
    std::size_t allowed = size / 10;
    std::size_t bad = 0;
    buffer_.resize(size);
    for (std::size_t k = 0; k < size; ++k) {
      auto byte = static_cast<Byte>(hex[p_[start + 2 * k]] << 4 | hex[p_[start + 2 * k + 1]]);
      buffer_[k] = static_cast<char>(byte);
      if (!has(byte, kPrintable) && ++bad > allowed) return false;
    }
    return true;
  }

  bool base64(std::size_t start, std::size_t length) {
    const auto& value = kTables.value;
    std::size_t groups = length / 4;
    std::size_t tail = length % 4;  // 1 leftover character carries no whole byte
    std::size_t size = groups * 3 + (tail == 3 ? 2 : tail == 2 ? 1 : 0);
    std::size_t allowed = size / 10;
    std::size_t bad = 0;
    buffer_.resize(size);
    const Byte* s = p_ + start;
    std::size_t k = 0;
    for (std::size_t g = 0; g < groups; ++g, s += 4) {
      std::uint32_t v = static_cast<std::uint32_t>(value[s[0]]) << 18 |
                        static_cast<std::uint32_t>(value[s[1]]) << 12 |
                        static_cast<std::uint32_t>(value[s[2]]) << 6 |
                        static_cast<std::uint32_t>(value[s[3]]);
      Byte b0 = static_cast<Byte>(v >> 16), b1 = static_cast<Byte>(v >> 8),
           b2 = static_cast<Byte>(v);
      buffer_[k++] = static_cast<char>(b0);
      buffer_[k++] = static_cast<char>(b1);
      buffer_[k++] = static_cast<char>(b2);
      bad += !has(b0, kPrintable) + !has(b1, kPrintable) + !has(b2, kPrintable);
      if (bad > allowed) return false;
    }
    if (tail >= 2) {
      std::uint32_t v = static_cast<std::uint32_t>(value[s[0]]) << 18 |
                        static_cast<std::uint32_t>(value[s[1]]) << 12 |
                        (tail == 3 ? static_cast<std::uint32_t>(value[s[2]]) << 6 : 0);
      for (std::size_t j = 0; j + 1 < tail; ++j) {
        auto byte = static_cast<Byte>(v >> (16 - 8 * j));
        buffer_[k++] = static_cast<char>(byte);
        bad += !has(byte, kPrintable);
      }
    }
    return bad <= allowed;
  }

  bool mostly_printable(std::string_view text) const {
    std::size_t bad = 0;
    for (char c : text) bad += !has(static_cast<Byte>(c), kPrintable);
    return bad <= text.size() / 10;
  }

  void emit(std::size_t offset, std::size_t length, Encoding encoding) {
    flush_percent(offset);
    out_.push_back({offset, length, encoding, buffer_});
  }

  const Byte* p_;
  std::size_t n_;
  std::string buffer_;
  std::vector<Decoded> out_;
  std::vector<Decoded> percent_;  // percent runs kept, not yet in out_
  std::size_t next_percent_ = 0;
};

}  // namespace

std::string_view encoding_name(Encoding e) {
  switch (e) {
    case Encoding::base64:
      return "base64";
    case Encoding::hex:
      return "hex";
    case Encoding::percent:
      return "percent";
  }
  return "base64";
}

std::vector<Decoded> decode_runs(std::string_view text) {
  return Decoder(text).run();
}

}  // namespace ward::scan
