#include "scan/decode.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ward::scan {
namespace {

// Standard base64 with padding, for building inputs.
std::string to_base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                 static_cast<unsigned char>(bytes[i + 1]) << 8 |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (bytes.size() - i == 1) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (bytes.size() - i == 2) {
    unsigned v =
        static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

constexpr std::string_view kAwsLine =
    "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAwsBase64 =
    "QUtJQUlPU0ZPRE5ON0VYQU1QTEUgd0phbHJYVXRuRkVNSS9LN01ERU5HL2JQeFJmaUNZRVhBTVBMRUtFWQ==";

TEST(DecodeRuns, FindsABase64EncodedAwsKeyLine) {
  ASSERT_EQ(to_base64(kAwsLine), kAwsBase64);
  std::string text = "aws:\n  credentials: " + std::string(kAwsBase64) + "\n";
  auto runs = decode_runs(text);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].encoding, Encoding::base64);
  EXPECT_EQ(runs[0].offset, text.find("QUtJ"));
  EXPECT_EQ(runs[0].length, kAwsBase64.size());  // the "==" included
  EXPECT_EQ(runs[0].text, kAwsLine);
}

TEST(DecodeRuns, FindsAHexEncodedUrlAfterItsPrefix) {
  constexpr std::string_view url = "postgres://user:hunter2@db.example.com/app";
  std::string text = "DATABASE_URL_HEX=0x" + to_hex(url) + ";";
  auto runs = decode_runs(text);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].encoding, Encoding::hex);
  EXPECT_EQ(runs[0].offset, text.find("0x") + 2);
  EXPECT_EQ(runs[0].length, 2 * url.size());
  EXPECT_EQ(runs[0].text, url);
  std::string upper = "\"" + to_hex("an upper-case hex encoded secret") + "\"";
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  runs = decode_runs(upper);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].text, "an upper-case hex encoded secret");
}

TEST(DecodeRuns, FindsAPercentEncodedRun) {
  std::string text = "dsn = url=postgres%3A%2F%2Fuser%3Ahunter2%40db.example.com%2Fapp\n";
  auto runs = decode_runs(text);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].encoding, Encoding::percent);
  EXPECT_EQ(runs[0].offset, text.find("url="));
  EXPECT_EQ(runs[0].length, text.size() - 1 - runs[0].offset);
  EXPECT_EQ(runs[0].text, "url=postgres://user:hunter2@db.example.com/app");
}

TEST(DecodeRuns, PercentNeedsAnEscapeThatWasNeeded) {
  // %41 is 'A', which never needs escaping: not treated as percent-encoded.
  auto runs = decode_runs("x %41%42%43%44%45%46%47%48%49%4a%4b%4c y");
  EXPECT_TRUE(runs.empty());
  // A malformed escape stays as it is; '+' stays '+'.
  runs = decode_runs("q=a+b%2Fc%zzdefghijklmnop%");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].text, "q=a+b/c%zzdefghijklmnop%");
  // Too short once decoded.
  EXPECT_TRUE(decode_runs("path=%2Fa%2Fb%2Fc").empty());
}

TEST(DecodeRuns, DropsBase64OfBinaryData) {
  EXPECT_TRUE(decode_runs("key: pU3KGCUwux1tEyze1iN7LtkeP3IfyxlxF0SU1kk8nVw0YL4xIB5p/tqg7ui5mX9c\n")
                  .empty());
  // An AWS secret key is all base64 characters, and decodes to noise.
  EXPECT_TRUE(decode_runs("secret = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").empty());
  // Identifiers join up through '_' (URL-safe base64) and are dropped too.
  EXPECT_TRUE(decode_runs("some_rather_long_identifier_name_in_code = 1;").empty());
  EXPECT_TRUE(decode_runs(to_hex(std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0b\x0c"
                                             "\x0e\x0f\x10\x11\x12\x13\x14",
                                             18)))
                  .empty());
}

TEST(DecodeRuns, IgnoresShortRuns) {
  EXPECT_TRUE(decode_runs("c2hvcnQgdGV4dA==").empty());                     // 16 characters
  EXPECT_TRUE(decode_runs("v=" + to_base64("seventeen chars!!")).empty());  // 24 with padding
  EXPECT_TRUE(decode_runs(to_hex("fifteen bytes!!")).empty());              // 30 digits
  EXPECT_TRUE(decode_runs("").empty());
  EXPECT_TRUE(decode_runs("hello world, this is plain prose. Nothing to see.").empty());
}

TEST(DecodeRuns, OddHexRunsAreNotHex) {
  std::string hex = to_hex("sixteen byte str") + "a";
  for (const auto& run : decode_runs(hex)) EXPECT_NE(run.encoding, Encoding::hex);
}

