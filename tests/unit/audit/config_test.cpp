#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "../testing/temp_dir.hpp"
#include "audit/config.hpp"

namespace ward::audit {
namespace {

std::string error_of(std::string_view yaml) {
  auto parsed = parse_suspicious_config(yaml, "config.yaml");
  return parsed ? "" : parsed.error().message;
}

void expect_error(std::string_view yaml, std::string_view fragment) {
  auto parsed = parse_suspicious_config(yaml, "config.yaml");
  ASSERT_FALSE(parsed) << yaml;
  EXPECT_EQ(parsed.error().code, Code::invalid_input) << yaml;
  EXPECT_NE(parsed.error().message.find(fragment), std::string::npos)
      << yaml << " -> " << parsed.error().message;
}

TEST(AuditConfig, DefaultsWhenTheSectionIsAbsent) {
  for (std::string_view yaml : {"", "# nothing\n", "audit:\n", "audit:\n  suspicious:\n",
                                "other: {x: 1}\n", "audit:\n  export: {endpoint: x}\n"}) {
    auto config = parse_suspicious_config(yaml, "config.yaml");
    ASSERT_TRUE(config) << yaml << ": " << config.error().message;
    EXPECT_EQ(config->working_hours.start_min, 8 * 60);
    EXPECT_EQ(config->working_hours.end_min, 20 * 60);
    EXPECT_EQ(config->burst.events, 30);
    EXPECT_EQ(config->burst.window_s, 60);
    EXPECT_EQ(config->lookback_s, 30 * 86400);
    EXPECT_EQ(config->denied_spike.events, 5);
    EXPECT_EQ(config->denied_spike.window_s, 600);
    EXPECT_EQ(config->sensitive_tag, "sensitive");
  }
}

TEST(AuditConfig, ReadsEveryKey) {
  auto config = parse_suspicious_config(
      "audit:\n"
      "  suspicious:\n"
      "    working_hours: \"22:00-06:00\"\n"
      "    burst: {events: 10, window: 2m}\n"
      "    lookback: 7d\n"
      "    denied_spike:\n"
      "      events: 3\n"
      "      window: 1h\n"
      "    sensitive_tag: prod\n",
      "config.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->working_hours.start_min, 22 * 60);
  EXPECT_EQ(config->working_hours.end_min, 6 * 60);
  EXPECT_EQ(config->burst.events, 10);
  EXPECT_EQ(config->burst.window_s, 120);
  EXPECT_EQ(config->lookback_s, 7 * 86400);
  EXPECT_EQ(config->denied_spike.events, 3);
  EXPECT_EQ(config->denied_spike.window_s, 3600);
  EXPECT_EQ(config->sensitive_tag, "prod");
}

TEST(AuditConfig, WorkingHoursWrapMidnight) {
  auto day = parse_working_hours("08:00-20:00");
  ASSERT_TRUE(day);
  EXPECT_FALSE(day->contains(7 * 60 + 59));
  EXPECT_TRUE(day->contains(8 * 60));
  EXPECT_TRUE(day->contains(19 * 60 + 59));
  EXPECT_FALSE(day->contains(20 * 60));
  auto night = parse_working_hours("22:00-06:00");
  ASSERT_TRUE(night);
  EXPECT_TRUE(night->contains(23 * 60));
  EXPECT_TRUE(night->contains(0));
  EXPECT_TRUE(night->contains(5 * 60 + 59));
  EXPECT_FALSE(night->contains(6 * 60));
  EXPECT_FALSE(night->contains(12 * 60));
  EXPECT_TRUE(night->contains(22 * 60));
  auto all = parse_working_hours("00:00-24:00");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->contains(0));
  EXPECT_TRUE(all->contains(24 * 60 - 1));
}

TEST(AuditConfig, RejectsBadWorkingHours) {
  for (std::string_view bad : {"", "8-20", "08:00", "08:00-20", "24:00-06:00", "08:60-20:00",
                               "08:00-25:00", "ab:cd-ef:gh", "08:00 20:00", "09:00-09:00"}) {
    EXPECT_FALSE(parse_working_hours(bad)) << bad;
  }
  expect_error("audit: {suspicious: {working_hours: \"9-5\"}}", "invalid working_hours");
  expect_error("audit: {suspicious: {working_hours: \"09:00-09:00\"}}", "starts where it ends");
  expect_error("audit: {suspicious: {working_hours: [1]}}", "single value");
}

TEST(AuditConfig, RejectsEveryMistakeNamingTheKey) {
  expect_error("audit:\n  suspicious:\n    burts: {events: 1, window: 1s}\n",
               "config.yaml:3: unknown key 'audit.suspicious.burts'");
  expect_error("audit: {suspicious: {burst: {events: 1, window: 1s, extra: 2}}}",
               "unknown key 'audit.suspicious.burst.extra'");
  expect_error("audit: {suspicious: {burst: {events: 1}}}", "needs both events and window");
  expect_error("audit: {suspicious: {burst: 30}}", "'audit.suspicious.burst' must be a map");
  expect_error("audit: {suspicious: {burst: {events: 0, window: 1s}}}",
               "'audit.suspicious.burst.events' must be a positive whole number");
  expect_error("audit: {suspicious: {burst: {events: -3, window: 1s}}}", "positive whole number");
  expect_error("audit: {suspicious: {burst: {events: 2x, window: 1s}}}", "positive whole number");
  expect_error("audit: {suspicious: {denied_spike: {events: 2, window: soon}}}",
               "'audit.suspicious.denied_spike.window' must be a positive duration");
  expect_error("audit: {suspicious: {denied_spike: {events: 2, window: 0s}}}", "positive duration");
  expect_error("audit: {suspicious: {lookback: 3651d}}", "up to 3650d");
  expect_error("audit: {suspicious: {burst: {events: 1, window: 99999999999999w}}}",
               "positive duration");
  expect_error("audit: {suspicious: {lookback: forever}}",
               "'audit.suspicious.lookback' must be a positive duration");
  expect_error("audit: {suspicious: {sensitive_tag: \"\"}}", "non-empty word");
  expect_error("audit: {suspicious: {sensitive_tag: \"a,b\"}}", "non-empty word");
  expect_error("audit:\n  suspicious:\n    lookback: 1d\n    lookback: 2d\n",
               "duplicate key 'audit.suspicious.lookback'");
  expect_error("audit: {suspicious: [1, 2]}", "'audit.suspicious' must be a map");
  expect_error("audit: [1]", "'audit' must be a map");
  expect_error("- just\n- a list\n", "expected a map");
  expect_error("audit: {suspicious: {burst: {events: 1, window: 1s}\n", "invalid YAML");
  EXPECT_EQ(error_of("audit: {suspicious: {lookback: 90d}}"), "");
}

class AuditConfigFile : public ::testing::Test {
 protected:
  void write(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
  }
  testing::TempDir dir;
};

TEST_F(AuditConfigFile, MissingFileGivesDefaults) {
  auto config = load_suspicious_config(dir / "config.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->burst.events, 30);
}

TEST_F(AuditConfigFile, ReadsAPrivateOrReadableFile) {
  write(dir / "config.yaml", "audit: {suspicious: {lookback: 2d}}\n", 0644);
  auto config = load_suspicious_config(dir / "config.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->lookback_s, 2 * 86400);
}

TEST_F(AuditConfigFile, RefusesAFileOthersCanWrite) {
  for (mode_t mode : {0664, 0646, 0666}) {
    write(dir / "config.yaml", "audit: {suspicious: {lookback: 2d}}\n", mode);
    auto config = load_suspicious_config(dir / "config.yaml");
    ASSERT_FALSE(config) << mode;
    EXPECT_EQ(config.error().code, Code::denied);
    EXPECT_NE(config.error().message.find("writable by others"), std::string::npos);
    EXPECT_NE(config.error().hint.find("chmod go-w"), std::string::npos);
  }
}

TEST_F(AuditConfigFile, RefusesADirectoryOthersCanWrite) {
  std::string sub = dir / "ward";
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  write(sub + "/config.yaml", "", 0600);
  ::chmod(sub.c_str(), 0777);
  auto config = load_suspicious_config(sub + "/config.yaml");
  ::chmod(sub.c_str(), 0700);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, Code::denied);
}

TEST_F(AuditConfigFile, RefusesASymlink) {
  write(dir / "real.yaml", "", 0600);
  ASSERT_EQ(::symlink((dir / "real.yaml").c_str(), (dir / "config.yaml").c_str()), 0);
  auto config = load_suspicious_config(dir / "config.yaml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, Code::denied);
}

TEST_F(AuditConfigFile, RefusesAFileSomeoneElseOwns) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file away";
  write(dir / "config.yaml", "", 0600);
  ASSERT_EQ(::chown((dir / "config.yaml").c_str(), 12345, 12345), 0);
  auto config = load_suspicious_config(dir / "config.yaml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, Code::denied);
  EXPECT_NE(config.error().message.find("not owned by you"), std::string::npos);
}

TEST_F(AuditConfigFile, ReportsTheFileAndLineOfAnError) {
  write(dir / "config.yaml", "audit:\n  suspicious:\n    nope: 1\n", 0600);
  auto config = load_suspicious_config(dir / "config.yaml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, Code::invalid_input);
  EXPECT_NE(config.error().message.find(dir / "config.yaml:3: unknown key 'audit.suspicious.nope'"),
            std::string::npos)
      << config.error().message;
}

}  // namespace
}  // namespace ward::audit
