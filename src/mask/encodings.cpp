#include "mask/encodings.hpp"

#include <cstdint>
#include <span>

namespace ward {

namespace {

constexpr char kBase64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

enum class Padding { none, padded };
enum class Space { percent, plus };
enum class JsonControl { short_escapes, unicode_lower, unicode_upper };
enum class JsonSlash { plain, escaped };

// Appends one form to the arena and records its span.
class FormWriter {
 public:
  FormWriter(SecretBytes& arena, std::vector<FormSpan>& forms) : arena_(arena), forms_(forms) {}
  void begin() { start_ = arena_.size(); }
  void put(char c) { arena_.append(&c, 1); }
  void put(std::span<const std::uint8_t> bytes) { arena_.append(bytes.data(), bytes.size()); }
  void end() { forms_.push_back(FormSpan{start_, arena_.size() - start_}); }

 private:
  SecretBytes& arena_;
  std::vector<FormSpan>& forms_;
  std::size_t start_ = 0;
};

// Characters [first, last) of the base64 encoding of `lead` zero bytes
// followed by the value (zero bits past its end, as an encoder pads).
void put_base64_chars(FormWriter& out, std::span<const std::uint8_t> value, std::size_t lead,
                      std::size_t first, std::size_t last, const char* alphabet) {
  auto byte_at = [&](std::size_t i) -> unsigned {
    if (i < lead || i - lead >= value.size()) return 0;
    return value[i - lead];
  };
  for (std::size_t i = first; i < last; ++i) {
    const std::size_t bit = 6 * i;
    const unsigned pair = byte_at(bit / 8) << 8 | byte_at(bit / 8 + 1);
    out.put(alphabet[(pair >> (10 - bit % 8)) & 63]);
  }
}

void put_base64(FormWriter& out, std::span<const std::uint8_t> value, const char* alphabet,
                Padding padding) {
  out.begin();
  const std::size_t chars = (8 * value.size() + 5) / 6;
  put_base64_chars(out, value, 0, 0, chars, alphabet);
  if (padding == Padding::padded) {
    for (std::size_t i = chars; i % 4 != 0; ++i) out.put('=');
  }
  out.end();
}

// The value at byte offset `lead` (mod 3) of a larger blob: only the
// characters whose six bits all come from the value.
void put_base64_in_blob(FormWriter& out, std::span<const std::uint8_t> value, std::size_t lead,
                        const char* alphabet) {
  out.begin();
  const std::size_t first = (8 * lead + 5) / 6;
  const std::size_t last = 8 * (lead + value.size()) / 6;
  put_base64_chars(out, value, lead, first, last, alphabet);
  out.end();
}

void put_hex(FormWriter& out, std::span<const std::uint8_t> value, const char* digits) {
  out.begin();
  for (std::uint8_t b : value) {
    out.put(digits[b >> 4]);
    out.put(digits[b & 15]);
  }
  out.end();
}

bool unreserved(std::uint8_t b) {
  return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' ||
         b == '.' || b == '_' || b == '~';
}

void put_percent(FormWriter& out, std::span<const std::uint8_t> value, const char* digits,
                 Space space) {
  out.begin();
  for (std::uint8_t b : value) {
    if (unreserved(b)) {
      out.put(static_cast<char>(b));
    } else if (b == ' ' && space == Space::plus) {
      out.put('+');
    } else {
      out.put('%');
      out.put(digits[b >> 4]);
      out.put(digits[b & 15]);
    }
  }
  out.end();
}

char short_escape(std::uint8_t b) {
  switch (b) {
    case '\b':
      return 'b';
    case '\f':
      return 'f';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    default:
      return 0;
  }
}

void put_json(FormWriter& out, std::span<const std::uint8_t> value, JsonControl control,
              JsonSlash slash) {
  out.begin();
  const char* digits = control == JsonControl::unicode_upper ? kHexUpper : kHexLower;
  for (std::uint8_t b : value) {
    if (b == '"' || b == '\\' || (b == '/' && slash == JsonSlash::escaped)) {
      out.put('\\');
      out.put(static_cast<char>(b));
    } else if (b < 0x20 && control == JsonControl::short_escapes && short_escape(b) != 0) {
      out.put('\\');
      out.put(short_escape(b));
    } else if (b < 0x20) {
      for (char c : {'\\', 'u', '0', '0'}) out.put(c);
      out.put(digits[b >> 4]);
      out.put(digits[b & 15]);
    } else {
      out.put(static_cast<char>(b));
    }
  }
  out.end();
}

}  // namespace

void append_mask_forms(const SecretBytes& value, SecretBytes& arena, std::vector<FormSpan>& forms) {
  FormWriter out(arena, forms);
  const std::span<const std::uint8_t> v = value.bytes();

  out.begin();
  out.put(v);
  out.end();

  put_base64(out, v, kBase64Std, Padding::padded);
  put_base64(out, v, kBase64Std, Padding::none);
  put_base64(out, v, kBase64Url, Padding::none);
  put_base64(out, v, kBase64Url, Padding::padded);
  for (const char* alphabet : {kBase64Std, kBase64Url}) {
    for (std::size_t lead = 0; lead < 3; ++lead) put_base64_in_blob(out, v, lead, alphabet);
  }

  put_hex(out, v, kHexLower);
  put_hex(out, v, kHexUpper);

  for (const char* digits : {kHexUpper, kHexLower}) {
    for (Space space : {Space::percent, Space::plus}) put_percent(out, v, digits, space);
  }

  for (JsonSlash slash : {JsonSlash::plain, JsonSlash::escaped}) {
    for (JsonControl control :
         {JsonControl::short_escapes, JsonControl::unicode_lower, JsonControl::unicode_upper}) {
      put_json(out, v, control, slash);
    }
  }
}

std::vector<SecretBytes> mask_forms(const SecretBytes& value) {
  SecretBytes arena;
  std::vector<FormSpan> spans;
  append_mask_forms(value, arena, spans);
  std::vector<SecretBytes> forms;
  forms.reserve(spans.size());
  for (const FormSpan& span : spans)
    forms.push_back(SecretBytes::copy_of(arena.data() + span.offset, span.length));
  return forms;
}

}  // namespace ward
