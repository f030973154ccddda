// Live processes as a source for `ward scan shell`: the environment and the
// command line of every process of the user (of every user with
// --all-users), read from /proc, and the command-line arguments that carry
// a secret by their shape (--password=X, curl -H "Authorization: Bearer X",
// scheme://user:PASS@host, mysql -pX, ...).
//
// Unlike core/process_info, which never keeps more than argv[0] and the
// names of variables, this module returns the values: finding the secrets a
// running shell or agent exposes is its purpose. What it returns is only
// ever scanned and reported masked by the caller; the read buffer is wiped.
//
// Speed: 500 processes must be read in well under 100 ms, so /proc is listed
// once, a process's owner is taken from its /proc/PID directory before
// anything is opened, each file is read with one open and a pread loop into
// one reused buffer, and the comm comes from the stat line read anyway.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace ward::scan {

// One process as scan sources see it.
struct ProcessEnv {
  int pid = 0;
  uid_t uid = 0;                  // owner of /proc/PID (the effective uid)
  std::string comm;               // task name (the comm of /proc/PID/stat)
  std::string environ;            // raw /proc/PID/environ: NAME=value entries separated by '\0'
  std::vector<std::string> argv;  // /proc/PID/cmdline split at '\0'
};

// What read_processes saw besides the processes it returned.
struct ProcessStats {
  std::size_t processes = 0;   // processes returned
  std::size_t unreadable = 0;  // of the wanted uid(s), but their environ could not be read
  std::size_t vanished = 0;    // exited while being read
};

// The processes of the real uid, or of every uid with all_users (needs root:
// denied otherwise), in pid order. Skips the calling process (and with it
// its threads), kernel threads and zombies. A process that exits while being
// read counts as vanished, one whose environ may not be read as unreadable;
// neither is an error. io when /proc cannot be listed.
Result<std::vector<ProcessEnv>> read_processes(bool all_users, ProcessStats& stats);

// A secret inside one command-line argument: argv[arg].substr(offset, length).
struct ArgSecret {
  std::size_t arg = 0, offset = 0, length = 0;
  std::string kind;
};

// The secret-looking arguments of a command line, in argument order:
//   password-flag, token-flag, api-key-flag, secret-flag
//       --password=X, --password X, -Dx.password=X, -storepass X, --db-token X,
//       --api-key X, --client-secret X, openssl -passin pass:X
//   secret-assignment  NAME=VALUE where NAME ends like a secret (env GH_TOKEN=X cmd)
//   tool-password      mysql/mariadb -pX, sshpass -p X, redis-cli -a X, ldapsearch -w X
//   user-password      curl -u user:X
//   bearer-header, basic-header, api-key-header
//       "Authorization: Bearer X" (also as -H..., --header=...), "X-Api-Key: X"
//   url-credentials    scheme://user:X@host anywhere in an argument
// Stand-ins for a value ("${VAR}", "$VAR", "*****", "xx", "<password>", "true") are
// not reported. Never fails; every result lies inside its argument.
std::vector<ArgSecret> secret_arguments(const std::vector<std::string>& argv);

}  // namespace ward::scan
