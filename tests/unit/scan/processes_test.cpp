#include "scan/processes.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ward::scan {
namespace {

constexpr uid_t kNobody = 65534;
constexpr const char* kToken = "WARD_TEST_TOKEN=ghp_R2d2C3poX9w8v7u6t5s4r3q2p1o0nMlKjIhG";

// `sh -c 'sleep 30; exit 0' ward-test --password=hunter2-ward` in its own
// process group with a planted environment; the group is killed and the
// shell reaped on destruction. (sleep itself would refuse --password.)
class SleepingChild {
 public:
  SleepingChild() {
    std::vector<const char*> argv = {
        "sh", "-c", "sleep 30; exit 0", "ward-test", "--password=hunter2-ward", nullptr};
    std::vector<const char*> env = {kToken, "PATH=/usr/bin:/bin", nullptr};
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    int rc = posix_spawn(&pid_, "/bin/sh", nullptr, &attr, const_cast<char**>(argv.data()),
                         const_cast<char**>(env.data()));
    posix_spawnattr_destroy(&attr);
    if (rc != 0) pid_ = -1;
    // Wait until the shell has exec'd (its comm is no longer ours).
    for (int i = 0; i < 200 && pid_ > 0; ++i) {
      std::ifstream comm("/proc/" + std::to_string(pid_) + "/comm");
      std::string name;
      std::getline(comm, name);
      if (name == "sh" || name == "dash" || name == "bash") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~SleepingChild() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

const ProcessEnv* find_pid(const std::vector<ProcessEnv>& all, int pid) {
  for (const auto& p : all) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

TEST(Processes, FindsChildWithEnvironmentAndArguments) {
  SleepingChild child;
  ASSERT_GT(child.pid(), 0);
  ProcessStats stats;
  auto all = read_processes(false, stats);
  ASSERT_TRUE(all) << all.error().message;
  const ProcessEnv* found = find_pid(*all, child.pid());
  // exec sets the new comm before it publishes the arguments and then the
  // environment: a shell caught in between shows them empty. Ask again.
  for (int i = 0; i < 100 && found && (found->argv.empty() || found->environ.empty()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stats = {};
    all = read_processes(false, stats);
    ASSERT_TRUE(all) << all.error().message;
    found = find_pid(*all, child.pid());
  }
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->uid, ::getuid());
  EXPECT_NE(found->environ.find(kToken), std::string::npos);
  EXPECT_NE(found->environ.find(std::string("PATH=/usr/bin:/bin") + '\0'), std::string::npos);
  std::vector<std::string> argv = {"sh", "-c", "sleep 30; exit 0", "ward-test",
                                   "--password=hunter2-ward"};
  EXPECT_EQ(found->argv, argv);
  EXPECT_FALSE(found->comm.empty());
  EXPECT_EQ(stats.processes, all->size());

  auto secrets = secret_arguments(found->argv);
  ASSERT_EQ(secrets.size(), 1u);
  EXPECT_EQ(secrets[0].kind, "password-flag");
  EXPECT_EQ(found->argv[secrets[0].arg].substr(secrets[0].offset, secrets[0].length),
            "hunter2-ward");
}

TEST(Processes, SkipsSelfAndIsSortedByPid) {
  ProcessStats stats;
  auto all = read_processes(false, stats);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(find_pid(*all, ::getpid()), nullptr);
  for (std::size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].pid, (*all)[i].pid);
  for (const auto& p : *all) EXPECT_EQ(p.uid, ::getuid()) << p.pid;
}

TEST(Processes, SkipsZombies) {
  pid_t zombie = ::fork();
  if (zombie == 0) ::_exit(0);
  ASSERT_GT(zombie, 0);
  // Not reaped yet: wait until the kernel shows it as a zombie.
  bool is_zombie = false;
  for (int i = 0; i < 400 && !is_zombie; ++i) {
    std::ifstream stat("/proc/" + std::to_string(zombie) + "/stat");
    std::string line;
    std::getline(stat, line);
    is_zombie = line.find(") Z ") != std::string::npos;
    if (!is_zombie) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ProcessStats stats;
  auto all = read_processes(false, stats);
  ::waitpid(zombie, nullptr, 0);
  ASSERT_TRUE(is_zombie);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(find_pid(*all, zombie), nullptr);
}

TEST(Processes, SkipsKernelThreads) {
  if (::geteuid() != 0) GTEST_SKIP() << "kernel threads belong to root";
  std::ifstream comm("/proc/2/comm");
  std::string name;
  std::getline(comm, name);
  if (name != "kthreadd") GTEST_SKIP() << "no kernel threads in this pid namespace";
  ProcessStats stats;
  auto all = read_processes(true, stats);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(find_pid(*all, 2), nullptr);
}

// Runs body in a child that has become uid nobody; the child's exit status
// is body's result (0: passed). Skips when this process cannot switch.
int as_nobody(int (*body)()) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(77);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(Processes, AllUsersNeedsRoot) {
  int rc = 0;
  if (::geteuid() != 0) {
    ProcessStats stats;
    auto all = read_processes(true, stats);
    ASSERT_FALSE(all);
    EXPECT_EQ(all.error().code, Code::denied);
    return;
  }
  rc = as_nobody([] {
    ProcessStats stats;
    auto all = read_processes(true, stats);
    if (all) return 1;
    return all.error().code == Code::denied ? 0 : 2;
  });
  if (rc == 77) GTEST_SKIP() << "cannot switch to uid nobody";
  EXPECT_EQ(rc, 0);
}

TEST(Processes, WithoutAllUsersOnlyOwnProcessesAreRead) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
  int rc = as_nobody([] {
    SleepingChild child;  // runs as nobody too
    if (child.pid() <= 0) return 1;
    ProcessStats stats;
    auto all = read_processes(false, stats);
    if (!all) return 2;
    if (find_pid(*all, child.pid()) == nullptr) return 3;
    for (const auto& p : *all) {
      if (p.uid != kNobody) return 4;
    }
    return find_pid(*all, 1) == nullptr ? 0 : 5;
  });
  if (rc == 77) GTEST_SKIP() << "cannot switch to uid nobody";
  EXPECT_EQ(rc, 0);
}

TEST(Processes, AllUsersReadsOtherUsersAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  pid_t other = ::fork();
  if (other == 0) {
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(77);
    const char* argv[] = {"sleep", "30", nullptr};
    const char* env[] = {kToken, nullptr};
    ::execve("/bin/sleep", const_cast<char**>(argv), const_cast<char**>(env));
    ::_exit(78);
  }
  ASSERT_GT(other, 0);
  // Wait for the exec (the environ is then the planted one).
  ProcessStats stats;
  const ProcessEnv* found = nullptr;
  Result<std::vector<ProcessEnv>> all;
  for (int i = 0; i < 400; ++i) {
    all = read_processes(true, stats);
    ASSERT_TRUE(all) << all.error().message;
    found = find_pid(*all, other);
    // (The kernel publishes the arguments, then the environment, some time
    // after the new comm: wait for both.)
    if (found != nullptr && found->argv.size() == 2 && found->argv[0] == "sleep" &&
        !found->environ.empty()) {
      break;
    }
    found = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto mine = read_processes(false, stats);
  ::kill(other, SIGKILL);
  int status = 0;
  ::waitpid(other, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot become nobody";
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->uid, kNobody);
  EXPECT_EQ(found->environ, std::string(kToken) + '\0');
  ASSERT_TRUE(mine);
  EXPECT_EQ(find_pid(*mine, other), nullptr);
}

// ---------------------------------------------------------------------------

struct Expected {
  std::size_t arg;
  std::string secret;
  std::string kind;
};

struct Case {
  std::vector<std::string> argv;
  std::vector<Expected> found;
};

TEST(SecretArguments, FindsSecretsByShape) {
  const std::vector<Case> cases = {
      {{"app", "--password=hunter2"}, {{1, "hunter2", "password-flag"}}},
      {{"app", "--password", "hunter2"}, {{2, "hunter2", "password-flag"}}},
      {{"app", "--db-password=s3cr3t"}, {{1, "s3cr3t", "password-flag"}}},
      {{"app", "--DB_PASSWORD", "s3cr3t"}, {{2, "s3cr3t", "password-flag"}}},
      {{"app", "--token", "abc123def"}, {{2, "abc123def", "token-flag"}}},
      {{"vault", "-token=hvs.abcdef"}, {{1, "hvs.abcdef", "token-flag"}}},
      {{"tool", "-token", "hvs.abcdef"}, {{2, "hvs.abcdef", "token-flag"}}},
      {{"app", "--api-key=k-123"}, {{1, "k-123", "api-key-flag"}}},
      {{"app", "--apikey", "k-123"}, {{2, "k-123", "api-key-flag"}}},
      {{"app", "--client-secret", "cs-123"}, {{2, "cs-123", "secret-flag"}}},
      {{"app", "--secret=xyz9"}, {{1, "xyz9", "secret-flag"}}},
      {{"aws", "--aws-secret-access-key", "wJalr"}, {{2, "wJalr", "secret-flag"}}},
      {{"java", "-Dspring.datasource.password=pw123", "-jar", "app.jar"},
       {{1, "pw123", "password-flag"}}},
      {{"keytool", "-list", "-storepass", "changeit2"}, {{3, "changeit2", "password-flag"}}},
      {{"openssl", "rsa", "-passin", "pass:opensesame"}, {{3, "opensesame", "password-flag"}}},
      {{"env", "GITHUB_TOKEN=ghp_abc", "make"}, {{1, "ghp_abc", "secret-assignment"}}},
      {{"make", "DB_PASSWORD=pw"}, {{1, "pw", "secret-assignment"}}},
      {{"mysql", "-u", "root", "-pS3cret", "db"}, {{3, "S3cret", "tool-password"}}},
      {{"/usr/bin/mysqldump", "-pS3cret"}, {{1, "S3cret", "tool-password"}}},
      {{"sudo", "-u", "db", "mariadb", "-pS3cret"}, {{4, "S3cret", "tool-password"}}},
      {{"sshpass", "-p", "sshpw", "ssh", "-p", "22", "host"}, {{2, "sshpw", "tool-password"}}},
      {{"sshpass", "-psshpw", "ssh", "host"}, {{1, "sshpw", "tool-password"}}},
      {{"redis-cli", "-a", "redispw", "ping"}, {{2, "redispw", "tool-password"}}},
      {{"ldapsearch", "-x", "-w", "ldappw"}, {{3, "ldappw", "tool-password"}}},
      {{"curl", "-u", "alice:curlpw", "https://x"}, {{2, "curlpw", "user-password"}}},
      {{"curl", "--user=alice:curlpw"}, {{1, "curlpw", "user-password"}}},
      {{"curl", "-ualice:curlpw"}, {{1, "curlpw", "user-password"}}},
      {{"curl", "-H", "Authorization: Bearer tok123", "https://api"},
       {{2, "tok123", "bearer-header"}}},
      {{"curl", "-HAuthorization: Bearer tok123"}, {{1, "tok123", "bearer-header"}}},
      {{"wget", "--header=Authorization: token tok123"}, {{1, "tok123", "bearer-header"}}},
      {{"http", "POST", "api", "Authorization:Bearer tok123"}, {{3, "tok123", "bearer-header"}}},
      {{"curl", "-H", "authorization: basic dXNlcjpwYXNz"}, {{2, "dXNlcjpwYXNz", "basic-header"}}},
      {{"curl", "-H", "X-Api-Key: key123"}, {{2, "key123", "api-key-header"}}},
      {{"curl", "--header", "PRIVATE-TOKEN: glpat-x"}, {{2, "glpat-x", "api-key-header"}}},
      {{"git", "clone", "https://user:gitpw@github.com/x/y.git"},
       {{2, "gitpw", "url-credentials"}}},
      {{"psql", "postgres://app:dbpw@db:5432/app"}, {{1, "dbpw", "url-credentials"}}},
      {{"app", "--url=redis://:redispw@host:6379"}, {{1, "redispw", "url-credentials"}}},
      {{"app", "DATABASE_URL=postgres://u:p4ss@h/db"}, {{1, "p4ss", "url-credentials"}}},
      {{"app", "https://u:p@ss@host/x"}, {{1, "p@ss", "url-credentials"}}},
      {{"node", "server.js", "--token=t1", "--password", "p2"},
       {{2, "t1", "token-flag"}, {4, "p2", "password-flag"}}},
      {{"app", "--password=postgres://u:pw@h/db"}, {{1, "postgres://u:pw@h/db", "password-flag"}}},
  };
  for (const Case& c : cases) {
    auto found = secret_arguments(c.argv);
    std::string shown;
    for (const auto& a : c.argv) shown += a + " ";
    ASSERT_EQ(found.size(), c.found.size()) << shown;
    for (std::size_t i = 0; i < found.size(); ++i) {
      const ArgSecret& f = found[i];
      ASSERT_LT(f.arg, c.argv.size()) << shown;
      ASSERT_LE(f.offset + f.length, c.argv[f.arg].size()) << shown;
      EXPECT_EQ(f.arg, c.found[i].arg) << shown;
      EXPECT_EQ(c.argv[f.arg].substr(f.offset, f.length), c.found[i].secret) << shown;
      EXPECT_EQ(f.kind, c.found[i].kind) << shown;
    }
  }
}

TEST(SecretArguments, IgnoresStandInsAndLookalikes) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"--password=argv0-is-the-program"},
      {"app", "--password"},
      {"app", "--password", "--verbose"},
      {"app", "--password=${DB_PASSWORD}"},
      {"app", "--password", "$PW"},
      {"app", "--password=*****"},
      {"app", "--token", "xx"},
      {"app", "--password=<password>"},
      {"app", "--secret={{ secret }}"},
      {"app", "--token=true"},
      {"app", "--api-key=YOUR_API_KEY"},
      {"app", "--no-password", "db"},
      {"app", "--ask-pass", "x"},
      {"app", "--show-token", "x"},
      {"app", "--password-file", "/run/secrets/pw"},
      {"app", "--token-file=/x"},
      {"app", "--max-tokens", "100"},
      {"app", "--bypass", "x"},
      {"make", "TOKENS=5"},
      {"ssh", "-p", "22", "host"},
      {"psql", "-p", "5432"},
      {"app", "-psecret", "value"},
      {"mysql", "-p", "dbname"},
      {"mysql", "--password", "dbname"},
      {"git", "clone", "https://github.com/x/y.git"},
      {"git", "clone", "git@github.com:x/y.git"},
      {"git", "clone", "https://token@github.com/x/y.git"},
      {"app", "https://user:${PASS}@host"},
      {"app", "://user:pw@host"},
      {"curl", "-u", "alice", "https://x"},
      {"curl", "-H", "Content-Type: application/json"},
      {"curl", "-H", "Authorization: Bearer $TOKEN"},
      {"curl", "-H", "Authorization: AWS4-HMAC-SHA256 Credential=x"},
      {"openssl", "rsa", "-passin", "env:PW"},
      {"openssl", "rsa", "-passin", "file:/x"},
      {"openssl", "rsa", "-passout", "stdin"},
      {"sort", "-k", "2"},
      {"ps", "-u", "root:x"},
  };
  for (const auto& argv : cases) {
    auto found = secret_arguments(argv);
    std::string shown;
    for (const auto& a : argv) shown += a + " ";
    EXPECT_TRUE(found.empty()) << shown << "-> " << (found.empty() ? "" : found[0].kind);
  }
}

}  // namespace
}  // namespace ward::scan
