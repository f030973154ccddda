// Fuzzes the agent's frame decoder: arbitrary bytes arriving on the socket
// must produce a message or an error, never a crash, and an accepted message
// must respect the size limits.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "agent/protocol.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size >= 4) {
    auto n = ward::decode_frame_length({data, 4});
    if (n && *n > ward::kMaxFrame) __builtin_trap();
  }
  (void)ward::decode_message_body({data, size});
  // The stream reader, over a socketpair holding exactly these bytes.
  if (size > 64 * 1024) return 0;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
  ward::Fd writer(sv[0]), reader(sv[1]);
  (void)ward::write_all(writer.get(), data, size);
  writer.reset();
  auto message = ward::read_message(reader.get());
  if (message) {
    if (!message->body.is_object()) __builtin_trap();
    if (message->payload && message->payload->size() > ward::kMaxFrame) __builtin_trap();
  }
  return 0;
}
