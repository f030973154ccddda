// The actor of an audit event, read from what the kernel says about a
// process (/proc), never from what the process claims.
#pragma once

#include <sys/types.h>

#include "audit/event.hpp"

namespace ward::audit {

// pid's details, ancestry (comm of up to 8 ancestors) and the AI agent it
// runs under, if any. Fields that cannot be read stay empty; never fails.
Actor actor_of(pid_t pid);
// The calling process.
Actor actor_of_self();

}  // namespace ward::audit
