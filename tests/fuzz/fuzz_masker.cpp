// Fuzzes the streaming masker: 1-4 values and a text are derived from the
// input, the text is masked in one write and in random-sized writes, and
//  - both outputs must equal a slow reference (leftmost-longest over every
//    form of every value, tried at each position);
//  - no value may survive in the output raw, in base64 or in hex (encoded here
//    independently of mask/encodings.cpp);
//  - output without any replacement must equal the input;
//  - nothing more than the longest pattern minus one byte is ever held back.
//
// Input layout: byte 0 picks the number of values; per value a length byte
// (6..24, or 100..472) and a style byte generate it over [0-9A-F] — an
// alphabet that cannot meet "[masked:Vn]" in any of the checked encodings, so
// a replacement can never complete a value with its neighbours. The values
// come from a short fixed header so that most mutations change only the text
// and the compiled set can be reused. Four bytes seed the write sizes. The
// rest is the text, where 0xFE and a selector byte insert one form of a value
// (so that matches are common, which random bytes would never make), and
// 0xFD, a selector and a length byte the start of one (so that prefixes are
// held back).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mask/encodings.hpp"
#include "mask/masker.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t next() { return at_ < size_ ? data_[at_++] : 0; }
  std::string_view rest() const {
    return at_ < size_ ? std::string_view(reinterpret_cast<const char*>(data_) + at_, size_ - at_)
                       : std::string_view();
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

std::string base64(std::string_view in, bool pad) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += digits[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    const std::size_t chars = in.size() - i + 1;
    for (std::size_t c = 0; c < chars; ++c) out += digits[(v >> (18 - 6 * c)) & 63];
    if (pad) out.append(4 - chars, '=');
  }
  return out;
}

std::string hex(std::string_view in, const char* digits) {
  std::string out;
  for (unsigned char c : in) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

struct Values {
  std::vector<std::string> plain;               // V0..V3
  std::vector<std::vector<std::string>> forms;  // every form, as the masker makes them
  std::shared_ptr<const ward::MaskSet> set;     // searched by Hyperscan
  std::shared_ptr<const ward::MaskSet> direct;  // the same, searched by memmem
};

// Building a set compiles a Hyperscan database (milliseconds under ASan);
// keep the sets of recent value lists while the fuzzer mutates the text.
const Values& values_for(const std::vector<std::string>& plain) {
  static std::map<std::vector<std::string>, Values> cache;
  if (auto it = cache.find(plain); it != cache.end()) return it->second;
  if (cache.size() >= 64) cache.clear();
  Values& values = cache[plain];
  values.plain = plain;
  std::vector<ward::MaskValue> list;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    const ward::SecretBytes value = ward::SecretBytes::from_view(plain[i]);
    std::vector<std::string> forms;
    for (const ward::SecretBytes& form : ward::mask_forms(value)) forms.emplace_back(form.view());
    values.forms.push_back(std::move(forms));
    list.push_back(ward::MaskValue{"V" + std::to_string(i), value.clone()});
  }
  std::vector<ward::MaskValue> copy;
  for (const auto& v : list) copy.push_back(ward::MaskValue{v.label, v.value.clone()});
  auto set = ward::MaskSet::build(std::move(list), ward::MaskSet::Engine::hyperscan);
  auto direct = ward::MaskSet::build(std::move(copy), ward::MaskSet::Engine::direct);
  check(set.has_value() && direct.has_value());
  values.set = *set;
  values.direct = *direct;
  check(values.set->skipped_labels().empty());
  return values;
}

std::string reference_mask(const Values& values, std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t best_length = 0;
    std::size_t best_value = 0;
    for (std::size_t v = 0; v < values.forms.size(); ++v) {
      for (const std::string& form : values.forms[v]) {
        if (form.size() >= ward::kMinMaskLength && form.size() > best_length &&
            text.substr(i).starts_with(form)) {
          best_length = form.size();
          best_value = v;
        }
      }
    }
    if (best_length > 0) {
      out += "[masked:V" + std::to_string(best_value) + "]";
      i += best_length;
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader reader(data, size);
  std::vector<std::string> plain(1 + reader.next() % 4);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    // Mostly short values; some long enough that their forms pass the 255
    // bytes the prefix index covers and the database's markers take over.
    const std::uint8_t size = reader.next();
    const std::size_t length = size >= 0xE0 ? 100 + (size - 0xE0) * 12 : 6 + size % 19;
    const std::uint8_t style = reader.next();
    // Few symbols make repetitive values; the high bit starts a value with
    // the previous one, so that values overlap and prefix each other.
    const unsigned symbols = 2 + (style & 0x7f) % 15;
    std::minstd_rand gen(style * 31u + static_cast<unsigned>(i) + 1);
    if (i > 0 && (style & 0x80) != 0) plain[i] = plain[i - 1].substr(0, length);
    while (plain[i].size() < length) plain[i] += "0123456789ABCDEF"[gen() % symbols];
  }
  std::uint32_t seed = 0;
  for (int i = 0; i < 4; ++i) seed = seed << 8 | reader.next();
  const Values& values = values_for(plain);

  std::string text;
  const std::string_view raw = reader.rest();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto byte = static_cast<unsigned char>(raw[i]);
    if (byte == 0xFE && i + 1 < raw.size()) {
      const auto selector = static_cast<unsigned char>(raw[++i]);
      const auto& forms = values.forms[selector % values.forms.size()];
      text += forms[(selector / 4) % forms.size()];
    } else if (byte == 0xFD && i + 2 < raw.size()) {  // the start of a form
      const auto selector = static_cast<unsigned char>(raw[++i]);
      const auto& forms = values.forms[selector % values.forms.size()];
      const std::string& form = forms[(selector / 4) % forms.size()];
      text += form.substr(0, 1 + static_cast<unsigned char>(raw[++i]) * 4u);
    } else {
      text += raw[i];
    }
  }

  const std::size_t max_held = values.set->max_pattern_length() - 1;
  std::string whole;
  {
    ward::StreamMasker masker(values.set);
    masker.write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, whole);
    check(masker.held_back() <= max_held);
    masker.finish(whole);
    check(masker.held_back() == 0);
  }
  std::string chunked;
  {
    ward::StreamMasker masker(values.set);
    std::minstd_rand rng(seed);
    for (std::size_t at = 0; at < text.size();) {
      // Mostly small writes (copied whole), some above the copy limit
      // (scanned in place, with the seams copied).
      const std::size_t limits[] = {8, 200, 9000};
      const std::size_t n = std::min<std::size_t>(rng() % limits[rng() % 3], text.size() - at);
      masker.write({reinterpret_cast<const std::uint8_t*>(text.data()) + at, n}, chunked);
      check(masker.held_back() <= max_held);
      at += n;
    }
    masker.finish(chunked);
  }

  std::string direct;
  {
    ward::StreamMasker masker(values.direct);
    std::minstd_rand rng(seed ^ 0x9e3779b9u);
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 3000, text.size() - at);
      masker.write({reinterpret_cast<const std::uint8_t*>(text.data()) + at, n}, direct);
      at += n;
    }
    masker.finish(direct);
  }

  check(chunked == whole);
  check(direct == whole);  // both engines find the same occurrences
  check(whole == reference_mask(values, text));
  for (const std::string& value : values.plain) {
    for (const std::string& encoded :
         {value, base64(value, true), base64(value, false), hex(value, "0123456789abcdef"),
          hex(value, "0123456789ABCDEF")}) {
      check(whole.find(encoded) == std::string::npos);
    }
  }
  if (whole.find("[masked:") == std::string::npos) check(whole == text);
  return 0;
}
