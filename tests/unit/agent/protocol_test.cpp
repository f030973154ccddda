#include "agent/protocol.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/fd.hpp"
#include "util/file.hpp"

namespace ward {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Protocol, RoundTripWithPayload) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  Message m;
  m.body["op"] = "set";
  m.body["path"] = "a/b";
  m.payload = SecretBytes::from_view("the-secret-bytes");
  ASSERT_TRUE(write_message(a.get(), m));
  auto got = read_message(b.get());
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->body["op"], "set");
  EXPECT_EQ(got->body["v"], kProtocolVersion);
  ASSERT_TRUE(got->payload);
  EXPECT_EQ(got->payload->view(), "the-secret-bytes");
}

TEST(Protocol, PayloadNeverInJsonText) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  Message m;
  m.body["op"] = "x";
  m.payload = SecretBytes::from_view("CANARY");
  ASSERT_TRUE(write_message(a.get(), m));
  char buf[4096];
  ssize_t n = ::read(b.get(), buf, sizeof buf);
  ASSERT_GT(n, 4);
  std::uint32_t json_len = (std::uint8_t(buf[0]) << 24) | (std::uint8_t(buf[1]) << 16) |
                           (std::uint8_t(buf[2]) << 8) | std::uint8_t(buf[3]);
  EXPECT_EQ(std::string_view(buf + 4, json_len).find("CANARY"), std::string_view::npos);
}

TEST(Protocol, RejectsOversizedFrame) {
  std::uint8_t header[4] = {0x00, 0x20, 0x00, 0x00};  // 2 MiB
  auto n = decode_frame_length(header);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Code::protocol);
  std::uint8_t ok[4] = {0x00, 0x10, 0x00, 0x00};  // exactly 1 MiB
  EXPECT_TRUE(decode_frame_length(ok));
}

TEST(Protocol, RejectsNonObjectsAndBadVersions) {
  EXPECT_FALSE(decode_message_body(bytes_of("not json")));
  EXPECT_FALSE(decode_message_body(bytes_of("[1,2]")));
  EXPECT_FALSE(decode_message_body(bytes_of("{\"op\":\"x\"}")));
  EXPECT_FALSE(decode_message_body(bytes_of("{\"v\":2}")));
  EXPECT_FALSE(decode_message_body(bytes_of("{\"v\":\"1\"}")));
  EXPECT_FALSE(decode_message_body(bytes_of("{\"v\":1,\"payload\":-1}")));
  EXPECT_FALSE(decode_message_body(bytes_of("{\"v\":1,\"payload\":99999999}")));
  EXPECT_TRUE(decode_message_body(bytes_of("{\"v\":1,\"op\":\"status\"}")));
}

TEST(Protocol, PayloadSizeMismatchIsError) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  std::string body = R"({"v":1,"payload":5})";
  std::string frame =
      std::string("\0\0\0", 3) + char(body.size()) + body + std::string("\0\0\0\x03", 4) + "abc";
  ASSERT_TRUE(write_all(a.get(), frame.data(), frame.size()));
  auto got = read_message(b.get());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::protocol);
}

TEST(Protocol, CleanEofIsUnavailable) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  a.reset();
  auto got = read_message(b.get());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Code::unavailable);
}

TEST(Protocol, ErrorMessagesRoundTrip) {
  Message m = error_message(Error{Code::locked, "vault is locked", "run 'ward unlock'"});
  auto e = response_error(m.body);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, Code::locked);
  EXPECT_EQ(e->hint, "run 'ward unlock'");
  nlohmann::json weird = {{"ok", false}, {"error", {{"code", 5}}}};
  auto e2 = response_error(weird);  // wrong types never throw
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2->code, Code::internal);
}

}  // namespace
}  // namespace ward
