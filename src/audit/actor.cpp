#include "audit/actor.hpp"

#include <unistd.h>

#include "core/agent_detect.hpp"
#include "core/process_info.hpp"

namespace ward::audit {

namespace {

Actor from_process(pid_t pid, const AgentDetection& d) {
  Actor a;
  a.pid = pid;
  if (auto info = read_process(pid)) {
    a.ppid = info->ppid;
    a.uid = info->uid;
    a.sid = info->sid;
    a.exe = info->exe;
    a.comm = info->comm;
    a.cwd = info->cwd;
    a.tty = info->tty;
  }
  std::size_t n = std::min(d.chain.size(), kMaxAncestry);
  a.ancestry.assign(d.chain.begin(), d.chain.begin() + static_cast<std::ptrdiff_t>(n));
  if (d.detected) {
    a.agent_name = d.name;
    a.agent_via = d.via;
  }
  return a;
}

}  // namespace

Actor actor_of(pid_t pid) {
  auto names = read_process_env_names(pid);
  return from_process(pid, detect_ai_agent(names ? *names : std::vector<std::string>{}, pid));
}

Actor actor_of_self() {
  return from_process(::getpid(), detect_ai_agent_here());
}

}  // namespace ward::audit
