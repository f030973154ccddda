// The audit log under load and under crashes: many processes appending to
// one file at once, many threads committing through one GroupWriter, and a
// writer killed with SIGKILL at random moments. Each ends in one chain that
// verify_chain calls intact, with every event present exactly once; the
// only damage a crash may leave is a torn last line, which the next append
// sets aside and records as an audit.repair event.
//
// The counts are the (8 processes x 1,000 events, 30 kills); under
// the sanitizers `make test-asan` lowers them through WARD_CONCURRENCY_PER_WRITER
// and WARD_CRASH_KILLS.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "../testing/temp_dir.hpp"
#include "audit/actor.hpp"
#include "audit/event.hpp"
#include "audit/log.hpp"
#include "audit/query.hpp"
#include "audit/verify.hpp"
#include "util/file.hpp"

namespace ward::audit {
namespace {

int count_from_env(const char* name, int fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  int n = std::atoi(value);
  return n > 0 ? n : fallback;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Event tagged(const Actor& actor, std::string reason) {
  Event e;
  e.event = "get";
  e.secrets = {"prod/db/url", "llm/anthropic"};
  e.reason = std::move(reason);
  e.actor = actor;
  return e;
}

// Every event of the chain at path, in order.
std::vector<Event> read_all(const std::string& path) {
  std::vector<Event> events;
  auto ok = for_each_event(chain_files(path), [&](const Event& e, std::string_view) {
    events.push_back(e);
    return true;
  });
  EXPECT_TRUE(ok) << ok.error().message;
  return events;
}

std::string describe(const VerifyReport& r) {
  if (r.intact()) return "intact";
  return fmt::format("{}:{} seq {}: {}", r.failure->file, r.failure->line, r.failure->seq,
                     r.failure->reason);
}

// What a forked writer runs: count appends of one event each, through its
// own AuditLog. The exit status is the test's only channel back.
int append_as_writer(const std::string& path, int writer, int count, const Actor& actor) {
  auto log = AuditLog::open(path, {.sync = true});
  if (!log) return 2;
  for (int i = 0; i < count; ++i) {
    Event e = tagged(actor, fmt::format("writer={} i={}", writer, i));
    if (!log->append(std::span<Event>(&e, 1))) return 3;
  }
  return 0;
}

TEST(AuditDurability, EightProcessesAppendOneChain) {
  testing::TempDir dir;
  const std::string path = dir / "audit.jsonl";
  constexpr int kWriters = 8;
  const int per_writer = count_from_env("WARD_CONCURRENCY_PER_WRITER", 1000);
  const Actor actor = actor_of_self();

  // The children wait on the gate until all of them exist, then start at once.
  int gate[2];
  ASSERT_EQ(::pipe2(gate, O_CLOEXEC), 0);
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      (void)!::read(gate[0], &c, 1);  // 0 once the parent closes its end
      ::_exit(append_as_writer(path, w, per_writer, actor));
    }
    ASSERT_GT(pid, 0);
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer status " << status;
  }

  VerifyReport r = verify_chain(chain_files(path), std::nullopt);
  ASSERT_TRUE(r.intact()) << describe(r);
  EXPECT_EQ(r.events, kWriters * per_writer);
  EXPECT_EQ(r.torn_bytes, 0);

  // Every (writer, i) exactly once, and each writer's events in its own order.
  std::map<std::string, int> seen;
  std::vector<int> next(kWriters, 0);
  for (const Event& e : read_all(path)) {
    ++seen[e.reason];
    int w = -1, i = -1;
    ASSERT_EQ(std::sscanf(e.reason.c_str(), "writer=%d i=%d", &w, &i), 2) << e.reason;
    ASSERT_TRUE(w >= 0 && w < kWriters) << e.reason;
    EXPECT_EQ(i, next[w]) << "writer " << w << " out of order at seq " << e.seq;
    next[w] = i + 1;
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kWriters * per_writer));
  for (const auto& [reason, n] : seen) EXPECT_EQ(n, 1) << reason;
}

