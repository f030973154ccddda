#include "crypto/totp.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "crypto/primitives.hpp"

namespace ward {
namespace {

SecretBytes rfc_secret() {
  return SecretBytes::from_view("12345678901234567890");
}

std::string code_at(const SecretBytes& secret, std::int64_t unix_s) {
  char text[8];
  std::snprintf(
      text, sizeof text, "%06u",
      static_cast<unsigned>(hotp(secret, static_cast<std::uint64_t>(unix_s / kTotpPeriod))));
  return text;
}

std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace

TEST(Totp, MatchesRfc4226HotpVectors) {
  const std::uint32_t expected[] = {755224, 287082, 359152, 969429, 338314,
                                    254676, 287922, 162583, 399871, 520489};
  const SecretBytes secret = rfc_secret();
  for (std::uint64_t counter = 0; counter < 10; ++counter) {
    EXPECT_EQ(hotp(secret, counter), expected[counter]) << "counter " << counter;
  }
}

TEST(Totp, MatchesRfc6238Vectors) {
  struct Vector {
    std::int64_t time;
    std::uint32_t code;
  };
  const Vector vectors[] = {{59, 94287082},         {1111111109, 7081804},
                            {1111111111, 14050471}, {1234567890, 89005924},
                            {2000000000, 69279037}, {20000000000, 65353130}};
  const SecretBytes secret = rfc_secret();
  for (const auto& v : vectors) {
    EXPECT_EQ(hotp(secret, static_cast<std::uint64_t>(v.time / kTotpPeriod), 8), v.code)
        << "T=" << v.time;
  }
}

TEST(Base32, EncodesRfc4648Vectors) {
  EXPECT_EQ(base32_encode(as_bytes("")).view(), "");
  EXPECT_EQ(base32_encode(as_bytes("f")).view(), "MY");
  EXPECT_EQ(base32_encode(as_bytes("fo")).view(), "MZXQ");
  EXPECT_EQ(base32_encode(as_bytes("foo")).view(), "MZXW6");
  EXPECT_EQ(base32_encode(as_bytes("foob")).view(), "MZXW6YQ");
  EXPECT_EQ(base32_encode(as_bytes("fooba")).view(), "MZXW6YTB");
  EXPECT_EQ(base32_encode(as_bytes("foobar")).view(), "MZXW6YTBOI");
}

TEST(Base32, DecodesCaseInsensitivelyIgnoringPaddingAndSpaces) {
  EXPECT_EQ(base32_decode("MY======").value().view(), "f");
  EXPECT_EQ(base32_decode("mzxw 6ytb oi").value().view(), "foobar");
  EXPECT_EQ(base32_decode("MZXQ====").value().view(), "fo");
  EXPECT_EQ(base32_decode("").value().size(), 0u);
}

TEST(Base32, RoundTripsRandomSecrets) {
  for (std::size_t size = 0; size <= 41; ++size) {
    const SecretBytes secret = SecretBytes::random(size);
    const SecretBytes text = base32_encode(secret.bytes());
    const auto decoded = base32_decode(text.view());
    ASSERT_TRUE(decoded.has_value()) << "size " << size;
    EXPECT_TRUE(decoded->equals(secret)) << "size " << size;
  }
}

TEST(Base32, RejectsBadCharactersAndLengths) {
  auto bad_char = base32_decode("MZXW1YTB");
  ASSERT_FALSE(bad_char.has_value());
  EXPECT_EQ(bad_char.error().code, Code::invalid_input);
  EXPECT_EQ(bad_char.error().message.find("MZXW"), std::string::npos);  // no secret text
  EXPECT_FALSE(base32_decode("MZX!").has_value());
  EXPECT_EQ(base32_decode("M").error().code, Code::invalid_input);
  EXPECT_EQ(base32_decode("MZX").error().code, Code::invalid_input);
}

TEST(Totp, VerifyAcceptsCurrentAndPreviousStep) {
  const SecretBytes secret = rfc_secret();
  const std::int64_t now = 1111111109;
  auto current = verify_totp(secret, code_at(secret, now), now, -1);
  ASSERT_TRUE(current.has_value()) << current.error().message;
  EXPECT_EQ(*current, now / kTotpPeriod);

  auto previous = verify_totp(secret, code_at(secret, now - 30), now, -1);
  ASSERT_TRUE(previous.has_value()) << previous.error().message;
  EXPECT_EQ(*previous, now / kTotpPeriod - 1);

  std::string spaced = code_at(secret, now);
  spaced.insert(3, " ");
  EXPECT_TRUE(verify_totp(secret, spaced, now, -1).has_value());
}

TEST(Totp, VerifyRejectsCodeOutsideWindow) {
  const SecretBytes secret = rfc_secret();
  const std::int64_t now = 1111111109;
  auto old = verify_totp(secret, code_at(secret, now - 90), now, -1);
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error().code, Code::denied);
  EXPECT_EQ(old.error().message, "wrong code");
}

TEST(Totp, VerifyRejectsReplayedCode) {
  const SecretBytes secret = rfc_secret();
  const std::int64_t now = 1111111109;
  const std::string code = code_at(secret, now);
  const std::int64_t counter = verify_totp(secret, code, now, -1).value();
  auto replay = verify_totp(secret, code, now + 5, counter);
  ASSERT_FALSE(replay.has_value());
  EXPECT_EQ(replay.error().code, Code::denied);
  EXPECT_EQ(replay.error().message, "code already used");
}

TEST(Totp, VerifyRejectsMalformedCode) {
  const SecretBytes secret = rfc_secret();
  for (const char* code : {"12a456", "12345", "1234567", "", "-12345"}) {
    auto result = verify_totp(secret, code, 1111111109, -1);
    ASSERT_FALSE(result.has_value()) << code;
    EXPECT_EQ(result.error().code, Code::invalid_input) << code;
  }
}

TEST(Totp, OtpauthUriCarriesSecretAndEncodesLabel) {
  const SecretBytes secret = rfc_secret();
  const SecretBytes uri = otpauth_uri(secret, "alice smith@host", "ward");
  const std::string_view text = uri.view();
  EXPECT_EQ(text.rfind("otpauth://totp/ward:alice%20smith%40host?", 0), 0u) << text;
  const SecretBytes encoded = base32_encode(secret.bytes());
  EXPECT_NE(text.find("secret=" + std::string(encoded.view())), std::string_view::npos);
  EXPECT_NE(text.find("&issuer=ward"), std::string_view::npos);
  EXPECT_NE(text.find("&digits=6&period=30"), std::string_view::npos);
  EXPECT_EQ(uri.data()[uri.size()], 0);  // NUL after the end for C APIs
}

TEST(Totp, RenderQrDrawsSquareOfEqualLines) {
  const SecretBytes uri = otpauth_uri(SecretBytes::random(kTotpSecretSize), "alice@host", "ward");
  auto qr = render_qr(uri);
  ASSERT_TRUE(qr.has_value()) << qr.error().message;
  const std::string_view text = qr->view();
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');

  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string_view::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  ASSERT_GT(lines.size(), 10u);
  const std::size_t width = code_points(lines.front());
  for (const auto& line : lines) EXPECT_EQ(code_points(line), width);
  // Two modules per line: the square is about twice as wide as tall.
  EXPECT_EQ(lines.size(), (width + 1) / 2);
  EXPECT_NE(text.find("\u2588"), std::string_view::npos);
}

}  // namespace ward
