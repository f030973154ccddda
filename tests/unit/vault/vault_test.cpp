#include "vault/vault.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "../testing/temp_dir.hpp"
#include "vault/fingerprint.hpp"
#include "vault/secret_path.hpp"

namespace ward {
namespace {

SecretBytes pass() {
  return SecretBytes::from_view("unit test passphrase");
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Vault, SetGetRoundTripAndVersions) {
  testing::TempDir dir;
  auto vault = Vault::create(dir / "v/vault.db", pass(), KdfProfile::interactive);
  ASSERT_TRUE(vault) << vault.error().message;
  EXPECT_EQ(vault->set("a/b", SecretBytes::from_view("one-value"), {}).value(), 1);
  EXPECT_EQ(vault->set("a/b", SecretBytes::from_view("two-value"), {}).value(), 2);
  std::int64_t version = 0;
  EXPECT_EQ(vault->get("a/b", 0, &version)->view(), "two-value");
  EXPECT_EQ(version, 2);
  EXPECT_EQ(vault->get("a/b", 1)->view(), "one-value");
  EXPECT_EQ(vault->rollback("a/b", 1).value(), 3);
  EXPECT_EQ(vault->get("a/b")->view(), "one-value");
  EXPECT_EQ(vault->get("a/missing").error().code, Code::not_found);
}

TEST(Vault, CreatesPrivateFileAndRefusesOverwrite) {
  testing::TempDir dir;
  ASSERT_TRUE(Vault::create(dir / "v/vault.db", pass(), KdfProfile::interactive));
  struct stat st {};
  ASSERT_EQ(::stat((dir / "v/vault.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir / "v").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto again = Vault::create(dir / "v/vault.db", pass(), KdfProfile::interactive);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::already_exists);
}

TEST(Vault, WrongPassphraseDenied) {
  testing::TempDir dir;
  ASSERT_TRUE(Vault::create(dir / "vault.db", pass(), KdfProfile::interactive));
  auto store = Store::open(dir / "vault.db");
  ASSERT_TRUE(store);
  auto vault = Vault::unlock(std::move(*store), SecretBytes::from_view("wrong passphrase!"));
  ASSERT_FALSE(vault);
  EXPECT_EQ(vault.error().code, Code::denied);
}

TEST(Vault, PlaintextNeverInFile) {
  testing::TempDir dir;
  auto vault = Vault::create(dir / "vault.db", pass(), KdfProfile::interactive);
  ASSERT_TRUE(vault);
  ASSERT_TRUE(vault->set("x/y", SecretBytes::from_view("PLAINTEXT-CANARY-1234"), {}));
  std::string all = slurp(dir / "vault.db") + slurp(dir / "vault.db-wal");
  EXPECT_EQ(all.find("PLAINTEXT-CANARY"), std::string::npos);
}

TEST(Vault, SealedValueBoundToPathAndVersion) {
  testing::TempDir dir;
  auto vault = Vault::create(dir / "vault.db", pass(), KdfProfile::interactive);
  ASSERT_TRUE(vault);
  ASSERT_TRUE(vault->set("a/one", SecretBytes::from_view("value-of-one"), {}));
  Bytes sealed_one = vault->store().sealed("a/one", 0, nullptr).value();
  // The blob of a/one opened as a/two (same version) must fail.
  EXPECT_FALSE(open_sealed(vault->key(), sealed_one, value_ad("a/two", 1)));
  EXPECT_FALSE(open_sealed(vault->key(), sealed_one, value_ad("a/one", 2)));
  EXPECT_TRUE(open_sealed(vault->key(), sealed_one, value_ad("a/one", 1)));
}

TEST(Vault, MoveReSealsEveryVersion) {
  testing::TempDir dir;
  auto vault = Vault::create(dir / "vault.db", pass(), KdfProfile::interactive);
  ASSERT_TRUE(vault);
  ASSERT_TRUE(vault->set("a/old", SecretBytes::from_view("v1-value"), {}));
  ASSERT_TRUE(vault->set("a/old", SecretBytes::from_view("v2-value"), {}));
  ASSERT_TRUE(vault->move("a/old", "b/new"));
  EXPECT_EQ(vault->get("b/new", 1)->view(), "v1-value");
  EXPECT_EQ(vault->get("b/new", 2)->view(), "v2-value");
  EXPECT_EQ(vault->get("a/old").error().code, Code::not_found);
}

TEST(Vault, SettingsAreSealed) {
  testing::TempDir dir;
  auto vault = Vault::create(dir / "vault.db", pass(), KdfProfile::interactive);
  ASSERT_TRUE(vault);
  // Security settings exist from creation ("off"), so a deleted row is tampering.
  auto two_factor = vault->read_setting("2fa").value();
  ASSERT_TRUE(two_factor.has_value());
  EXPECT_EQ(two_factor->size(), 1u);
  EXPECT_FALSE(vault->read_setting("other").value().has_value());
  ASSERT_TRUE(vault->write_setting("other", SecretBytes::from_view("SETTING-CANARY")));
  EXPECT_EQ(vault->read_setting("other").value()->view(), "SETTING-CANARY");
  EXPECT_EQ(slurp(dir / "vault.db-wal").find("SETTING-CANARY"), std::string::npos);
}

TEST(Vault, ChangePassphraseKeepsValues) {
  testing::TempDir dir;
  {
    auto vault = Vault::create(dir / "vault.db", pass(), KdfProfile::interactive);
    ASSERT_TRUE(vault);
    ASSERT_TRUE(vault->set("k/v", SecretBytes::from_view("keep-me-please"), {}));
    ASSERT_TRUE(vault->change_passphrase(SecretBytes::from_view("another passphrase"),
                                         kdf_params_for(KdfProfile::interactive)));
  }
  auto store = Store::open(dir / "vault.db");
  ASSERT_TRUE(store);
  EXPECT_FALSE(Vault::unlock(Store::open(dir / "vault.db").value(), pass()));
  auto vault = Vault::unlock(std::move(*store), SecretBytes::from_view("another passphrase"));
  ASSERT_TRUE(vault);
  EXPECT_EQ(vault->get("k/v")->view(), "keep-me-please");
}

TEST(Store, RefusesGroupReadableFile) {
  testing::TempDir dir;
  ASSERT_TRUE(Vault::create(dir / "vault.db", pass(), KdfProfile::interactive));
  ::chmod((dir / "vault.db").c_str(), 0640);
  auto store = Store::open(dir / "vault.db");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Code::denied);
}

TEST(Store, NotFoundHintsInit) {
  testing::TempDir dir;
  auto store = Store::open(dir / "vault.db");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Code::not_found);
  EXPECT_NE(store.error().hint.find("ward init"), std::string::npos);
}

TEST(Store, ListMatchesWholeSegments) {
  testing::TempDir dir;
  auto vault = Vault::create(dir / "vault.db", pass(), KdfProfile::interactive);
  ASSERT_TRUE(vault);
  for (const char* p : {"llm/a", "llm/b", "llmx/c", "other"}) {
    ASSERT_TRUE(vault->set(p, SecretBytes::from_view("some-value"), {}));
  }
  auto listed = vault->store().list("llm").value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].path, "llm/a");
  EXPECT_EQ(vault->store().list("").value().size(), 4u);
}

TEST(Store, ConcurrentWritersFromSeveralProcesses) {
  testing::TempDir dir;
  constexpr int kWriters = 8, kEach = 60;
  SecretBytes key;
  {
    auto vault = Vault::create(dir / "vault.db", pass(), KdfProfile::interactive);
    ASSERT_TRUE(vault);
    key = vault->key().clone();
  }
  std::vector<pid_t> kids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    if (pid == 0) {
      auto store = Store::open(dir / "vault.db");
      if (!store) ::_exit(10);
      auto vault = Vault::with_key(std::move(*store), key.clone());
      for (int i = 0; i < kEach; ++i) {
        std::string path = "w" + std::to_string(w) + "/s" + std::to_string(i);
        if (!vault->set(path, SecretBytes::from_view("value-" + path), {})) ::_exit(11);
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  auto vault = Vault::with_key(Store::open(dir / "vault.db").value(), std::move(key));
  EXPECT_EQ(vault->store().list("").value().size(), static_cast<std::size_t>(kWriters * kEach));
  EXPECT_EQ(vault->get("w3/s17")->view(), "value-w3/s17");
}

TEST(SecretPath, ValidatesSegments) {
  EXPECT_TRUE(validate_secret_path("llm/anthropic"));
  EXPECT_TRUE(validate_secret_path("prod/db/url.v2_x-y"));
  for (const char* bad : {"", "/a", "a/", "a//b", "A/b", "a/../b", "a/./b", "a b", "a\\b"}) {
    EXPECT_FALSE(validate_secret_path(bad)) << bad;
  }
  EXPECT_FALSE(validate_secret_path(std::string(300, 'a')));
}

TEST(SecretPath, DefaultVarName) {
  EXPECT_EQ(default_var_name("llm/anthropic-key"), "ANTHROPIC_KEY");
  EXPECT_EQ(default_var_name("x/1pass"), "_1PASS");
  EXPECT_EQ(default_var_name("token"), "TOKEN");
}

TEST(Fingerprint, ShowsAtMostFourAndTwo) {
  auto fp = fingerprint_of(SecretBytes::from_view("sk-ant-api03-abcdefghijklmnopqrstuvwxyz"));
  EXPECT_EQ(fp.kind, "anthropic-key");
  EXPECT_EQ(fp.preview, "sk-a\u2026yz");
  EXPECT_EQ(fp.length, 39u);
  auto short_fp = fingerprint_of(SecretBytes::from_view("hunter2!"));
  EXPECT_LE(short_fp.preview.size(), std::string("h\u2026!").size());
  EXPECT_EQ(fingerprint_of(SecretBytes::from_view("abc")).preview, "");
  EXPECT_EQ(fingerprint_of(
                SecretBytes::from_view(std::string_view("\x01\x02\x03\x04\x05\x06\x07\x08", 8)))
                .preview,
            "");
}

}  // namespace
}  // namespace ward