TEST(AuditDurability, GroupWriterCommitsManyThreadsAsGroups) {
  testing::TempDir dir;
  const std::string path = dir / "audit.jsonl";
  constexpr int kThreads = 32;
  const int per_thread = std::min(500, count_from_env("WARD_CONCURRENCY_PER_WRITER", 500));
  const Actor actor = actor_of_self();
  auto log = AuditLog::open(path, {.sync = true});
  ASSERT_TRUE(log);
  GroupWriter writer(std::move(*log));

  // returned[t][i]: the head commit returned, i.e. the end of its group.
  std::vector<std::vector<std::int64_t>> returned(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        Event event = tagged(actor, fmt::format("thread={} i={}", t, i));
        auto head = writer.commit(event);
        if (!head) {
          ++failures;
          return;
        }
        returned[t].push_back(head->seq);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);

  const std::int64_t total = kThreads * per_thread;
  VerifyReport r = verify_chain(chain_files(path), std::nullopt);
  ASSERT_TRUE(r.intact()) << describe(r);
  EXPECT_EQ(r.events, total);

  // One write (and one fdatasync) per group; commit returns the group's head.
  std::set<std::int64_t> group_heads;
  for (const auto& heads : returned) group_heads.insert(heads.begin(), heads.end());
  EXPECT_LT(static_cast<std::int64_t>(group_heads.size()), total);
  EXPECT_EQ(*group_heads.rbegin(), total);
  std::cout << "[          ] " << total << " commits in " << group_heads.size()
            << " groups (fdatasyncs), " << static_cast<double>(total) / group_heads.size()
            << " events a group\n";

  // Each commit returned the head of the group holding its own event, so it
  // returned only once that event was written and synced.
  std::set<std::string> seen;
  for (const Event& e : read_all(path)) {
    int t = -1, i = -1;
    ASSERT_EQ(std::sscanf(e.reason.c_str(), "thread=%d i=%d", &t, &i), 2) << e.reason;
    ASSERT_TRUE(t >= 0 && t < kThreads && i >= 0 && i < per_thread) << e.reason;
    EXPECT_TRUE(seen.insert(e.reason).second) << "twice: " << e.reason;
    EXPECT_EQ(returned[t][i], *group_heads.lower_bound(e.seq)) << e.reason << " at " << e.seq;
  }
  EXPECT_EQ(static_cast<std::int64_t>(seen.size()), total);
}

// Writes one byte to ready after its first append, then appends batches of
// 1 to 200 events until killed.
[[noreturn]] void append_until_killed(const std::string& path, bool sync, int ready,
                                      const Actor& actor, unsigned seed) {
  auto log = AuditLog::open(path, {.sync = sync});
  if (!log) ::_exit(2);
  std::mt19937 rng(seed);
  for (std::uint64_t n = 0;; ++n) {
    std::vector<Event> batch;
    std::size_t size = 1 + rng() % 200;
    for (std::size_t k = 0; k < size; ++k) batch.push_back(tagged(actor, "crash"));
    if (!log->append(batch)) ::_exit(3);
    if (n == 0 && ::write(ready, "x", 1) != 1) ::_exit(4);
  }
}

TEST(AuditDurability, KillNineLeavesAtMostARepairableTornTail) {
  testing::TempDir dir;
  const std::string path = dir / "audit.jsonl";
  const int kills = count_from_env("WARD_CRASH_KILLS", 30);
  const Actor actor = actor_of_self();
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  std::mt19937 rng(seed);
  auto log = AuditLog::open(path, {.sync = false});
  ASSERT_TRUE(log);

  int torn = 0;
  for (int round = 0; round < kills; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    // Half the rounds sync: a kill may then land in fdatasync too.
    unsigned child_seed = static_cast<unsigned>(rng());
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      append_until_killed(path, round % 2 == 0, ready[1], actor, child_seed);
    }
    ASSERT_GT(pid, 0);
    ::close(ready[1]);
    char c = 0;
    bool started = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(started && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer stopped by itself, status " << status;

    VerifyReport r = verify_chain(chain_files(path), std::nullopt);
    ASSERT_TRUE(r.intact()) << describe(r);
    if (r.torn_bytes > 0) ++torn;

    // Every other round the next writer is the child of the next round (so a
    // kill can land in its repair); otherwise this process appends and the
    // repair, if any, must come just before its event.
    if (round % 2 == 1 || round + 1 == kills) {
      Event mine = tagged(actor, fmt::format("after round {}", round));
      auto head = log->append(std::span<Event>(&mine, 1));
      ASSERT_TRUE(head) << head.error().message;
      std::vector<Event> events = read_all(path);
      ASSERT_EQ(static_cast<std::int64_t>(events.size()), head->seq);
      EXPECT_EQ(events.back().reason, mine.reason);
      if (r.torn_bytes > 0) {
        ASSERT_GE(events.size(), 2u);
        const Event& repair = events[events.size() - 2];
        EXPECT_EQ(repair.event, "audit.repair");
        EXPECT_NE(repair.reason.find(fmt::format("{} bytes", r.torn_bytes)), std::string::npos)
            << repair.reason;
      } else {
        EXPECT_EQ(r.head.seq + 1, head->seq);
      }
      VerifyReport after = verify_chain(chain_files(path), std::nullopt);
      ASSERT_TRUE(after.intact()) << describe(after);
      EXPECT_EQ(after.torn_bytes, 0);
      EXPECT_EQ(after.events, head->seq);
    }
  }
  std::cout << "[          ] " << kills << " kills, " << torn << " left a torn tail\n";
}

