// The tamper matrix at the library level: each way a same-user process
// could alter the log, and the exact file, line, seq and reason verify_chain
// reports for it. Edits the hash catches, edits the schema or the canonical
// form catches, links across rotated files, and the forgeries only the
// vault's anchor (checkpoint key and sealed head) can catch.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include <fmt/format.h>

#include "../testing/temp_dir.hpp"
#include "audit/event.hpp"
#include "audit/log.hpp"
#include "audit/verify.hpp"
#include "crypto/digest.hpp"
#include "crypto/primitives.hpp"

namespace ward::audit {
namespace {

using Lines = std::vector<std::string>;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Lines lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const std::string& path, const Lines& lines, std::string_view tail = "") {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& line : lines) out << line << '\n';
  out << tail;
}

Event sample(int i) {
  Event e;
  e.event = i % 3 == 0 ? "run" : "get";
  e.secrets = {"prod/db/url", fmt::format("team/key-{}", i)};
  e.reason = fmt::format("event {}", i);
  e.actor.pid = 4000 + i;
  e.actor.ppid = 1;
  e.actor.uid = 1000;
  e.actor.comm = "claude";
  e.actor.ancestry = {"zsh", "tmux"};
  e.actor.agent_name = "claude-code";
  e.actor.agent_via = "env:CLAUDECODE";
  e.tool = "/usr/bin/psql";
  return e;
}

// A signer with a fresh Ed25519 key, as the agent holds one.
struct Signer {
  SigningKeyPair key = generate_signing_key();
  std::string public_hex() const { return to_hex(key.public_key); }
  CheckpointSigner fn() const {
    return [this](std::int64_t seq, const std::string& head, std::int64_t ts) {
      std::string message = checkpoint_message(seq, head, ts);
      return Checkpoint{seq, head, ts, public_hex(),
                        to_hex(sign_detached(key.secret_key, as_bytes(message)))};
    };
  }
};

// Appends count events one by one to path; with a signer, every fourth event
// is a signed checkpoint. Returns the head after the last checkpoint (what
// the vault seals) or the last head when there is no signer.
Head build_chain(const std::string& path, int count, const Signer* signer = nullptr,
                 std::int64_t max_bytes = 64ll << 20) {
  std::int64_t clock = 1764000000000000;
  auto log = AuditLog::open(
      path, {.max_bytes = max_bytes, .sync = false, .clock = [&clock] { return clock += 1000; }});
  EXPECT_TRUE(log);
  CheckpointSigner fn = signer ? signer->fn() : CheckpointSigner{};
  Head sealed;
  for (int i = 1; i <= count; ++i) {
    Event e = sample(i);
    bool checkpoint = signer != nullptr && i % 4 == 0;
    if (checkpoint) e.event = "audit.checkpoint";
    auto head = log->append(std::span<Event>(&e, 1), &fn);
    EXPECT_TRUE(head);
    if (checkpoint || signer == nullptr) sealed = *head;
  }
  return sealed;
}

VerifyReport verify(const std::string& path, const std::optional<Anchor>& anchor = std::nullopt) {
  return verify_chain(chain_files(path), anchor);
}

std::string replaced(std::string line, std::string_view from, std::string_view to) {
  auto at = line.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) line.replace(at, from.size(), to);
  return line;
}

// Re-serializes line canonically after edit, linked to prev; returns the new
// line (self-consistent: its own hash is right).
std::string reencoded(std::string_view line, const std::function<void(Event&)>& edit) {
  ParsedLine parsed;
  EXPECT_TRUE(parse_line(line, parsed));
  Event e = parsed.event;
  edit(e);
  return encode_line(e);
}

std::string hash_of(std::string_view line) {
  ParsedLine parsed;
  EXPECT_TRUE(parse_line(line, parsed));
  return parsed.event.hash;
}

