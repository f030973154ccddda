#include "crypto/totp.hpp"

#include <nettle/hmac.h>
#include <nettle/sha1.h>
#include <qrencode.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <fmt/format.h>

namespace ward {

namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int kQrQuietZone = 2;  // modules of light border around the symbol

// The 5-bit value of a base32 character (either case), or -1.
int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool is_base32_filler(char c) {
  return c == '=' || c == ' ';
}

// Puts a 0 byte right after the end of bytes without counting it in size(),
// so data() is a C string until something is appended.
void terminate_with_nul(SecretBytes& bytes) {
  bytes.append("", 1);
  bytes.truncate(bytes.size() - 1);  // truncate zeroes the dropped byte
}

// Percent-encodes everything but RFC 3986 unreserved characters. Used for the
// account and issuer only, which are not secret.
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Writes value as exactly digits decimal characters with leading zeros.
void format_digits(std::uint32_t value, std::span<char> out) {
  for (std::size_t i = out.size(); i-- > 0;) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Wipes the module matrix (it encodes the secret) before libqrencode frees it.
struct QrCodeDeleter {
  void operator()(QRcode* qr) const {
    if (qr->data != nullptr && qr->width > 0) {
      sodium_memzero(qr->data, static_cast<std::size_t>(qr->width) * qr->width);
    }
    QRcode_free(qr);
  }
};

}  // namespace

SecretBytes base32_encode(std::span<const std::uint8_t> data) {
  SecretBytes out((data.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;  // holds fewer than 13 pending bits
  int bits = 0;
  std::size_t n = 0;
  for (std::uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.data()[n++] = static_cast<std::uint8_t>(kBase32Alphabet[(buffer >> bits) & 31]);
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits > 0)
    out.data()[n++] = static_cast<std::uint8_t>(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  sodium_memzero(&buffer, sizeof buffer);
  return out;
}

Result<SecretBytes> base32_decode(std::string_view text) {
  crypto_init();
  std::size_t symbols = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_base32_filler(text[i])) continue;
    // The position, not the character: the text is a secret.
    if (base32_value(text[i]) < 0) {
      return fail(Code::invalid_input,
                  fmt::format("invalid base32 character at position {}", i + 1),
                  "a base32 secret uses only the letters A-Z and the digits 2-7");
    }
    ++symbols;
  }
  const std::size_t tail = symbols % 8;
  if (tail == 1 || tail == 3 || tail == 6) {
    return fail(Code::invalid_input, "base32 text has an impossible length",
                "check that the secret was copied completely");
  }

  SecretBytes out(symbols * 5 / 8);
  std::uint32_t buffer = 0;  // holds fewer than 13 pending bits
  int bits = 0;
  std::size_t n = 0;
  for (char c : text) {
    if (is_base32_filler(c)) continue;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(base32_value(c));
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.data()[n++] = static_cast<std::uint8_t>(buffer >> bits);
      buffer &= (1u << bits) - 1;
    }
  }
  sodium_memzero(&buffer, sizeof buffer);
  return out;
}

std::uint32_t hotp(const SecretBytes& secret, std::uint64_t counter, int digits) {
  digits = std::clamp(digits, 1, 9);
  std::array<std::uint8_t, 8> message{};
  for (std::size_t i = 0; i < message.size(); ++i) {
    message[message.size() - 1 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  }
  // Nettle's HMAC: small and without global state, so linking it costs
  // `ward run` nothing at start-up (OpenSSL's static archive costs ~1 ms).
  hmac_sha1_ctx ctx;
  hmac_sha1_set_key(&ctx, secret.size(), secret.data());
  hmac_sha1_update(&ctx, message.size(), message.data());
  std::array<std::uint8_t, SHA1_DIGEST_SIZE> mac{};
  hmac_sha1_digest(&ctx, mac.size(), mac.data());
  sodium_memzero(&ctx, sizeof ctx);  // holds the padded key
  // RFC 4226 section 5.3: dynamic truncation to 31 bits.
  const unsigned offset = mac[19] & 0x0f;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  sodium_memzero(mac.data(), mac.size());

  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  return binary % modulus;
}

Result<std::int64_t> verify_totp(const SecretBytes& secret, std::string_view code,
                                 std::int64_t now_unix_s, std::int64_t last_used_counter,
                                 int window) {
  crypto_init();
  std::array<char, kTotpDigits> typed{};
  std::size_t n = 0;
  bool well_formed = true;
  for (char c : code) {
    if (c == ' ') continue;
    if (c < '0' || c > '9' || n == typed.size()) {
      well_formed = false;
      break;
    }
    typed[n++] = c;
  }
  if (!well_formed || n != typed.size()) {
    sodium_memzero(typed.data(), typed.size());
    return fail(Code::invalid_input, fmt::format("the code must be {} digits", kTotpDigits),
                "enter the code the authenticator app shows for ward");
  }

  // Every step in the window is checked, without stopping at a match, so the
  // time taken does not tell which step matched.
  const std::int64_t now_step = floor_div(now_unix_s, kTotpPeriod);
  window = std::max(window, 0);
  std::int64_t matched = -1;
  bool replayed = false;
  std::array<char, kTotpDigits> expected{};
  for (std::int64_t step = now_step - window; step <= now_step + window; ++step) {
    if (step < 0) continue;
    format_digits(hotp(secret, static_cast<std::uint64_t>(step), kTotpDigits), expected);
    if (sodium_memcmp(expected.data(), typed.data(), expected.size()) == 0) {
      if (step > last_used_counter) {
        matched = std::max(matched, step);
      } else {
        replayed = true;
      }
    }
  }
  sodium_memzero(expected.data(), expected.size());
  sodium_memzero(typed.data(), typed.size());

  if (matched >= 0) return matched;
  if (replayed) {
    return fail(Code::denied, "code already used", "wait for the next code and enter that one");
  }
  return fail(Code::denied, "wrong code",
              "check that the clocks of this machine and of the authenticator are right");
}

SecretBytes otpauth_uri(const SecretBytes& secret, std::string_view account,
                        std::string_view issuer) {
  const std::string label =
      issuer.empty() ? percent_encode(account)
                     : fmt::format("{}:{}", percent_encode(issuer), percent_encode(account));
  const std::string head = fmt::format("otpauth://totp/{}?secret=", label);
  std::string tail;
  if (!issuer.empty()) tail = fmt::format("&issuer={}", percent_encode(issuer));
  tail += fmt::format("&algorithm=SHA1&digits={}&period={}", kTotpDigits, kTotpPeriod);

  SecretBytes uri = SecretBytes::from_view(head);
  const SecretBytes encoded = base32_encode(secret.bytes());
  uri.append(encoded.data(), encoded.size());
  uri.append(tail.data(), tail.size());
  terminate_with_nul(uri);
  return uri;
}

Result<SecretBytes> render_qr(const SecretBytes& text) {
  if (!text.empty() && std::memchr(text.data(), 0, text.size()) != nullptr) {
    return fail(Code::invalid_input, "text for a qr code contains a nul byte");
  }
  SecretBytes input = text.clone();
  terminate_with_nul(input);

  errno = 0;
  std::unique_ptr<QRcode, QrCodeDeleter> qr(QRcode_encodeString(
      reinterpret_cast<const char*>(input.data()), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  const int error = errno;
  if (!qr) {
    switch (error) {
      case ERANGE:
        return fail(Code::io, "could not draw the qr code: text too long");
      case ENOMEM:
        return fail(Code::io, "could not draw the qr code: out of memory");
      default:
        return fail(Code::io, "could not draw the qr code: libqrencode rejected the text");
    }
  }

  const int width = qr->width;
  const int side = width + 2 * kQrQuietZone;
  auto is_dark = [&](int x, int y) {
    x -= kQrQuietZone;
    y -= kQrQuietZone;
    if (x < 0 || y < 0 || x >= width || y >= width) return false;
    return (qr->data[static_cast<std::size_t>(y) * width + x] & 1) != 0;
  };

  SecretBytes out;
  for (int y = 0; y < side; y += 2) {
    for (int x = 0; x < side; ++x) {
      const bool top = is_dark(x, y);
      const bool bottom = is_dark(x, y + 1);
      const std::string_view cell = top && bottom ? "\u2588"  // full block
                                    : top         ? "\u2580"  // upper half block
                                    : bottom      ? "\u2584"  // lower half block
                                                  : " ";
      out.append(cell.data(), cell.size());
    }
    out.append("\n", 1);
  }
  terminate_with_nul(out);
  return out;
}

}  // namespace ward