std::vector<std::string> torn_files(const testing::TempDir& dir) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    std::string name = entry.path().filename();
    if (name.starts_with("audit-torn-")) found.push_back(entry.path());
  }
  return found;
}

TEST(AuditDurability, RepairsALastLineCutInTheMiddle) {
  testing::TempDir dir;
  const std::string path = dir / "audit.jsonl";
  const Actor actor = actor_of_self();
  auto log = AuditLog::open(path, {.sync = false});
  ASSERT_TRUE(log);
  std::vector<Event> batch{tagged(actor, "one"), tagged(actor, "two"), tagged(actor, "three")};
  ASSERT_TRUE(log->append(batch));

  std::string text = slurp(path);
  std::size_t last = text.rfind('\n', text.size() - 2) + 1;
  std::size_t cut = last + (text.size() - last) / 2;
  std::filesystem::resize_file(path, cut);
  const std::string torn = text.substr(last, cut - last);

  VerifyReport r = verify_chain(chain_files(path), std::nullopt);
  ASSERT_TRUE(r.intact()) << describe(r);
  EXPECT_EQ(r.events, 2);
  EXPECT_EQ(r.head.seq, 2);
  EXPECT_EQ(r.torn_bytes, static_cast<std::int64_t>(torn.size()));

  Event next = tagged(actor, "four");
  auto head = log->append(std::span<Event>(&next, 1));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 4);
  std::vector<Event> events = read_all(path);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].event, "audit.repair");
  EXPECT_NE(events[2].reason.find(fmt::format("{} bytes", torn.size())), std::string::npos);
  EXPECT_EQ(events[3].reason, "four");
  std::vector<std::string> aside = torn_files(dir);
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(slurp(aside[0]), torn);
  EXPECT_NE(events[2].reason.find(basename_of(aside[0])), std::string::npos);

  VerifyReport after = verify_chain(chain_files(path), std::nullopt);
  ASSERT_TRUE(after.intact()) << describe(after);
  EXPECT_EQ(after.events, 4);
  EXPECT_EQ(after.torn_bytes, 0);
}

TEST(AuditDurability, RepairsAFileThatIsOnlyATornLine) {
  testing::TempDir dir;
  const std::string path = dir / "audit.jsonl";
  const Actor actor = actor_of_self();
  {
    std::ofstream out(path, std::ios::binary);
    out << "{\"actor\":{\"agent\":{\"na";
  }
  VerifyReport r = verify_chain(chain_files(path), std::nullopt);
  ASSERT_TRUE(r.intact()) << describe(r);
  EXPECT_EQ(r.events, 0);
  EXPECT_GT(r.torn_bytes, 0);

  auto log = AuditLog::open(path, {.sync = false});
  ASSERT_TRUE(log);
  Event first = tagged(actor, "first");
  auto head = log->append(std::span<Event>(&first, 1));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 2);
  std::vector<Event> events = read_all(path);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "audit.repair");
  EXPECT_EQ(events[0].prev, kZeroHash);
  VerifyReport after = verify_chain(chain_files(path), std::nullopt);
  EXPECT_TRUE(after.intact()) << describe(after);
  EXPECT_EQ(after.events, 2);
}

}  // namespace
}  // namespace ward::audit