#define EXPECT_FAILS_AT(report, line_no, seq_no, reason_part)                                 \
  do {                                                                                        \
    const VerifyReport& r_ = (report);                                                        \
    ASSERT_FALSE(r_.intact()) << "expected a failure at line " << (line_no);                  \
    EXPECT_EQ(r_.failure->line, (line_no)) << r_.failure->reason;                             \
    EXPECT_EQ(r_.failure->seq, (seq_no)) << r_.failure->reason;                               \
    EXPECT_NE(r_.failure->reason.find(reason_part), std::string::npos) << r_.failure->reason; \
  } while (0)

class AuditTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    build_chain(path, 10);
    lines = read_lines(path);
    ASSERT_EQ(lines.size(), 10u);
    ASSERT_TRUE(verify(path).intact());
  }
  testing::TempDir dir;
  std::string path = dir / "audit.jsonl";
  Lines lines;
};

TEST_F(AuditTamper, EditedFieldKeepingItsHashFailsTheHash) {
  // Canonical and schema-valid: only the hash can tell.
  std::string old_hash = hash_of(lines[4]);
  std::string edited = reencoded(lines[4], [](Event& e) { e.secrets = {"prod/other"}; });
  lines[4] = replaced(edited, hash_of(edited), old_hash);
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 5, 5, "hash does not match the line (edited)");
}

TEST_F(AuditTamper, EditedAndRehashedLineBreaksTheNextLink) {
  lines[4] = reencoded(lines[4], [](Event& e) { e.outcome = "denied"; });
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 6, 6, "prev does not match the hash of the line before");
}

TEST_F(AuditTamper, DeletedLine) {
  lines.erase(lines.begin() + 4);
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 5, 6, "seq 6 after 4: skips ahead");
}

TEST_F(AuditTamper, DeletedFirstLine) {
  lines.erase(lines.begin());
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 1, 2, "the chain starts at seq 2, not 1");
}

TEST_F(AuditTamper, InsertedSelfConsistentLine) {
  // A well-formed event linked to line 4 takes seq 5; the real seq 5 follows.
  std::string inserted = reencoded(lines[4], [](Event& e) { e.reason = "nothing to see"; });
  lines.insert(lines.begin() + 4, inserted);
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 6, 5, "seq 5 after 5: repeats or goes back");
}

TEST_F(AuditTamper, SwappedLines) {
  std::swap(lines[3], lines[4]);
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 4, 5, "seq 5 after 3: skips ahead");
}

TEST_F(AuditTamper, TruncatedTailNeedsTheSealedHead) {
  Head sealed{10, hash_of(lines[9])};
  lines.resize(7);
  write_lines(path, lines);
  // Whole lines cut off leave a shorter, valid chain...
  VerifyReport plain = verify(path);
  EXPECT_TRUE(plain.intact());
  EXPECT_EQ(plain.head.seq, 7);
  // ...which the head sealed in the vault shows up.
  VerifyReport anchored = verify(path, Anchor{"", sealed});
  EXPECT_FAILS_AT(anchored, 0, 10, "not in the log, which ends at seq 7");
  EXPECT_EQ(anchored.sealed, SealedHead::missing);
}

TEST_F(AuditTamper, TruncatedMidLineIsATornTailUnlessSealed) {
  Head sealed{10, hash_of(lines[9])};
  std::string last = lines[9];
  lines.resize(9);
  write_lines(path, lines, std::string_view(last).substr(0, 100));
  VerifyReport plain = verify(path);
  EXPECT_TRUE(plain.intact());
  EXPECT_EQ(plain.torn_bytes, 100);
  EXPECT_EQ(plain.head.seq, 9);
  VerifyReport anchored = verify(path, Anchor{"", sealed});
  EXPECT_FAILS_AT(anchored, 0, 10, "truncated or replaced");
}

TEST_F(AuditTamper, UnknownKey) {
  lines[4] = replaced(lines[4], "\"event\":", "\"extra\":\"x\",\"event\":");
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 5, 5, "unknown key 'extra' in event");
}

TEST_F(AuditTamper, UnknownKeyInTheActor) {
  lines[4] = replaced(lines[4], "\"comm\":", "\"caps\":\"all\",\"comm\":");
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 5, 5, "unknown key 'caps' in actor");
}

