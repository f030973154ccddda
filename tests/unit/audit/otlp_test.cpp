#include "audit/otlp.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../testing/temp_dir.hpp"

namespace ward::audit {
namespace {

using nlohmann::json;

SecretBytes test_salt() {
  return SecretBytes::from_view("0123456789abcdef0123456789abcdef");
}

Event full_event() {
  Event e;
  e.seq = 42;
  e.ts = 1764000000123456;
  e.event = "get";
  e.secrets = {"prod/db/password", "llm/openai"};
  e.denied = {"prod/stripe/key"};
  e.outcome = "denied";
  e.reason = "not allowed for /home/alice/secret-project/tool";
  e.actor.pid = 1234;
  e.actor.ppid = 1000;
  e.actor.uid = 501;
  e.actor.sid = 999;
  e.actor.exe = "/home/alice/.local/bin/claude-helper";
  e.actor.comm = "node";
  e.actor.cwd = "/home/alice/secret-project";
  e.actor.tty = "/dev/pts/7";
  e.actor.ancestry = {"claude", "zsh"};
  e.actor.agent_name = "claude-code";
  e.actor.agent_via = "env:CLAUDECODE";
  e.tool = "/home/alice/secret-project/bin/deploy";
  e.host = "alices-laptop.corp";
  e.prev = "ab" + std::string(62, '1');
  e.hash = "cd" + std::string(62, '2');
  return e;
}

// attributes[] as key -> value object.
std::map<std::string, json> attrs_of(const json& record) {
  std::map<std::string, json> out;
  for (const auto& a : record["attributes"]) out[a["key"]] = a["value"];
  return out;
}

TEST(OtlpRecord, CarriesOnlyTheAllowList) {
  SecretBytes salt = test_salt();
  Event e = full_event();
  std::string text = otlp_log_record(e, salt);
  json r = json::parse(text);
  EXPECT_EQ(r["timeUnixNano"], "1764000000123456000");
  EXPECT_EQ(r["severityText"], "WARN");
  EXPECT_EQ(r["severityNumber"], 13);
  EXPECT_EQ(r["eventName"], "ward.get");
  EXPECT_EQ(r["body"]["stringValue"], "get");
  auto a = attrs_of(r);
  EXPECT_EQ(a["ward.event"]["stringValue"], "get");
  EXPECT_EQ(a["ward.outcome"]["stringValue"], "denied");
  EXPECT_EQ(a["ward.seq"]["intValue"], "42");
  EXPECT_EQ(a["process.pid"]["intValue"], "1234");
  EXPECT_EQ(a["process.parent_pid"]["intValue"], "1000");
  EXPECT_EQ(a["process.user.id"]["intValue"], "501");
  EXPECT_EQ(a["process.executable.name"]["stringValue"], "claude-helper");
  EXPECT_EQ(a["ward.actor.comm"]["stringValue"], "node");
  EXPECT_EQ(a["ward.actor.tty_present"]["boolValue"], true);
  EXPECT_EQ(a["ward.agent.name"]["stringValue"], "claude-code");
  EXPECT_EQ(a["ward.agent.via"]["stringValue"], "env:CLAUDECODE");
  EXPECT_EQ(a["ward.tool"]["stringValue"], "deploy");
  auto secrets = a["ward.secrets"]["arrayValue"]["values"];
  ASSERT_EQ(secrets.size(), 2u);
  EXPECT_EQ(secrets[0]["stringValue"], hashed_secret_name(salt, "prod/db/password"));
  EXPECT_EQ(a["ward.denied"]["arrayValue"]["values"][0]["stringValue"],
            hashed_secret_name(salt, "prod/stripe/key"));
  EXPECT_EQ(a.size(), 15u);  // nothing beyond the documented list

  for (std::string_view leak :
       {"prod/db/password", "llm/openai", "prod/stripe", "alice", "secret-project", "/dev/pts",
        "pts/7", "alices-laptop", e.prev.c_str(), e.hash.c_str(), "not allowed"}) {
    EXPECT_EQ(text.find(leak), std::string::npos) << leak;
  }
}

TEST(OtlpRecord, NoTtyIsFalseAndEmptyOptionalsAreLeftOut) {
  Event e = full_event();
  e.actor.tty.clear();
  e.actor.agent_name.clear();
  e.actor.agent_via.clear();
  e.tool.clear();
  e.denied.clear();
  e.outcome = "ok";
  json r = json::parse(otlp_log_record(e, test_salt()));
  auto a = attrs_of(r);
  EXPECT_EQ(a["ward.actor.tty_present"]["boolValue"], false);
  EXPECT_EQ(a.count("ward.agent.name"), 0u);
  EXPECT_EQ(a.count("ward.tool"), 0u);
  EXPECT_EQ(a.count("ward.denied"), 0u);
  EXPECT_EQ(r["severityText"], "INFO");
}

TEST(OtlpRecord, ReplacesInvalidUtf8) {
  Event e = full_event();
  e.actor.comm = "bad\xff";
  json r = json::parse(otlp_log_record(e, test_salt()));
  EXPECT_EQ(attrs_of(r)["ward.actor.comm"]["stringValue"], "bad\xef\xbf\xbd");
}

TEST(OtlpRecord, NamesHashToTwelveHexDependingOnSalt) {
  SecretBytes salt = test_salt();
  SecretBytes other = SecretBytes::from_view("another salt of thirty-two bytes");
  std::string h = hashed_secret_name(salt, "llm/openai");
  EXPECT_EQ(h.size(), kNameHashHexDigits);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(h, hashed_secret_name(salt, "llm/openai"));
  EXPECT_NE(h, hashed_secret_name(other, "llm/openai"));
  EXPECT_NE(h, hashed_secret_name(salt, "llm/openai2"));
  EXPECT_NE(hashed_host_name(salt, "x"), hashed_secret_name(salt, "x"));
}

TEST(OtlpRecord, AuditEventsStayLocal) {
  Event e;
  e.event = "audit.checkpoint";
  EXPECT_FALSE(is_exportable(e));
  e.event = "audit.export_dropped";
  EXPECT_FALSE(is_exportable(e));
  e.event = "get";
  EXPECT_TRUE(is_exportable(e));
  e.event = "auditor";
  EXPECT_TRUE(is_exportable(e));
}

TEST(OtlpPayload, HasTheExportLogsServiceRequestShape) {
  SecretBytes salt = test_salt();
  Event e = full_event();
  std::vector<std::string> records = {otlp_log_record(e, salt), otlp_log_record(e, salt)};
  OtlpResource res{"ward-test", hashed_host_name(salt, "alices-laptop.corp")};
  std::string text = otlp_payload(records, res);
  json p = json::parse(text);
  ASSERT_EQ(p["resourceLogs"].size(), 1u);
  const json& rl = p["resourceLogs"][0];
  auto ra = attrs_of(rl["resource"]);
  EXPECT_EQ(ra["service.name"]["stringValue"], "ward-test");
  EXPECT_EQ(ra["host.id"]["stringValue"], res.host_id);
  ASSERT_EQ(rl["scopeLogs"].size(), 1u);
  EXPECT_EQ(rl["scopeLogs"][0]["scope"]["name"], "ward.audit");
  EXPECT_EQ(rl["scopeLogs"][0]["logRecords"].size(), 2u);
  EXPECT_EQ(text.find("alices-laptop"), std::string::npos);
  EXPECT_EQ(json::parse(otlp_payload({}, res))["resourceLogs"][0]["scopeLogs"][0]["logRecords"],
            json::array());
}

TEST(ExportSalt, CreatedOncePrivateAndReused) {
  testing::TempDir dir;
  std::string path = dir / "state/export-salt";
  auto first = load_or_create_export_salt(path);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->size(), kExportSaltSize);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir / "state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto second = load_or_create_export_salt(path);
  ASSERT_TRUE(second);
  EXPECT_TRUE(first->equals(*second));
}

TEST(ExportSalt, RacingCreatorsAgree) {
  testing::TempDir dir;
  std::string path = dir / "export-salt";
  std::vector<std::string> seen(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      auto salt = load_or_create_export_salt(path);
      if (salt) seen[i] = hashed_secret_name(*salt, "x");
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : seen) EXPECT_EQ(s, seen[0]);
  EXPECT_FALSE(seen[0].empty());
}

TEST(ExportSalt, RefusesOpenModeAndWrongSize) {
  testing::TempDir dir;
  std::string path = dir / "export-salt";
  ASSERT_TRUE(load_or_create_export_salt(path));
  ::chmod(path.c_str(), 0644);
  auto open = load_or_create_export_salt(path);
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().code, Code::denied);
  ::chmod(path.c_str(), 0600);
  std::ofstream(path, std::ios::app) << "x";
  auto size = load_or_create_export_salt(path);
  ASSERT_FALSE(size);
  EXPECT_EQ(size.error().code, Code::corrupt);
}

}  // namespace
}  // namespace ward::audit
