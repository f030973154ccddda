#include "agent/protocol.hpp"

#include <fmt/format.h>

#include "util/file.hpp"

namespace ward {

namespace {

void put_length(std::uint8_t* out, std::uint32_t n) {
  out[0] = static_cast<std::uint8_t>(n >> 24);
  out[1] = static_cast<std::uint8_t>(n >> 16);
  out[2] = static_cast<std::uint8_t>(n >> 8);
  out[3] = static_cast<std::uint8_t>(n);
}

Result<std::uint32_t> read_length(int fd, bool first) {
  std::uint8_t header[4];
  auto got = read_exact(fd, header, sizeof header);
  if (!got) {
    if (first && got.error().code == Code::protocol) {
      return fail(Code::unavailable, "connection closed");
    }
    return tl::unexpected(got.error());
  }
  return decode_frame_length(header);
}

}  // namespace

Result<std::uint32_t> decode_frame_length(std::span<const std::uint8_t> header) {
  if (header.size() != 4) return fail(Code::protocol, "short frame header");
  std::uint32_t n = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                    (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
  if (n > kMaxFrame) return fail(Code::protocol, fmt::format("frame of {} bytes is too large", n));
  return n;
}

Result<nlohmann::json> decode_message_body(std::span<const std::uint8_t> bytes) {
  auto body = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return fail(Code::protocol, "message is not a JSON object");
  }
  auto v = body.find("v");
  if (v == body.end() || !v->is_number_integer()) {
    return fail(Code::protocol, "message has no protocol version");
  }
  if (v->get<std::int64_t>() != kProtocolVersion) {
    return fail(Code::protocol,
                fmt::format("protocol version {} is not supported", v->get<std::int64_t>()),
                "restart the agent with 'ward lock' and 'ward unlock' after upgrading ward");
  }
  auto payload = body.find("payload");
  if (payload != body.end() &&
      (!payload->is_number_unsigned() || payload->get<std::uint64_t>() > kMaxFrame)) {
    return fail(Code::protocol, "invalid payload size");
  }
  return body;
}

Result<std::string> encode_message(const Message& message) {
  nlohmann::json body = message.body;
  body["v"] = kProtocolVersion;
  if (message.payload) body["payload"] = message.payload->size();
  std::string text = body.dump();
  if (text.size() > kMaxFrame) return fail(Code::protocol, "message too large");
  if (message.payload && message.payload->size() > kMaxFrame) {
    return fail(Code::invalid_input, "the values asked for exceed one message (1 MiB)",
                "ask for fewer secrets at a time");
  }
  std::string frame(4, '\0');
  put_length(reinterpret_cast<std::uint8_t*>(frame.data()),
             static_cast<std::uint32_t>(text.size()));
  frame += text;
  if (message.payload) {
    std::uint8_t header[4];
    put_length(header, static_cast<std::uint32_t>(message.payload->size()));
    frame.append(reinterpret_cast<const char*>(header), sizeof header);
  }
  return frame;
}

Status write_message(int fd, const Message& message) {
  std::string frame = TRY(encode_message(message));
  TRY(write_all(fd, frame.data(), frame.size()));
  if (message.payload) TRY(write_all(fd, message.payload->data(), message.payload->size()));
  return {};
}

Result<std::optional<Message>> take_message(std::span<const std::uint8_t> buffer,
                                            std::size_t& consumed) {
  consumed = 0;
  if (buffer.size() < 4) return std::nullopt;
  std::uint32_t n = TRY(decode_frame_length(buffer.first(4)));
  if (buffer.size() < 4 + std::size_t{n}) return std::nullopt;
  Message message;
  message.body = TRY(decode_message_body(buffer.subspan(4, n)));
  std::size_t end = 4 + std::size_t{n};
  if (auto it = message.body.find("payload"); it != message.body.end()) {
    if (buffer.size() < end + 4) return std::nullopt;
    std::uint32_t size = TRY(decode_frame_length(buffer.subspan(end, 4)));
    if (size != it->get<std::uint64_t>()) return fail(Code::protocol, "payload size mismatch");
    end += 4;
    if (buffer.size() < end + size) return std::nullopt;
    message.payload = SecretBytes::copy_of(buffer.data() + end, size);
    end += size;
  }
  consumed = end;
  return message;
}

Result<Message> read_message(int fd) {
  std::uint32_t n = TRY(read_length(fd, true));
  std::string text(n, '\0');
  TRY(read_exact(fd, text.data(), n));
  Message message;
  message.body =
      TRY(decode_message_body({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}));
  if (auto it = message.body.find("payload"); it != message.body.end()) {
    std::uint32_t size = TRY(read_length(fd, false));
    if (size != it->get<std::uint64_t>()) return fail(Code::protocol, "payload size mismatch");
    SecretBytes payload(size);
    TRY(read_exact(fd, payload.data(), size));
    message.payload = std::move(payload);
  }
  return message;
}

void attach_values(Message& message, const std::vector<SecretBytes>& values) {
  nlohmann::json lengths = nlohmann::json::array();
  SecretBytes payload;
  for (const auto& v : values) {
    lengths.push_back(v.size());
    payload.append(v.data(), v.size());
  }
  message.body["lengths"] = std::move(lengths);
  message.payload = std::move(payload);
}

Result<std::vector<SecretBytes>> detach_values(const Message& message) {
  auto it = message.body.find("lengths");
  if (it == message.body.end() || !it->is_array()) return fail(Code::protocol, "no value lengths");
  std::vector<SecretBytes> out;
  std::size_t offset = 0;
  std::size_t total = message.payload ? message.payload->size() : 0;
  for (const auto& len : *it) {
    if (!len.is_number_unsigned() || len.get<std::uint64_t>() > total - offset) {
      return fail(Code::protocol, "value lengths do not match the payload");
    }
    std::size_t n = len.get<std::size_t>();
    out.push_back(SecretBytes::copy_of(message.payload->data() + offset, n));
    offset += n;
  }
  if (offset != total) return fail(Code::protocol, "value lengths do not match the payload");
  return out;
}

Message error_message(const Error& error) {
  Message m;
  m.body["ok"] = false;
  m.body["error"] = {{"code", code_name(error.code)}, {"message", error.message}};
  if (!error.hint.empty()) m.body["error"]["hint"] = error.hint;
  return m;
}

std::optional<Error> response_error(const nlohmann::json& body) {
  auto ok = body.find("ok");
  if (ok != body.end() && ok->is_boolean() && ok->get<bool>()) return std::nullopt;
  Error e{Code::protocol, "malformed response from the agent", ""};
  auto err = body.find("error");
  if (err != body.end() && err->is_object()) {
    e.code = code_from_name(json_string(*err, "code").value_or("internal"));
    e.message = json_string(*err, "message").value_or("agent error");
    e.hint = json_string(*err, "hint").value_or("");
  }
  return e;
}

Result<std::string> json_string(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string()) {
    return fail(Code::protocol, fmt::format("field '{}' missing or not a string", key));
  }
  return it->get<std::string>();
}

Result<std::int64_t> json_int(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer()) {
    return fail(Code::protocol, fmt::format("field '{}' missing or not an integer", key));
  }
  return it->get<std::int64_t>();
}

bool json_bool(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> request_secret_names(const nlohmann::json& body) {
  std::vector<std::string> names;
  for (const char* key : {"path", "from", "to"}) {
    if (auto it = body.find(key); it != body.end() && it->is_string()) {
      names.push_back(it->get<std::string>());
    }
  }
  if (auto it = body.find("paths"); it != body.end() && it->is_array()) {
    for (const auto& p : *it) {
      if (p.is_string()) names.push_back(p.get<std::string>());
    }
  }
  if (auto it = body.find("items"); it != body.end() && it->is_array()) {
    for (const auto& item : *it) {
      if (item.is_object() && item.contains("var") && item["var"].is_string()) {
        names.push_back("env:" + item["var"].get<std::string>());
      }
    }
  }
  return names;
}

}  // namespace ward
