#include "run/trust.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../testing/temp_dir.hpp"
#include "crypto/primitives.hpp"
#include "util/file.hpp"

namespace ward {
namespace {

using Verdict = TrustStore::Verdict;

// HMAC-SHA256 under a fixed key, as the agent computes it under a vault key.
MacFn test_mac(std::string_view key = "test-trust-key") {
  return [k = std::string(key)](std::string_view message) -> Result<std::string> {
    SecretBytes secret = SecretBytes::from_view(k);
    return to_hex(hmac_sha256(secret, as_bytes(message)));
  };
}

std::string real(const std::string& path) {
  char* r = ::realpath(path.c_str(), nullptr);
  std::string out = r ? r : "";
  ::free(r);
  return out;
}

void write(const std::string& path, std::string_view text) {
  std::ofstream(path) << text;
}

// A project with .ward/allowlist.yaml and .ward/templates/claude.env.
struct Project {
  testing::TempDir tmp;
  std::string dir = tmp / "project";
  std::string store_path = tmp / "state/ward/trust.json";

  Project() {
    std::filesystem::create_directories(dir + "/.ward/templates");
    write(dir + "/.ward/allowlist.yaml", "claude: [ANTHROPIC_API_KEY]\n");
    write(dir + "/.ward/templates/claude.env", "ANTHROPIC_API_KEY=${ward:llm/anthropic}\n");
  }

  TrustStore trusted_store() {
    auto store = TrustStore::load(store_path);
    EXPECT_TRUE(store);
    EXPECT_TRUE(store->trust(dir, test_mac()));
    EXPECT_TRUE(store->save());
    return std::move(*store);
  }

  Verdict verdict(std::string* why = nullptr) {
    auto store = TrustStore::load(store_path);
    EXPECT_TRUE(store) << (store ? "" : store.error().message);
    auto v = store->check(dir, test_mac(), why);
    EXPECT_TRUE(v);
    return v ? *v : Verdict::never_trusted;
  }
};

}  // namespace

TEST(Trust, MessageIsCanonical) {
  EXPECT_EQ(trust_message("/p", {{"b.env", "22"}, {"a.yaml", "11"}}),
            "ward:v1:trust\n/p\na.yaml 11\nb.env 22\n");
}

TEST(Trust, MissingStoreIsEmpty) {
  testing::TempDir tmp;
  auto store = TrustStore::load(tmp / "none/trust.json");
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->entries().empty());
}

TEST(Trust, TrustThenCheckIsTrusted) {
  Project p;
  EXPECT_EQ(p.verdict(), Verdict::never_trusted);
  TrustStore store = p.trusted_store();
  ASSERT_EQ(store.entries().size(), 1u);
  const TrustEntry& entry = store.entries()[0];
  EXPECT_EQ(entry.dir, real(p.dir));
  ASSERT_EQ(entry.files.size(), 2u);
  EXPECT_TRUE(entry.files.contains("allowlist.yaml"));
  EXPECT_TRUE(entry.files.contains("templates/claude.env"));
  EXPECT_GT(entry.trusted_at, 0);
  std::string why;
  EXPECT_EQ(p.verdict(&why), Verdict::trusted);

  // A relative or dotted spelling of the same directory is the same project.
  auto loaded = TrustStore::load(p.store_path);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->check(p.dir + "/./.ward/..", test_mac()).value(), Verdict::trusted);
  EXPECT_EQ(loaded->pinned_sha256(p.dir, "allowlist.yaml"), entry.files.at("allowlist.yaml"));
  EXPECT_EQ(loaded->pinned_sha256(p.dir, "other.yaml"), std::nullopt);
}

TEST(Trust, ModifiedFileIsChanged) {
  Project p;
  p.trusted_store();
  write(p.dir + "/.ward/allowlist.yaml", "claude: [\"*\"]\n");
  std::string why;
  EXPECT_EQ(p.verdict(&why), Verdict::changed);
  EXPECT_NE(why.find("/.ward/allowlist.yaml changed since 'ward trust'"), std::string::npos) << why;
  EXPECT_NE(why.find("run 'ward trust " + real(p.dir) + "' again"), std::string::npos) << why;
}

TEST(Trust, AddedFileIsChanged) {
  Project p;
  p.trusted_store();
  write(p.dir + "/.ward/templates/aws.env", "AWS_SECRET_ACCESS_KEY=${ward:aws/secret}\n");
  std::string why;
  EXPECT_EQ(p.verdict(&why), Verdict::changed);
  EXPECT_NE(why.find("templates/aws.env was added"), std::string::npos) << why;
}

TEST(Trust, RemovedFileAndSymlinkAreChanged) {
  Project p;
  p.trusted_store();
  ASSERT_EQ(::unlink((p.dir + "/.ward/templates/claude.env").c_str()), 0);
  EXPECT_EQ(p.verdict(), Verdict::changed);
  ASSERT_EQ(::symlink("/etc/hostname", (p.dir + "/.ward/templates/claude.env").c_str()), 0);
  std::string why;
  EXPECT_EQ(p.verdict(&why), Verdict::changed);
  EXPECT_NE(why.find("is a symbolic link"), std::string::npos) << why;
}

