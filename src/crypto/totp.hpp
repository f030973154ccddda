// TOTP (RFC 6238) for ward's optional second factor.
//
// A 20-byte random secret is shared once with an authenticator app, through an
// otpauth:// URI shown as a QR code in the terminal. Afterwards the app and
// ward each compute HOTP (RFC 4226: HMAC-SHA1 of a big-endian counter, dynamic
// truncation, modulo 10^digits) over the counter floor(unix_time / 30) and the
// user types the six digits. ward accepts the step of now and +-window steps
// around it to tolerate clock drift, and refuses a counter at or below the
// last one it accepted, so a code that was seen once (shoulder surfing, a
// terminal log) cannot be replayed inside its validity window.
//
// Everything derived from the secret -- its base32 text, the URI, the QR code
// drawing -- is secret too and therefore lives in SecretBytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward {

constexpr std::size_t kTotpSecretSize = 20;  // 160 bits, as RFC 4226 recommends
constexpr std::int64_t kTotpPeriod = 30;     // seconds per time step
constexpr int kTotpDigits = 6;

// RFC 4648 base32 of data, upper case and without '=' padding.
SecretBytes base32_encode(std::span<const std::uint8_t> data);
// Decodes base32, case-insensitively, skipping '=' padding and spaces.
// invalid_input on a character outside the alphabet or an impossible length.
Result<SecretBytes> base32_decode(std::string_view text);

// The RFC 4226 HOTP value of secret at counter (HMAC-SHA1, dynamic truncation)
// modulo 10^digits; digits is clamped to 1..9. Aborts only if OpenSSL fails.
std::uint32_t hotp(const SecretBytes& secret, std::uint64_t counter, int digits = kTotpDigits);

// Checks a typed code ("123456", spaces allowed) against the time steps of
// now_unix_s +- window and returns the counter it matched. last_used_counter is
// the counter accepted last time (-1 if none). invalid_input if the code is not
// six digits; denied "wrong code" if no step matches; denied "code already used"
// if only counters <= last_used_counter match.
Result<std::int64_t> verify_totp(const SecretBytes& secret, std::string_view code,
                                 std::int64_t now_unix_s, std::int64_t last_used_counter,
                                 int window = 1);

// otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
// with account and issuer percent-encoded (no issuer part when issuer is empty).
// size() excludes a terminating NUL that follows the URI, so data() can be
// handed to C APIs as long as nothing is appended.
SecretBytes otpauth_uri(const SecretBytes& secret, std::string_view account,
                        std::string_view issuer);

// Draws text as a QR code (ECC level M, 8-bit mode) for a terminal: two module
// rows per line with the half blocks '█' '▀' '▄' ' ', dark modules as blocks, a
// quiet zone of 2 modules, each line ending in '\n'. Like otpauth_uri the result
// is NUL-terminated after size(). invalid_input if text holds a NUL byte; io if
// libqrencode fails (e.g. text too long).
Result<SecretBytes> render_qr(const SecretBytes& text);

}  // namespace ward
