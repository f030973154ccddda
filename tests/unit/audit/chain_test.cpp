#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../testing/temp_dir.hpp"
#include "audit/actor.hpp"
#include "audit/event.hpp"
#include "audit/log.hpp"
#include "audit/verify.hpp"

namespace ward::audit {
namespace {

Event sample(std::string name, std::vector<std::string> secrets = {"llm/openai"}) {
  Event e;
  e.event = std::move(name);
  e.secrets = std::move(secrets);
  e.actor = actor_of_self();
  return e;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AuditEvent, EncodesCanonicallyAndParsesBack) {
  Event e = sample("get");
  e.seq = 7;
  e.ts = 1764000000123456;
  e.prev = std::string(kZeroHash);
  e.reason = "quote \" backslash \\ newline \n tab \t ctl \x01 utf8 \xc3\xa9 bad \xff";
  e.actor.tty = "/dev/pts/3";
  std::string line = encode_line(e);
  EXPECT_EQ(line.find(' '), line.find(' '));  // spaces only inside strings
  EXPECT_EQ(line.rfind("{\"actor\":{\"agent\":", 0), 0u);
  ParsedLine parsed;
  ASSERT_TRUE(parse_line(line, parsed)) << parse_line(line, parsed).error().message;
  EXPECT_EQ(parsed.event.seq, 7);
  EXPECT_EQ(parsed.event.secrets, e.secrets);
  EXPECT_EQ(parsed.event.hash, e.hash);
  EXPECT_EQ(line_hash(parsed.event.prev, parsed.before_hash, parsed.after_hash), e.hash);
  // The invalid byte became U+FFFD; everything else survived.
  EXPECT_NE(parsed.event.reason.find("\xc3\xa9"), std::string::npos);
  EXPECT_NE(parsed.event.reason.find("\xef\xbf\xbd"), std::string::npos);
}

std::string reason_of(std::string_view line) {
  ParsedLine parsed;
  auto ok = parse_line(line, parsed);
  return ok ? "" : ok.error().message;
}

TEST(AuditEvent, RejectsEveryDepartureFromTheCanonicalForm) {
  Event e = sample("get");
  e.seq = 1;
  e.ts = 5;
  e.prev = std::string(kZeroHash);
  std::string line = encode_line(e);
  auto with = [&](std::string from, std::string to) {
    std::string out = line;
    auto at = out.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    out.replace(at, from.size(), to);
    return out;
  };
  EXPECT_NE(reason_of(with("\"event\":", "\"zzz\":1,\"event\":")).find("unknown key"),
            std::string::npos);
  EXPECT_NE(reason_of(with("\"seq\":1", "\"seq\":1,\"seq\":1")).find("duplicate key"),
            std::string::npos);
  EXPECT_NE(reason_of(with("\"seq\":1", "\"seq\": 1")).find("non-canonical"), std::string::npos);
  EXPECT_NE(reason_of(with("\"seq\":1", "\"seq\":1.0")).find("not an integer"), std::string::npos);
  EXPECT_NE(reason_of(with("\"seq\":1", "\"seq\":\"1\"")).find("must be an integer"),
            std::string::npos);
  EXPECT_NE(reason_of(with("\"outcome\":\"ok\"", "\"outcome\":\"fine\"")).find("outcome"),
            std::string::npos);
  EXPECT_NE(reason_of(with(",\"tool\":\"\"", "")).find("missing key 'tool'"), std::string::npos);
  EXPECT_NE(reason_of(line.substr(0, line.size() - 1)).find("not a JSON object"),
            std::string::npos);
  EXPECT_NE(reason_of("[1]").find("one object"), std::string::npos);
  // keys out of order
  std::string swapped = with(",\"host\":\"" + e.host + "\",\"outcome\":\"ok\"",
                             ",\"outcome\":\"ok\",\"host\":\"" + e.host + "\"");
  EXPECT_NE(reason_of(swapped).find("out of order"), std::string::npos);
  EXPECT_EQ(reason_of(line), "");
}

TEST(AuditLog, AppendsAChainThatVerifies) {
  testing::TempDir dir;
  auto log = AuditLog::open(dir / "audit.jsonl", {.max_bytes = 1 << 20, .sync = false});
  ASSERT_TRUE(log);
  for (int i = 0; i < 50; ++i) {
    std::vector<Event> batch{sample("get"), sample("set")};
    auto head = log->append(batch);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->seq, 2 * (i + 1));
  }
  VerifyReport r = verify_chain(chain_files(dir / "audit.jsonl"), std::nullopt);
  EXPECT_TRUE(r.intact()) << r.failure->reason;
  EXPECT_EQ(r.events, 100);
  EXPECT_EQ(r.head.seq, 100);
}

TEST(AuditLog, RotatesAndVerifiesAcrossFiles) {
  testing::TempDir dir;
  auto log = AuditLog::open(dir / "audit.jsonl", {.max_bytes = 4096, .sync = false});
  ASSERT_TRUE(log);
  for (int i = 0; i < 40; ++i) {
    std::vector<Event> batch{sample("get")};
    ASSERT_TRUE(log->append(batch));
  }
  auto files = chain_files(dir / "audit.jsonl");
  EXPECT_GT(files.size(), 3u);
  VerifyReport r = verify_chain(files, std::nullopt);
  EXPECT_TRUE(r.intact()) << r.failure->reason;
  EXPECT_EQ(r.events, 40);
  EXPECT_EQ(r.files, files.size());
}

constexpr const char* kTorn = "{\"actor\":{\"agent\"";

TEST(AuditLog, SetsATornLineAsideAndRecordsTheRepair) {
  testing::TempDir dir;
  auto log = AuditLog::open(dir / "audit.jsonl", {.sync = false});
  ASSERT_TRUE(log);
  std::vector<Event> batch{sample("get"), sample("get")};
  ASSERT_TRUE(log->append(batch));
  {
    std::ofstream out(dir / "audit.jsonl", std::ios::app | std::ios::binary);
    out << kTorn;
  }
  VerifyReport torn = verify_chain(chain_files(dir / "audit.jsonl"), std::nullopt);
  EXPECT_TRUE(torn.intact());
  EXPECT_EQ(torn.torn_bytes, static_cast<std::int64_t>(std::string_view(kTorn).size()));
  std::vector<Event> next{sample("rm")};
  auto head = log->append(next);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 4);  // repair + rm
  std::string text = slurp(dir / "audit.jsonl");
  EXPECT_NE(text.find("\"event\":\"audit.repair\""), std::string::npos);
  VerifyReport r = verify_chain(chain_files(dir / "audit.jsonl"), std::nullopt);
  EXPECT_TRUE(r.intact()) << r.failure->reason;
  EXPECT_EQ(r.torn_bytes, 0);
}

}  // namespace
}  // namespace ward::audit
