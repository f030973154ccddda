// Fuzzes the audit line parser and the chain verifier.
//
// 1. The input as one line: parse_line never crashes, and it accepts a line
//    only if it is canonical, i.e. exactly what encode_line writes for the
//    values it parsed (encode_line recomputes the hash, so the pieces around
//    the hash member are compared, and the stored hash is put back).
// 2. An event whose strings are fuzz bytes (invalid UTF-8, control bytes,
//    quotes) and whose integers are any int64: encode_line writes one line
//    that parse_line accepts and that re-encodes to itself.
// 3. Now and then, a small valid chain of such events with one byte changed:
//    verify_chain must report a failure, unless the byte changed was the
//    final newline (then the last line is a torn tail and only it).
// 4. Now and then, the raw input as a whole log file: verify_chain never
//    crashes and, when it calls the file intact, counts its lines right.
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "audit/event.hpp"
#include "audit/verify.hpp"
#include "crypto/primitives.hpp"

namespace {

using ward::audit::Event;
using ward::audit::ParsedLine;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_line(std::string_view line) {
  ParsedLine parsed;
  auto ok = ward::audit::parse_line(line, parsed);
  if (!ok) {
    check(ok.error().code == ward::Code::corrupt);
    check(!ok.error().message.empty());
    return;
  }
  check(line.find('\n') == std::string_view::npos);
  std::string rebuilt = std::string(parsed.before_hash) + ",\"hash\":\"" + parsed.event.hash +
                        "\"" + std::string(parsed.after_hash);
  check(rebuilt == line);
  Event e = parsed.event;
  std::string again = ward::audit::encode_line(e);
  check(again.size() == line.size());
  check(std::string_view(again).substr(0, parsed.before_hash.size()) == parsed.before_hash);
  check(std::string_view(again).substr(again.size() - parsed.after_hash.size()) ==
        parsed.after_hash);
  check(e.hash == ward::audit::line_hash(parsed.event.prev, parsed.before_hash, parsed.after_hash));
}

std::string hex_hash(FuzzedDataProvider& in) {
  auto bytes = in.ConsumeBytes<std::uint8_t>(32);
  bytes.resize(32);
  return ward::to_hex(bytes);
}

std::vector<std::string> strings(FuzzedDataProvider& in) {
  std::vector<std::string> list(in.ConsumeIntegralInRange<std::size_t>(0, 3));
  for (auto& s : list) s = in.ConsumeRandomLengthString(64);
  return list;
}

Event event_from(FuzzedDataProvider& in) {
  Event e;
  e.seq = in.ConsumeIntegralInRange<std::int64_t>(1, INT64_MAX);
  e.ts = in.ConsumeIntegral<std::int64_t>();
  e.event = in.ConsumeRandomLengthString(32);
  e.secrets = strings(in);
  e.denied = strings(in);
  e.outcome = in.PickValueInArray({"ok", "denied", "error"});
  e.reason = in.ConsumeRandomLengthString(128);
  e.actor.pid = in.ConsumeIntegral<std::int64_t>();
  e.actor.ppid = in.ConsumeIntegral<std::int64_t>();
  e.actor.uid = in.ConsumeIntegral<std::int64_t>();
  e.actor.sid = in.ConsumeIntegral<std::int64_t>();
  e.actor.exe = in.ConsumeRandomLengthString(64);
  e.actor.comm = in.ConsumeRandomLengthString(16);
  e.actor.cwd = in.ConsumeRandomLengthString(64);
  e.actor.tty = in.ConsumeRandomLengthString(16);
  e.actor.ancestry = strings(in);
  e.actor.agent_name = in.ConsumeRandomLengthString(16);
  e.actor.agent_via = in.ConsumeRandomLengthString(32);
  e.tool = in.ConsumeRandomLengthString(64);
  e.host = in.ConsumeRandomLengthString(32);
  e.prev = hex_hash(in);
  if (in.ConsumeBool()) {
    e.event = "audit.checkpoint";
    e.checkpoint.emplace();
    e.checkpoint->seq = in.ConsumeIntegral<std::int64_t>();
    e.checkpoint->head = in.ConsumeRandomLengthString(64);
    e.checkpoint->ts = in.ConsumeIntegral<std::int64_t>();
    e.checkpoint->key = in.ConsumeRandomLengthString(64);
    e.checkpoint->sig = in.ConsumeRandomLengthString(128);
  } else if (e.event == "audit.checkpoint") {
    e.event += "!";
  }
  return e;
}

bool ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
}