TEST(Trust, RefusesSymlinksWhenTrusting) {
  Project p;
  ASSERT_EQ(::symlink("/etc/hostname", (p.dir + "/.ward/link.yaml").c_str()), 0);
  auto store = TrustStore::load(p.store_path);
  ASSERT_TRUE(store);
  auto status = store->trust(p.dir, test_mac());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Code::denied);
  EXPECT_TRUE(store->entries().empty());
}

TEST(Trust, NotFoundWithoutWardDir) {
  testing::TempDir tmp;
  auto store = TrustStore::load(tmp / "trust.json");
  ASSERT_TRUE(store);
  auto status = store->trust(tmp.path(), test_mac());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Code::not_found);
  status = store->trust(tmp / "missing", test_mac());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Code::not_found);
}

TEST(Trust, TamperedMacIsBadMac) {
  Project p;
  p.trusted_store();
  auto json = nlohmann::json::parse(read_file(p.store_path).value());
  std::string& mac = json["entries"][0]["mac"].get_ref<std::string&>();
  mac[0] = mac[0] == '0' ? '1' : '0';
  write(p.store_path, json.dump());
  EXPECT_EQ(p.verdict(), Verdict::bad_mac);
}

TEST(Trust, ForgedPinsWithoutKeyAreBadMac) {
  Project p;
  p.trusted_store();
  // An attacker edits the project and re-pins it, but cannot compute the MAC.
  write(p.dir + "/.ward/allowlist.yaml", "claude: [\"*\"]\n");
  auto forged = TrustStore::load(p.store_path);
  ASSERT_TRUE(forged);
  ASSERT_TRUE(forged->trust(p.dir, test_mac("attacker-guess")));
  ASSERT_TRUE(forged->save());
  EXPECT_EQ(p.verdict(), Verdict::bad_mac);
}

TEST(Trust, MacFailurePropagates) {
  Project p;
  p.trusted_store();
  MacFn locked = [](std::string_view) -> Result<std::string> {
    return fail(Code::locked, "vault is locked");
  };
  auto store = TrustStore::load(p.store_path);
  ASSERT_TRUE(store);
  auto v = store->check(p.dir, locked);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Code::locked);
  EXPECT_FALSE(store->trust(p.dir, locked));
}

TEST(Trust, RevokeForgetsDir) {
  Project p;
  TrustStore store = p.trusted_store();
  ASSERT_TRUE(store.revoke(p.dir + "/"));
  ASSERT_TRUE(store.save());
  EXPECT_EQ(p.verdict(), Verdict::never_trusted);
  auto again = store.revoke(p.dir);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::not_found);
}

TEST(Trust, RetrustReplacesEntry) {
  Project p;
  TrustStore store = p.trusted_store();
  write(p.dir + "/.ward/allowlist.yaml", "claude: []\n");
  ASSERT_TRUE(store.trust(p.dir, test_mac()));
  ASSERT_TRUE(store.save());
  EXPECT_EQ(store.entries().size(), 1u);
  EXPECT_EQ(p.verdict(), Verdict::trusted);
}

TEST(Trust, StoreIsPrivateAndRefusedWhenOpen) {
  Project p;
  p.trusted_store();
  struct stat st {};
  ASSERT_EQ(::stat(p.store_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dirname_of(p.store_path).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto json = nlohmann::json::parse(read_file(p.store_path).value());
  EXPECT_EQ(json["version"], 1);

  ASSERT_EQ(::chmod(p.store_path.c_str(), 0644), 0);
  auto store = TrustStore::load(p.store_path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Code::denied);
}

TEST(Trust, CorruptStoreIsRefused) {
  testing::TempDir tmp;
  for (std::string_view text :
       {"not json", "[]", "{\"version\":2,\"entries\":[]}", "{\"version\":1,\"entries\":[{}]}",
        "{\"version\":1,\"entries\":[{\"dir\":\"/p\",\"files\":{\"a\":1},\"trusted_at\":1,"
        "\"mac\":\"00\"}]}"}) {
    std::string path = tmp / "trust.json";
    ::unlink(path.c_str());
    auto file = AtomicFile::create(path, 0600);
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->write(std::string(text)));
    ASSERT_TRUE(file->commit());
    auto store = TrustStore::load(path);
    ASSERT_FALSE(store) << text;
    EXPECT_EQ(store.error().code, Code::corrupt) << text;
  }
}

TEST(Trust, FindsNearestProjectDir) {
  Project p;
  std::string deep = p.dir + "/src/a/b";
  std::filesystem::create_directories(deep);
  EXPECT_EQ(find_project_dir(deep), real(p.dir));
  EXPECT_EQ(find_project_dir(p.dir), real(p.dir));
  std::filesystem::create_directories(p.dir + "/src/.ward");
  EXPECT_EQ(find_project_dir(deep), real(p.dir + "/src"));
  EXPECT_EQ(find_project_dir(p.tmp.path()), std::nullopt);
  EXPECT_EQ(find_project_dir(p.tmp / "missing"), std::nullopt);
}

}  // namespace ward
