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

// The bytes write_message would send for m.
std::string wire_of(const Message& m) {
  auto frame = encode_message(m);
  EXPECT_TRUE(frame);
  std::string out = *frame;
  if (m.payload) out.append(m.payload->view());
  return out;
}

TEST(Protocol, TakeMessageWaitsForWholeMessages) {
  Message m;
  m.body["op"] = "set";
  m.payload = SecretBytes::from_view("payload-bytes");
  std::string wire = wire_of(m);
  // Every proper prefix is incomplete, never an error.
  for (std::size_t n = 0; n < wire.size(); ++n) {
    std::size_t used = 99;
    auto got = take_message(bytes_of(std::string_view(wire).substr(0, n)), used);
    ASSERT_TRUE(got) << n << ": " << got.error().message;
    EXPECT_FALSE(*got) << n;
    EXPECT_EQ(used, 0u);
  }
  std::size_t used = 0;
  auto got = take_message(bytes_of(wire), used);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(used, wire.size());
  EXPECT_EQ((**got).body["op"], "set");
  ASSERT_TRUE((**got).payload);
  EXPECT_EQ((**got).payload->view(), "payload-bytes");
}

TEST(Protocol, TakeMessageTakesOneOfSeveral) {
  Message a, b;
  a.body["op"] = "get";
  b.body["op"] = "status";
  std::string wire = wire_of(a) + wire_of(b);
  std::size_t used = 0;
  auto first = take_message(bytes_of(wire), used);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((**first).body["op"], "get");
  auto second = take_message(bytes_of(std::string_view(wire).substr(used)), used);
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((**second).body["op"], "status");
}

TEST(Protocol, TakeMessageRejectsMalformed) {
  std::size_t used = 0;
  std::string big("\x7f\xff\xff\xff", 4);  // over kMaxFrame
  EXPECT_EQ(take_message(bytes_of(big), used).error().code, Code::protocol);
  std::string not_json = std::string("\0\0\0\x03", 4) + "abc";
  EXPECT_EQ(take_message(bytes_of(not_json), used).error().code, Code::protocol);
  // A payload frame whose size disagrees with the body's.
  std::string body = R"({"v":1,"op":"set","payload":4})";
  std::string wire = std::string("\0\0\0", 3) + static_cast<char>(body.size()) + body +
                     std::string("\0\0\0\x05", 4) + "12345";
  auto mismatch = take_message(bytes_of(wire), used);
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message.find("mismatch"), std::string::npos);
}

}  // namespace
}  // namespace ward
