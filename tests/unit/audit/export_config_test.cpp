#include "audit/export_config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "../testing/temp_dir.hpp"

namespace ward::audit {
namespace {

Result<std::optional<OtlpConfig>> parse(std::string_view text) {
  return parse_export_config(text, "config.yaml");
}

std::string error_of(std::string_view text) {
  auto r = parse(text);
  return r ? std::string("(parsed)") : r.error().message;
}

TEST(ExportConfig, ParsesEveryKey) {
  auto r = parse(R"(
audit:
  suspicious:
    burst: {events: 50, window: 1m}
  export:
    otlp:
      endpoint: https://otel.example.com:4318/v1/logs
      headers_secret: otel/headers
      batch: 50
      queue: 500
      timeout: 10s
      service_name: ward-laptop
other: {anything: [1, 2]}
)");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->has_value());
  const OtlpConfig& c = **r;
  EXPECT_EQ(c.endpoint, "https://otel.example.com:4318/v1/logs");
  EXPECT_EQ(c.headers_secret, "otel/headers");
  EXPECT_EQ(c.batch, 50u);
  EXPECT_EQ(c.queue, 500u);
  EXPECT_EQ(c.timeout_ms, 10000);
  EXPECT_EQ(c.service_name, "ward-laptop");
}

TEST(ExportConfig, DefaultsAndAbsentSections) {
  auto r = parse("audit:\n  export:\n    otlp:\n      endpoint: https://h\n");
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->endpoint, "https://h/v1/logs");
  EXPECT_EQ((*r)->batch, 100u);
  EXPECT_EQ((*r)->queue, 10000u);
  EXPECT_EQ((*r)->timeout_ms, 5000);
  EXPECT_EQ((*r)->service_name, "ward");
  for (std::string_view none :
       {"", "other: 1\n", "audit:\n  suspicious: {}\n", "audit:\n", "audit:\n  export:\n"}) {
    auto n = parse(none);
    ASSERT_TRUE(n) << none;
    EXPECT_FALSE(n->has_value()) << none;
  }
}

TEST(ExportConfig, ReportsEachErrorWithItsLine) {
  EXPECT_EQ(error_of("audit:\n  export:\n    splunk: {}\n"),
            "config.yaml:3: unknown key 'splunk' in audit.export");
  EXPECT_EQ(error_of("audit:\n  export:\n    otlp:\n      endpoint: https://h\n      bacth: 5\n"),
            "config.yaml:5: unknown key 'bacth' in audit.export.otlp");
  EXPECT_NE(error_of("audit:\n  export:\n    otlp: {batch: 5}\n").find("needs an endpoint"),
            std::string::npos);
  EXPECT_NE(error_of("audit:\n  export:\n    otlp: {endpoint: https://h, batch: 0}\n")
                .find("'batch' must be a whole number from 1 to 1000"),
            std::string::npos);
  EXPECT_NE(
      error_of("audit:\n  export:\n    otlp: {endpoint: https://h, batch: x}\n").find("'batch'"),
      std::string::npos);
  EXPECT_NE(error_of("audit:\n  export:\n    otlp: {endpoint: https://h, batch: 100, queue: 10}\n")
                .find("at least one batch"),
            std::string::npos);
  EXPECT_NE(error_of("audit:\n  export:\n    otlp: {endpoint: https://h, timeout: 0s}\n")
                .find("'timeout'"),
            std::string::npos);
  EXPECT_NE(error_of("audit:\n  export:\n    otlp: {endpoint: https://h, timeout: 1h}\n")
                .find("'timeout'"),
            std::string::npos);
  EXPECT_NE(error_of("audit:\n  export:\n    otlp: {endpoint: https://h, headers_secret: A B}\n")
                .find("not a secret path"),
            std::string::npos);
  EXPECT_NE(error_of("audit:\n  export:\n    otlp: {endpoint: https://h, service_name: ''}\n")
                .find("service_name"),
            std::string::npos);
  EXPECT_NE(error_of("audit:\n  export:\n    otlp: {endpoint: [a]}\n").find("single value"),
            std::string::npos);
  EXPECT_NE(error_of("audit:\n  export: [1]\n").find("must be a map"), std::string::npos);
  EXPECT_NE(error_of("audit: [\n").find("invalid YAML"), std::string::npos);
  EXPECT_NE(
      error_of("audit:\n  export:\n    otlp: {endpoint: http://example.com}\n").find("loopback"),
      std::string::npos);
}

TEST(ExportConfig, EndpointRules) {
  EXPECT_EQ(*check_endpoint("https://otel.example.com"), "https://otel.example.com/v1/logs");
  EXPECT_EQ(*check_endpoint("https://h:4318/custom/path"), "https://h:4318/custom/path");
  EXPECT_EQ(*check_endpoint("http://127.0.0.1:4318"), "http://127.0.0.1:4318/v1/logs");
  EXPECT_TRUE(check_endpoint("http://localhost:4318/v1/logs"));
  EXPECT_TRUE(check_endpoint("http://[::1]:4318/v1/logs"));
  EXPECT_TRUE(check_endpoint("http://127.1.2.3/v1/logs"));
  EXPECT_TRUE(check_endpoint("HTTPS://H/v1/logs"));
  for (std::string_view bad :
       {"ftp://h/x", "h:4318", "http://10.0.0.1:4318", "http://127.0.0.1.evil.com/",
        "http://localhost.evil.com/", "https://user:pw@h/v1/logs", "https://h:99999/",
        "https://h:/", "https:///v1/logs", "https://h/ x", "https://h/#frag", "http://[::2]:4318/",
        "https://[::1/"}) {
    EXPECT_FALSE(check_endpoint(bad)) << bad;
  }
  auto creds = check_endpoint("https://user:hunter2@h/");
  ASSERT_FALSE(creds);
  EXPECT_EQ(creds.error().message.find("hunter2"), std::string::npos);
}

TEST(ExportConfig, FileMustBeTheUsersAndNotWritableByOthers) {
  testing::TempDir dir;
  std::string path = dir / "config.yaml";
  auto missing = load_export_config(path);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  std::ofstream(path) << "audit:\n  export:\n    otlp: {endpoint: https://h}\n";
  ::chmod(path.c_str(), 0644);
  auto ok = load_export_config(path);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(ok->has_value());
  ::chmod(path.c_str(), 0664);
  auto group = load_export_config(path);
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().code, Code::denied);
  ::chmod(path.c_str(), 0600);
  ::chmod(dir.path().c_str(), 0777);
  auto open_dir = load_export_config(path);
  ::chmod(dir.path().c_str(), 0700);
  ASSERT_FALSE(open_dir);
  EXPECT_EQ(open_dir.error().code, Code::denied);
}

}  // namespace
}  // namespace ward::audit
