#include "util/strings.hpp"

#include <gtest/gtest.h>

#include "util/time.hpp"

namespace ward {

TEST(Strings, GlobMatchesStarAndQuestion) {
  EXPECT_TRUE(glob_match("AWS_*", "AWS_SECRET_ACCESS_KEY"));
  EXPECT_TRUE(glob_match("A?S", "AWS"));
  EXPECT_FALSE(glob_match("AWS_*", "GCP_KEY"));
  EXPECT_TRUE(glob_match("*", ""));
}

TEST(Strings, SplitKeepsEmptyParts) {
  auto parts = split("a//b", '/');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "");
}

TEST(Time, ParsesDurations) {
  EXPECT_EQ(parse_duration_s("30m").value(), 1800);
  EXPECT_EQ(parse_duration_s("8h").value(), 8 * 3600);
  EXPECT_EQ(parse_duration_s("90d").value(), 90 * 86400);
  EXPECT_FALSE(parse_duration_s("").has_value());
  EXPECT_FALSE(parse_duration_s("8x").has_value());
  EXPECT_FALSE(parse_duration_s("-5m").has_value());
}

TEST(Time, ParsesDatesAndRoundTrips) {
  auto t = parse_date("2026-12-31").value();
  EXPECT_EQ(format_rfc3339(t), "2026-12-31T00:00:00Z");
  EXPECT_EQ(parse_date("2026-12-31T10:00:00+01:00").value(), t + 9 * 3600);
  EXPECT_FALSE(parse_date("2026-13-01").has_value());
  EXPECT_FALSE(parse_date("tomorrow").has_value());
}

}  // namespace ward