void check_encoded_event(FuzzedDataProvider& in) {
  Event e = event_from(in);
  std::string line = ward::audit::encode_line(e);
  check(line.find('\n') == std::string::npos);
  ParsedLine parsed;
  check(ward::audit::parse_line(line, parsed).has_value());
  check(parsed.event.hash == e.hash);
  check(ward::audit::line_hash(e.prev, parsed.before_hash, parsed.after_hash) == e.hash);
  check(parsed.event.seq == e.seq && parsed.event.ts == e.ts &&
        parsed.event.actor.pid == e.actor.pid);
  if (ascii(e.reason)) check(parsed.event.reason == e.reason);
  if (ascii(e.actor.cwd)) check(parsed.event.actor.cwd == e.actor.cwd);
  Event again = parsed.event;
  check(ward::audit::encode_line(again) == line);
}

// A file in memory that verify_chain can open by name.
class MemFile {
 public:
  MemFile() : fd_(::memfd_create("audit", MFD_CLOEXEC)) {}
  ~MemFile() { ::close(fd_); }
  std::string write(std::string_view text) {
    check(::ftruncate(fd_, 0) == 0);
    check(::pwrite(fd_, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()));
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

MemFile& scratch() {
  static MemFile file;
  return file;
}

void check_mutated_chain(FuzzedDataProvider& in) {
  std::size_t n = in.ConsumeIntegralInRange<std::size_t>(1, 4);
  std::string text;
  std::string prev(ward::audit::kZeroHash);
  std::size_t last_line = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Event e = event_from(in);
    e.seq = static_cast<std::int64_t>(i) + 1;
    e.prev = prev;
    if (e.checkpoint) {
      e.checkpoint->seq = e.seq - 1;
      e.checkpoint->head = prev;
    }
    last_line = text.size();
    text += ward::audit::encode_line(e);
    text += '\n';
    prev = e.hash;
  }
  std::vector<std::string> files{scratch().write(text)};
  ward::audit::VerifyReport good = ward::audit::verify_chain(files, std::nullopt, 1);
  check(good.intact() && good.events == static_cast<std::int64_t>(n) && good.torn_bytes == 0);

  std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, text.size() - 1);
  char to = static_cast<char>(in.ConsumeIntegralInRange<int>(1, 255));
  text[at] = static_cast<char>(text[at] ^ to);
  files[0] = scratch().write(text);
  ward::audit::VerifyReport bad = ward::audit::verify_chain(files, std::nullopt, 1);
  if (bad.intact()) {
    // Only a changed final newline leaves a chain that verifies: a torn tail.
    check(at == text.size() - 1);
    check(bad.events == static_cast<std::int64_t>(n) - 1);
    check(bad.torn_bytes == static_cast<std::int64_t>(text.size() - last_line));
  } else {
    check(bad.failure->line >= 1 && bad.failure->line <= static_cast<std::int64_t>(n));
  }
}

void check_raw_log(std::string_view text) {
  std::vector<std::string> files{scratch().write(text)};
  ward::audit::VerifyReport r = ward::audit::verify_chain(files, std::nullopt, 1);
  if (r.intact()) {
    std::size_t whole = text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1;
    check(r.events == std::count(text.begin(), text.end(), '\n'));
    check(r.torn_bytes == static_cast<std::int64_t>(text.size() - whole));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_line(input);
  {
    FuzzedDataProvider in(data, size);
    check_encoded_event(in);
  }
  if (size > 0 && data[size - 1] % 8 == 0) {
    FuzzedDataProvider in(data, size);
    check_mutated_chain(in);
  }
  if (size > 0 && data[size - 1] % 8 == 1) check_raw_log(input);
  return 0;
}
