// Talking to the agent: connect to its socket (checking that the agent runs
// as our own user) and exchange one message at a time.
#pragma once

#include <optional>
#include <string>

#include "agent/protocol.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

namespace ward {

class AgentClient {
 public:
  // unavailable when no agent listens at path; denied when the process
  // behind the socket is another user's.
  static Result<AgentClient> connect(const std::string& socket_path);

  // Sends a request ({"op": ...}) and returns the ok response; an error
  // response comes back as its Error.
  Result<Message> call(const Message& request);
  Result<Message> call(const std::string& op, nlohmann::json fields = nlohmann::json::object());

 private:
  explicit AgentClient(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

// The running agent for this vault, or nullopt when none is running.
Result<std::optional<AgentClient>> connect_running_agent();

}  // namespace ward