TEST_F(AuditTamper, DuplicateKey) {
  lines[4] = replaced(lines[4], "\"outcome\":\"ok\"", "\"outcome\":\"ok\",\"outcome\":\"ok\"");
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 5, 5, "duplicate key 'outcome' in event");
}

TEST_F(AuditTamper, ChangedWhitespace) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"\"seq\":5", "\"seq\": 5"},
                          {"{\"actor\":", "{ \"actor\":"},
                          {"\"v\":1}", "\"v\":1} "},
                          {"\"v\":1}", "\"v\":1}\r"}}) {
    SCOPED_TRACE(to);
    Lines copy = lines;
    copy[4] = replaced(copy[4], from, to);
    write_lines(path, copy);
    EXPECT_FAILS_AT(verify(path), 5, 5, "non-canonical formatting");
  }
}

// encode_line leaves "denied" out when it is empty, so "denied":[] is not
// canonical, even in a line whose hash was recomputed to match.
TEST_F(AuditTamper, EmptyDeniedListAddedAndRehashed) {
  std::string line = replaced(lines[9], "\"event\":", "\"denied\":[],\"event\":");
  std::size_t member = line.find(",\"hash\":\"");
  std::size_t value = member + 9;
  line.replace(value, 64,
               line_hash(hash_of(lines[8]), std::string_view(line).substr(0, member),
                         std::string_view(line).substr(value + 65)));
  lines[9] = line;
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 10, 10, "'denied'");
}

TEST_F(AuditTamper, BlankLineInserted) {
  lines.insert(lines.begin() + 4, "");
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path), 5, 5, "empty line");
}

// A line whose only value is not an object (found by fuzz_audit_line: a
// bare string crashed the parser).
TEST(AuditLineParser, RejectsALineThatIsNotAnObject) {
  for (std::string_view line :
       {"\"x\"", "\"{otcar\"", "1", "-1", "1.5", "null", "true", "[]", "{}"}) {
    SCOPED_TRACE(line);
    ParsedLine parsed;
    auto ok = parse_line(line, parsed);
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Code::corrupt);
  }
}

// A chain rotated across several files, and edits at the file boundaries.
class AuditTamperRotated : public ::testing::Test {
 protected:
  void SetUp() override {
    build_chain(path, 30, nullptr, 4096);
    files = chain_files(path);
    ASSERT_GE(files.size(), 3u);
    ASSERT_TRUE(verify(path).intact());
    second = read_lines(files[1]);
    first_seq_of_second = static_cast<std::int64_t>(read_lines(files[0]).size()) + 1;
  }
  testing::TempDir dir;
  std::string path = dir / "audit.jsonl";
  std::vector<std::string> files;
  Lines second;
  std::int64_t first_seq_of_second = 0;
};

TEST_F(AuditTamperRotated, BrokenBoundaryLink) {
  // Self-consistent, but linked to something other than the last hash of the first file.
  second[0] = reencoded(second[0], [](Event& e) { e.prev = std::string(64, 'a'); });
  write_lines(files[1], second);
  VerifyReport r = verify(path);
  EXPECT_FAILS_AT(r, 1, first_seq_of_second, "prev does not match the hash of the line before");
  EXPECT_EQ(r.failure->file, files[1]);
}

TEST_F(AuditTamperRotated, UnreadableFirstLineOfALaterFile) {
  second[0] = replaced(second[0], "\"event\":", "\"extra\":1,\"event\":");
  write_lines(files[1], second);
  VerifyReport r = verify(path);
  EXPECT_FAILS_AT(r, 1, first_seq_of_second, "unknown key");
  EXPECT_EQ(r.failure->file, files[1]);
}

