#include "agent/client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/paths.hpp"
#include "util/file.hpp"

namespace ward {

Result<AgentClient> AgentClient::connect(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return fail(Code::invalid_input, fmt::format("socket path too long: {}", socket_path));
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return errno_error(Code::io, "cannot create socket");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) {
      return fail(Code::unavailable, "the agent is not running", "run 'ward unlock'");
    }
    return errno_error(Code::unavailable, fmt::format("cannot connect to {}", socket_path));
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      cred.uid != ::geteuid()) {
    return fail(Code::denied,
                fmt::format("the agent socket {} belongs to another user", socket_path));
  }
  return AgentClient(std::move(fd));
}

Result<Message> AgentClient::call(const Message& request) {
  TRY(write_message(fd_.get(), request));
  auto response = read_message(fd_.get());
  if (!response) {
    if (response.error().code == Code::unavailable) {
      return fail(Code::unavailable, "the agent closed the connection");
    }
    return tl::unexpected(response.error());
  }
  if (auto error = response_error(response->body)) return tl::unexpected(*error);
  return response;
}

Result<Message> AgentClient::call(const std::string& op, nlohmann::json fields) {
  Message request;
  request.body = std::move(fields);
  request.body["op"] = op;
  return call(request);
}

Result<std::optional<AgentClient>> connect_running_agent() {
  auto client = AgentClient::connect(agent_socket_path());
  if (!client) {
    if (client.error().code == Code::unavailable) return std::optional<AgentClient>();
    return tl::unexpected(client.error());
  }
  return std::optional<AgentClient>(std::move(*client));
}

}  // namespace ward
