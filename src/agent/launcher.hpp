// Starting the agent in the background: `ward unlock` has unwrapped the key;
// it spawns `ward agent --key-fd 3` in a new session, hands it the key over
// a socketpair (never argv, environment or a file) and waits until the agent
// says it is listening.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward {

// The agent's pid once it listens; the agent's own error when it fails.
Result<pid_t> launch_agent(const SecretBytes& vault_key, std::int64_t ttl_s, std::int64_t idle_s);

// The agent side: reads the key the launcher sends on fd.
Result<SecretBytes> receive_agent_key(int fd);

}  // namespace ward
