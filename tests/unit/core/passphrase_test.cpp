#include "core/passphrase.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "../testing/temp_dir.hpp"
#include "core/paths.hpp"

namespace ward {
namespace {

TEST(PassphraseStrength, RefusesShortCommonAndRepeated) {
  EXPECT_EQ(check_passphrase_strength(SecretBytes::from_view("short")).error().code,
            Code::invalid_input);
  EXPECT_FALSE(check_passphrase_strength(SecretBytes::from_view("Password123")));
  EXPECT_FALSE(check_passphrase_strength(SecretBytes::from_view("zzzzzzzzzzzz")));
  EXPECT_TRUE(check_passphrase_strength(SecretBytes::from_view("orbit lantern cobalt")));
}

TEST(PassphraseFile, ReadsFirstLineAndRefusesOpenFile) {
  testing::TempDir dir;
  std::string path = dir / "pass";
  std::ofstream(path) << "first line pass\r\nsecond\n";
  ::chmod(path.c_str(), 0600);
  PassphraseSource source;
  source.file = path;
  EXPECT_EQ(read_passphrase(source, "", false)->view(), "first line pass");
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(read_passphrase(source, "", false).error().code, Code::denied);
  source.file = dir / "missing";
  EXPECT_EQ(read_passphrase(source, "", false).error().code, Code::not_found);
}

TEST(Paths, WardHomeIsAbsoluteAndSocketsDifferPerHome) {
  const char* old = std::getenv("WARD_HOME");
  std::string saved = old ? old : "";
  ::setenv("WARD_HOME", "relative/home/", 1);
  std::string home = ward_home();
  EXPECT_EQ(home.front(), '/');
  EXPECT_TRUE(home.ends_with("/relative/home"));
  std::string sock_a = agent_socket_path();
  ::setenv("WARD_HOME", "/tmp/other-home", 1);
  EXPECT_NE(agent_socket_path(), sock_a);
  EXPECT_EQ(vault_path(), "/tmp/other-home/vault.db");
  if (old) {
    ::setenv("WARD_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("WARD_HOME");
  }
}

}  // namespace
}  // namespace ward
