// Process hardening, as ssh-agent does it. Every ward process disables core
// dumps (RLIMIT_CORE 0). The agent, which holds the key for hours, is also
// made undumpable (PR_SET_DUMPABLE 0), which closes /proc/PID/mem, environ
// and ptrace attach to other processes of the same user. Short-lived CLI
// processes stay dumpable on purpose: the agent attributes each request by
// reading its peer's /proc entries (exe, cwd, environment names), which an
// undumpable peer would hide.
#pragma once

#include "util/result.hpp"

namespace ward {

enum class Hardening {
  no_core_dumps,  // every ward process
  undumpable,     // the agent: no core dumps and not dumpable
};

// io error when the kernel refuses a setting.
Status harden_process(Hardening level);

}  // namespace ward
