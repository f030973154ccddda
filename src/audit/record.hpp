// Recording one event from a process that does the work itself (the CLI
// with a vault unlocked by passphrase, init, passwd, 2fa, trust): the actor
// is the calling process, and the event is durable before record_here
// returns, so a value-releasing caller can fail closed.
#pragma once

#include <string>
#include <vector>

#include "audit/event.hpp"
#include "util/result.hpp"

namespace ward::audit {

// An event named name about secrets, its outcome taken from failure
// (nullptr: ok).
Event make_event(std::string name, std::vector<std::string> secrets,
                 const Error* failure = nullptr);

// Appends e (actor filled in for this process) to the default log.
// io error "cannot write the audit log: ..." when it cannot.
Status record_here(Event e);

}  // namespace ward::audit