TEST_F(AuditTamperRotated, RemovedRotatedFile) {
  std::int64_t first_seq_of_third = first_seq_of_second + static_cast<std::int64_t>(second.size());
  std::filesystem::remove(files[1]);
  VerifyReport r = verify(path);
  EXPECT_FAILS_AT(r, 1, first_seq_of_third, "skips ahead");
  EXPECT_EQ(r.failure->file, files[2]);
}

TEST_F(AuditTamperRotated, RotatedFileEndingInAPartialLine) {
  second.back().resize(50);
  std::string partial = second.back();
  second.pop_back();
  write_lines(files[1], second, partial);
  VerifyReport r = verify(path);
  ASSERT_FALSE(r.intact());
  EXPECT_EQ(r.failure->file, files[1]);
  EXPECT_NE(r.failure->reason.find("a rotated file ends in a partial line"), std::string::npos);
}

// The parallel verifier splits big files into chunks; a failure on the first
// line of a chunk must be reported as the serial verifier reports it.
TEST(AuditTamperLarge, ParallelAndSerialVerifyAgree) {
  testing::TempDir dir;
  const std::string path = dir / "audit.jsonl";
  {
    auto log = AuditLog::open(path, {.sync = false});
    ASSERT_TRUE(log);
    for (int b = 0; b < 60; ++b) {
      std::vector<Event> batch;
      for (int i = 0; i < 100; ++i) batch.push_back(sample(b * 100 + i));
      ASSERT_TRUE(log->append(batch));
    }
  }
  const Lines lines = read_lines(path);
  std::string text;
  for (const auto& line : lines) text += line + '\n';
  ASSERT_GT(text.size(), 2u << 20);
  // Where the second of two chunks starts: just past the first newline at or
  // after half the file (verify.cpp's split).
  std::size_t cut = text.find('\n', text.size() / 2) + 1;
  std::int64_t chunk_line = std::count(text.begin(), text.begin() + cut, '\n');  // 0-based index
  // Edits that keep every line's length, so the chunks stay where they are.
  for (std::int64_t at : {chunk_line, chunk_line - 1, chunk_line + 1, std::int64_t{0}}) {
    for (int kind = 0; kind < 3; ++kind) {
      SCOPED_TRACE(fmt::format("line {} kind {}", at + 1, kind));
      Lines copy = lines;
      std::int64_t seq = at + 1;
      if (kind == 0) copy[at] = replaced(copy[at], "\"event\":", "\"evenx\":");
      if (kind == 1) copy[at] = std::string(copy[at].size(), 'x');
      if (kind == 2) {
        ASSERT_EQ(copy[at].size(), copy[at + 1].size());
        std::swap(copy[at], copy[at + 1]);
        seq = at + 2;
      }
      write_lines(path, copy);
      VerifyReport serial = verify_chain(chain_files(path), std::nullopt, 1);
      VerifyReport parallel = verify_chain(chain_files(path), std::nullopt, 2);
      ASSERT_FALSE(serial.intact());
      ASSERT_FALSE(parallel.intact());
      EXPECT_EQ(serial.failure->line, at + 1);
      EXPECT_EQ(serial.failure->seq, seq);
      EXPECT_EQ(parallel.failure->line, serial.failure->line);
      EXPECT_EQ(parallel.failure->seq, serial.failure->seq);
      EXPECT_EQ(parallel.failure->reason, serial.failure->reason);
    }
  }
}

// Forgeries: a genuine log with signed checkpoints, then a self-consistent
// chain written over it. Only the anchor from the vault can tell.
class AuditForgery : public ::testing::Test {
 protected:
  void SetUp() override {
    sealed = build_chain(path, 10, &real);
    ASSERT_EQ(sealed.seq, 8);
    anchor = Anchor{real.public_hex(), sealed};
  }
  // A chain of count events built elsewhere (as an attacker would) and
  // copied over the real log.
  void forge(int count, const Signer* signer) {
    testing::TempDir elsewhere;
    build_chain(elsewhere / "audit.jsonl", count, signer);
    std::filesystem::copy_file(elsewhere / "audit.jsonl", path,
                               std::filesystem::copy_options::overwrite_existing);
  }
  testing::TempDir dir;
  std::string path = dir / "audit.jsonl";
  Signer real;
  Head sealed;
  Anchor anchor;
};

