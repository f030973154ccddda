// The agent wire protocol.
//
// A message is a frame: a 4-byte big-endian length, then that many bytes of
// JSON (at most 1 MiB). The JSON object carries "v" (protocol version) and,
// in a request, "op"; a response carries "ok" and either results or
// "error": {code, message, hint}. A message that carries secret bytes says so
// with "payload": N and is followed by a second frame holding exactly those N
// raw bytes, read straight into SecretBytes — values never pass through the
// JSON text (or any std::string).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward {

constexpr int kProtocolVersion = 1;
constexpr std::size_t kMaxFrame = 1024 * 1024;

struct Message {
  nlohmann::json body = nlohmann::json::object();
  std::optional<SecretBytes> payload;
};

// Decodes one frame header: the length, or protocol error if over kMaxFrame.
Result<std::uint32_t> decode_frame_length(std::span<const std::uint8_t> header);
// Parses the JSON of a frame: protocol error unless it is an object with an
// integer "v" equal to kProtocolVersion and, if present, a valid "payload"
// size (<= kMaxFrame).
Result<nlohmann::json> decode_message_body(std::span<const std::uint8_t> bytes);

// The frames of a message up to its payload: the JSON frame and, when it
// carries a payload, that frame's 4-byte header (the payload bytes follow).
Result<std::string> encode_message(const Message& message);
// Writes a message (and its payload frame) to fd.
Status write_message(int fd, const Message& message);
// The first whole message in buffer, and in consumed how many bytes it took;
// nullopt (consumed 0) while the buffer holds only part of one; protocol
// error on anything malformed.
Result<std::optional<Message>> take_message(std::span<const std::uint8_t> buffer,
                                            std::size_t& consumed);
// Reads one message (and its payload) from fd. unavailable on clean EOF
// before any byte; protocol error on anything malformed.
Result<Message> read_message(int fd);

// Several values in one payload: "lengths" in the body, the bytes
// concatenated in the payload frame.
void attach_values(Message& message, const std::vector<SecretBytes>& values);
// Splits what attach_values packed; protocol error when lengths and payload disagree.
Result<std::vector<SecretBytes>> detach_values(const Message& message);

// A response carrying an error.
Message error_message(const Error& error);
// The Error a failed response carries; nullopt when it is ok.
std::optional<Error> response_error(const nlohmann::json& body);

// Typed field access that never throws: protocol error when missing or of
// the wrong type (json_bool: false).
Result<std::string> json_string(const nlohmann::json& body, const char* key);
Result<std::int64_t> json_int(const nlohmann::json& body, const char* key);
bool json_bool(const nlohmann::json& body, const char* key);

// The secret names a request body is about, for its audit event: path,
// from, to, every entry of paths, and "env:VAR" for every item's var.
std::vector<std::string> request_secret_names(const nlohmann::json& body);

}  // namespace ward
