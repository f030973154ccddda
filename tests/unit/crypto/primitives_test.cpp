#include "crypto/primitives.hpp"

#include <gtest/gtest.h>

#include "crypto/secret_bytes.hpp"

namespace ward {
namespace {

TEST(SecretBytes, MoveLeavesSourceEmptyAndAppendGrows) {
  SecretBytes a = SecretBytes::from_view("abc");
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented moved-from state
  EXPECT_EQ(b.view(), "abc");
  for (int i = 0; i < 100; ++i) b.append("xyz", 3);
  EXPECT_EQ(b.size(), 303u);
  EXPECT_EQ(b.view().substr(0, 6), "abcxyz");
  b.truncate(2);
  EXPECT_EQ(b.view(), "ab");
}

TEST(SecretBytes, EqualsIsExact) {
  EXPECT_TRUE(SecretBytes::from_view("same").equals(SecretBytes::from_view("same")));
  EXPECT_FALSE(SecretBytes::from_view("same").equals(SecretBytes::from_view("sama")));
  EXPECT_FALSE(SecretBytes::from_view("same").equals(SecretBytes::from_view("same!")));
}

TEST(Aead, SealOpenRoundTripAndAdBinding) {
  SecretBytes key = SecretBytes::random(kKeySize);
  Bytes sealed = seal(key, as_bytes("value"), "ward:v1:a:1");
  EXPECT_EQ(sealed.size(), kNonceSize + 5 + kTagSize);
  EXPECT_EQ(open_sealed(key, sealed, "ward:v1:a:1")->view(), "value");
  EXPECT_EQ(open_sealed(key, sealed, "ward:v1:a:2").error().code, Code::crypto);
  sealed[kNonceSize] ^= 1;
  EXPECT_FALSE(open_sealed(key, sealed, "ward:v1:a:1"));
  EXPECT_EQ(open_sealed(key, Bytes(10), "x").error().code, Code::corrupt);
}

TEST(Aead, NoncesDiffer) {
  SecretBytes key = SecretBytes::random(kKeySize);
  EXPECT_NE(seal(key, as_bytes("v"), "ad"), seal(key, as_bytes("v"), "ad"));
}

TEST(Kdf, DeterministicPerSaltAndChecksParameters) {
  SecretBytes pass = SecretBytes::from_view("a passphrase");
  Bytes salt(kSaltSize, 7);
  KdfParams params = kdf_params_for(KdfProfile::interactive);
  auto k1 = derive_key(pass, salt, params);
  auto k2 = derive_key(pass, salt, params);
  ASSERT_TRUE(k1 && k2);
  EXPECT_TRUE(k1->equals(*k2));
  Bytes other_salt(kSaltSize, 8);
  EXPECT_FALSE(derive_key(pass, other_salt, params)->equals(*k1));
  EXPECT_EQ(derive_key(pass, Bytes(3), params).error().code, Code::corrupt);
  EXPECT_EQ(derive_key(pass, salt, KdfParams{1000, 1 << 20}).error().code, Code::corrupt);
}

TEST(Kdf, ProfilesParse) {
  EXPECT_EQ(parse_kdf_profile("sensitive").value(), KdfProfile::sensitive);
  EXPECT_FALSE(parse_kdf_profile("fast"));
  EXPECT_LT(kdf_params_for(KdfProfile::interactive).memlimit,
            kdf_params_for(KdfProfile::moderate).memlimit);
}

TEST(Encoding, HexAndBase64RoundTrip) {
  Bytes data = {0, 1, 0xab, 0xff};
  EXPECT_EQ(to_hex(data), "0001abff");
  EXPECT_EQ(from_hex("0001abff").value(), data);
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_EQ(to_base64(as_bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(from_base64("Zm9vYmFy").value(),
            Bytes(as_bytes("foobar").begin(), as_bytes("foobar").end()));
  EXPECT_FALSE(from_base64("Zm9v!"));
}

TEST(Hash, Sha256KnownVector) {
  EXPECT_EQ(to_hex(sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(GeneratePassword, LengthAndAlphabet) {
  SecretBytes p = generate_password(64);
  ASSERT_EQ(p.size(), 64u);
  for (auto c : p.view()) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
  EXPECT_FALSE(p.equals(generate_password(64)));
}

}  // namespace
}  // namespace ward
