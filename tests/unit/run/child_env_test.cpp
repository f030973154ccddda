#include "run/child_env.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ward {
namespace {

std::vector<std::string> as_strings(ChildEnv& env) {
  std::vector<std::string> out;
  for (char* p : env.envp()) {
    if (p) out.emplace_back(p);
  }
  return out;
}

TEST(ChildEnv, ReadsEnvironSkippingMalformedEntries) {
  std::string a = "HOME=/home/u", b = "no-equals", c = "=empty-name", d = "EMPTY=";
  char* envp[] = {a.data(), b.data(), c.data(), d.data(), nullptr};
  ChildEnv env = ChildEnv::from_environ(envp);
  EXPECT_EQ(as_strings(env), (std::vector<std::string>{"HOME=/home/u", "EMPTY="}));
  EXPECT_EQ(env.get("HOME"), "/home/u");
  EXPECT_TRUE(env.has("EMPTY"));
  EXPECT_EQ(env.get("EMPTY"), "");
  EXPECT_FALSE(env.has("HOM"));
  EXPECT_EQ(env.envp().back(), nullptr);
}

TEST(ChildEnv, SetReplacesAndRemoveDrops) {
  std::string a = "A=1", b = "B=2";
  char* envp[] = {a.data(), b.data(), nullptr};
  ChildEnv env = ChildEnv::from_environ(envp);
  env.set("A", SecretBytes::from_view("secret-one"));
  env.set("C", std::string_view("3"));
  env.remove("B");
  EXPECT_EQ(as_strings(env), (std::vector<std::string>{"A=secret-one", "C=3"}));
  EXPECT_EQ(env.names(), (std::vector<std::string>{"A", "C"}));
  env.remove("missing");
  EXPECT_EQ(env.names().size(), 2u);
}

TEST(ChildEnv, EntriesSurviveTheArenaGrowing) {
  ChildEnv env;
  for (int i = 0; i < 500; ++i) {
    env.set("VAR_" + std::to_string(i), std::string(i % 97, 'x') + std::to_string(i));
  }
  auto entries = as_strings(env);
  ASSERT_EQ(entries.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(entries[i],
              "VAR_" + std::to_string(i) + "=" + std::string(i % 97, 'x') + std::to_string(i));
  }
  EXPECT_EQ(env.get("VAR_499"), std::string(499 % 97, 'x') + "499");
}

}  // namespace
}  // namespace ward