TEST(DecodeRuns, UrlSafeAlphabetAndOptionalPadding) {
  auto runs = decode_runs("token: PDw_Pz4-fn4gc2VjcmV0IHZhbHVlIGhlcmUgPz8-Pg==\n");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].text, "<<?\?>>~~ secret value here ?\?>>");
  EXPECT_EQ(runs[0].length, 44u);

  for (auto [encoded, plain] :
       {std::pair{"dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSE=", "this is a secret value!"},
        {"dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSE", "this is a secret value!"},
        {"dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSEh", "this is a secret value!!"},
        {"dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSEhIQ==", "this is a secret value!!!"},
        {"dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSEhIQ", "this is a secret value!!!"}}) {
    std::string text = std::string("'") + encoded + "'";
    auto found = decode_runs(text);
    ASSERT_EQ(found.size(), 1u) << encoded;
    EXPECT_EQ(found[0].offset, 1u);
    EXPECT_EQ(found[0].length, std::string_view(encoded).size());
    EXPECT_EQ(found[0].text, plain);
  }
}

TEST(DecodeRuns, JwtPartsAreDecodedSeparatelyInOrder) {
  std::string jwt =
      "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_"
      "adQssw5c";
  auto runs = decode_runs(jwt);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].text, R"({"alg":"HS256","typ":"JWT"})");
  EXPECT_EQ(runs[1].text, R"({"sub":"1234567890","name":"John Doe"})");
  EXPECT_EQ(runs[0].offset + runs[0].length + 1, runs[1].offset);
}

TEST(DecodeRuns, KeepsDecodingsThatAreAtLeastNinetyPercentPrintable) {
  std::string kept = "0123456789abcdefgh";  // 20 bytes with two non-printable
  kept += '\x01';
  kept += '\x02';
  std::string dropped = "0123456789abcdefg\x01\x02\x03";  // three
  auto runs = decode_runs(" " + to_hex(kept) + " " + to_hex(dropped) + " ");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].text, kept);
  EXPECT_EQ(decode_runs(to_base64("tabs\tand\r\nnewlines\tare text")).size(), 1u);
}

TEST(DecodeRuns, FindsRunsAtEveryLengthAndAlignment) {
  // The scan looks at blocks of 8 bytes: no alignment or length may hide a run.
  for (std::size_t size = 18; size < 60; ++size) {
    std::string plain(size, 'k');
    std::string encoded = to_base64(plain);
    for (std::size_t lead = 0; lead < 17; ++lead) {
      std::string text = std::string(lead, ' ') + encoded + std::string(lead % 3 * 7, '.');
      auto runs = decode_runs(text);
      ASSERT_EQ(runs.size(), 1u) << size << " " << lead;
      EXPECT_EQ(runs[0].offset, lead);
      EXPECT_EQ(runs[0].length, encoded.size());
      EXPECT_EQ(runs[0].text, plain);
    }
  }
}

TEST(DecodeRuns, SeveralRunsAscendingAndDisjoint) {
  std::string text;
  for (int i = 0; i < 5; ++i) {
    text += "line " + std::to_string(i) + ": " +
            to_base64("secret number " + std::to_string(i) + " in base64") + " and " +
            to_hex("the hex secret number " + std::to_string(i)) + "\n";
  }
  auto runs = decode_runs(text);
  ASSERT_EQ(runs.size(), 10u);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].encoding, i % 2 == 0 ? Encoding::base64 : Encoding::hex);
    if (i > 0) {
      EXPECT_LE(runs[i - 1].offset + runs[i - 1].length, runs[i].offset);
    }
  }
  EXPECT_EQ(runs[9].text, "the hex secret number 4");
}

TEST(DecodeRuns, PercentRunsMergeInOrderAndHideWhatTheyHold) {
  std::string before = to_base64("a base64 secret before the url");
  std::string after = to_hex("a hex secret after the url");
  std::string url = "https://h/x?t=" + to_base64("base64 inside a percent run") + "%26u%3Dme";
  std::string text = before + " " + url + " " + after;
  auto runs = decode_runs(text);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].encoding, Encoding::base64);
  EXPECT_EQ(runs[1].encoding, Encoding::percent);
  EXPECT_EQ(runs[1].offset, before.size() + 1);
  EXPECT_EQ(runs[1].length, url.size());
  EXPECT_EQ(runs[2].encoding, Encoding::hex);
  EXPECT_EQ(runs[2].text, "a hex secret after the url");

  // A percent run that is not kept (only needless escapes) leaves its
  // base64 to be decoded.
  std::string inner = to_base64("base64 inside a percent run");
  auto plain = decode_runs("x=%41%42&t=" + inner);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].encoding, Encoding::base64);
  EXPECT_EQ(plain[0].offset, 11u);
}

TEST(DecodeRuns, EncodingNames) {
  EXPECT_EQ(encoding_name(Encoding::base64), "base64");
  EXPECT_EQ(encoding_name(Encoding::hex), "hex");
  EXPECT_EQ(encoding_name(Encoding::percent), "percent");
}

}  // namespace
}  // namespace ward::scan