TEST_F(AuditForgery, GenuineChainVerifiesWithItsAnchor) {
  VerifyReport r = verify(path, anchor);
  ASSERT_TRUE(r.intact()) << r.failure->reason;
  EXPECT_TRUE(r.anchored);
  EXPECT_EQ(r.checkpoints, 2);
  EXPECT_EQ(r.checkpoints_valid, 2);
  EXPECT_EQ(r.sealed, SealedHead::matches);
}

TEST_F(AuditForgery, ReplacedChainOfTheSameLength) {
  forge(10, nullptr);
  EXPECT_TRUE(verify(path).intact());  // self-consistent: no anchor, no catch
  VerifyReport r = verify(path, anchor);
  EXPECT_FAILS_AT(r, 0, 8, "differs from the head sealed in the vault");
  EXPECT_EQ(r.sealed, SealedHead::mismatch);
}

TEST_F(AuditForgery, ReplacedShorterChain) {
  forge(5, nullptr);
  EXPECT_TRUE(verify(path).intact());
  VerifyReport r = verify(path, anchor);
  EXPECT_FAILS_AT(r, 0, 8, "not in the log, which ends at seq 5");
  EXPECT_EQ(r.sealed, SealedHead::missing);
}

TEST_F(AuditForgery, CheckpointsSignedWithAnotherKey) {
  Signer attacker;
  forge(10, &attacker);
  EXPECT_TRUE(verify(path).intact());
  // Without the sealed head, the key alone catches the first checkpoint.
  VerifyReport r = verify(path, Anchor{real.public_hex(), Head{}});
  EXPECT_FAILS_AT(r, 4, 4, "checkpoint signature is not valid for the vault's key");
}

TEST_F(AuditForgery, CheckpointClaimingTheRealKeyWithAForgedSignature) {
  Lines lines = read_lines(path);
  Signer attacker;
  // Rewrite from line 4 on: the checkpoint names the real key but is signed
  // by another, and every later line is re-linked so the chain holds.
  std::string prev = hash_of(lines[2]);
  for (std::size_t i = 3; i < lines.size(); ++i) {
    lines[i] = reencoded(lines[i], [&](Event& e) {
      e.prev = prev;
      if (e.checkpoint) {
        e.checkpoint->head = prev;
        e.checkpoint = attacker.fn()(e.checkpoint->seq, prev, e.checkpoint->ts);
        e.checkpoint->key = real.public_hex();
      }
    });
    prev = hash_of(lines[i]);
  }
  write_lines(path, lines);
  EXPECT_TRUE(verify(path).intact());
  EXPECT_FAILS_AT(verify(path, Anchor{real.public_hex(), Head{}}), 4, 4,
                  "checkpoint signature is not valid");
}

TEST_F(AuditForgery, CheckpointMovedToCoverAnotherEvent) {
  Lines lines = read_lines(path);
  // The genuine signed checkpoint of seq 4 (covering seq 3) moved to seq 3
  // after seq 3 is deleted: the line is re-hashed and linked, its signature
  // still holds, but it no longer covers the event before it.
  lines[3] = reencoded(lines[3], [&](Event& e) {
    e.seq = 3;
    e.prev = hash_of(lines[1]);
  });
  lines.erase(lines.begin() + 2);
  lines.resize(3);
  write_lines(path, lines);
  EXPECT_FAILS_AT(verify(path, anchor), 3, 3, "checkpoint does not cover the event before it");
}

TEST_F(AuditForgery, AnchorWithoutASealedHead) {
  VerifyReport r = verify(path, Anchor{real.public_hex(), Head{}});
  ASSERT_TRUE(r.intact()) << r.failure->reason;
  EXPECT_EQ(r.sealed, SealedHead::none_sealed);
  EXPECT_EQ(r.checkpoints_valid, 2);
}

}  // namespace
}  // namespace ward::audit
