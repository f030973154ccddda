// Process information from /proc: who a process is (pid, parent, uid, exe,
// comm, cwd, controlling terminal, session, argv[0]) and who its ancestors are.
// The audit log records this for every access and agent detection walks it.
//
// Two rules hold throughout. Only argv[0] is ever taken from
// /proc/PID/cmdline: later arguments may hold secrets, so the bytes that
// follow the first element are wiped as soon as they are read. And the
// environment of a process is read into SecretBytes and reduced to variable
// names; no value is kept.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ward {

// What ward knows about one process. Fields that could not be read are empty.
struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  uid_t uid = 0;      // real uid from /proc/PID/status
  std::string exe;    // readlink /proc/PID/exe ("" if unreadable)
  std::string comm;   // /proc/PID/comm without newline
  std::string cwd;    // readlink /proc/PID/cwd ("" if unreadable)
  std::string tty;    // controlling terminal, e.g. "/dev/pts/3"; "" when none
  pid_t sid = 0;      // session id
  std::string argv0;  // basename of argv[0] ("" if unreadable); never later arguments
};

// The fields of one /proc/PID/stat line that ward uses.
struct ProcStat {
  pid_t pid = 0;
  std::string comm;  // between the first '(' and the last ')'
  char state = '?';
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t sid = 0;
  int tty_nr = 0;  // encoded device number of the controlling terminal, 0 for none
};

// This machine's host name ("" when it cannot be read).
std::string host_name();

// Parses a /proc/PID/stat line. comm may contain spaces and ')', so it ends at
// the LAST ')'. corrupt when the line is malformed.
Result<ProcStat> parse_proc_stat(std::string_view line);

// The device name of an encoded tty_nr: "/dev/pts/N", "/dev/ttyN", "/dev/ttySN",
// else "/dev/char/MAJOR:MINOR"; "" for 0. Does not touch the filesystem.
std::string tty_name_for_device(int tty_nr);

// Reads /proc/PID. not_found when the process is gone, denied when /proc hides
// it; fields that are unreadable (another user's exe, cwd) are left empty.
Result<ProcessInfo> read_process(pid_t pid);

// The parents of pid, nearest first, at most max_depth of them. Stops after
// pid 1, at a parent pid of 0, or at a process that cannot be read. pid itself
// is not included; empty when pid cannot be read.
std::vector<ProcessInfo> process_ancestry(pid_t pid, std::size_t max_depth = 16);

// The names of the environment variables of process pid, in order; values are
// read into SecretBytes and never kept. not_found when the process is gone,
// denied when it belongs to someone else or is not dumpable.
Result<std::vector<std::string>> read_process_env_names(pid_t pid);

// Cheap reads for hot paths (agent detection): fixed buffers, no allocation
// beyond the returned strings.
namespace proc {

// Reads /proc/PID/stat into out. false when the process cannot be read.
bool read_stat(pid_t pid, ProcStat& out);
// The basename of argv[0] of pid, "" when unreadable. Bytes after the first
// element are wiped; a lone element containing a space (a title rewritten by
// setproctitle) is cut at the space.
std::string read_argv0(pid_t pid);
// readlink /proc/PID/exe, "" when unreadable.
std::string read_exe(pid_t pid);

}  // namespace proc

}  // namespace ward
