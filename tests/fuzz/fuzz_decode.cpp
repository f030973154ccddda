// Fuzzes decode_runs: every run it reports lies within the input, runs come
// in ascending order without overlapping, and each decoding is consistent
// with its encoding (hex halves the length, a whole base64 run takes three
// bytes for four characters, percent never grows) and mostly printable.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scan/decode.hpp"

namespace {

using ward::scan::Encoding;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool printable(unsigned char c) {
  return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

bool base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '-' || c == '_';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto runs = ward::scan::decode_runs(text);
  std::size_t next = 0;  // the earliest offset the next run may have
  for (const auto& run : runs) {
    check(run.length > 0 && run.offset >= next && run.offset <= size &&
          run.length <= size - run.offset);
    next = run.offset + run.length;
    std::string_view encoded = text.substr(run.offset, run.length);
    std::size_t bad = 0;
    for (char c : run.text) bad += !printable(static_cast<unsigned char>(c));
    check(!run.text.empty() && bad * 10 <= run.text.size());
    switch (run.encoding) {
      case Encoding::hex:
        check(encoded.size() >= 32 && run.text.size() * 2 == encoded.size());
        break;
      case Encoding::base64: {
        std::size_t chars = encoded.size();
        while (chars > 0 && encoded[chars - 1] == '=') --chars;
        check(chars >= 24 && encoded.size() - chars <= 2);
        for (char c : encoded.substr(0, chars)) check(base64_char(c));
        check(run.text.size() == chars * 3 / 4);
        // A whole run: no base64 character just before it or after it.
        check(run.offset == 0 || !base64_char(text[run.offset - 1]));
        check(run.offset + chars == size || !base64_char(text[run.offset + chars]));
        break;
      }
      case Encoding::percent:
        check(encoded.find('%') != std::string_view::npos);
        check(run.text.size() >= 16 && run.text.size() <= encoded.size());
        break;
    }
  }
  return 0;
}
