#include "audit/event.hpp"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace ward::audit {

namespace {

// ---- writing ---------------------------------------------------------------

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  auto cont = [&](std::size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

// Checks bytes against a line instead of writing them: the verifier
// compares a line with its canonical form without building a copy.
class Matcher {
 public:
  explicit Matcher(std::string_view line) : line_(line) {}
  void append(const char* p, std::size_t n) {
    if (ok_ && (line_.size() - pos_ < n || !same(line_.data() + pos_, p, n))) {
      ok_ = false;
      std::size_t i = 0;
      while (pos_ + i < line_.size() && i < n && line_[pos_ + i] == p[i]) ++i;
      mismatch_ = pos_ + i;
    }
    pos_ += n;
  }
  Matcher& operator+=(char c) {
    if (ok_ && pos_ < line_.size() && line_[pos_] == c) {
      ++pos_;
    } else {
      append(&c, 1);
    }
    return *this;
  }
  Matcher& operator+=(std::string_view s) {
    append(s.data(), s.size());
    return *this;
  }
  std::size_t size() const { return pos_; }
  // The whole line matched, nothing more, nothing less.
  bool matched() const { return ok_ && pos_ == line_.size(); }
  std::size_t mismatch() const { return ok_ ? std::min(pos_, line_.size()) : mismatch_; }

 private:
  // Most pieces are a few bytes (quotes, separators, keys): a loop beats a
  // call to memcmp for those.
  static bool same(const char* a, const char* b, std::size_t n) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

  std::string_view line_;
  std::size_t pos_ = 0;
  std::size_t mismatch_ = 0;
  bool ok_ = true;
};

// The one escaping canonical lines use; invalid UTF-8 becomes U+FFFD. Runs
// of bytes that need no escape go out in one piece.
template <class Out>
void put_string(Out& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of literal bytes
  auto flush = [&](std::size_t i) {
    if (i > run) out.append(s.data() + run, i - run);
  };
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      std::size_t n = utf8_sequence(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      flush(i);
      out += "\xEF\xBF\xBD";
      run = ++i;
      continue;
    }
    flush(i);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, 6);
      }
    }
    run = ++i;
  }
  flush(s.size());
  out += '"';
}

template <class Out>
void put_int(Out& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void put_strings(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ',';
    put_string(out, list[i]);
  }
  out += ']';
}

template <class Out>
void put_key(Out& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

void put_actor(std::string& out, const Actor& a) {
  out += "{\"agent\":{\"name\":";
  put_string(out, a.agent_name);
  out += ",\"via\":";
  put_string(out, a.agent_via);
  out += "},\"ancestry\":";
  put_strings(out, a.ancestry);
  out += ",\"comm\":";
  put_string(out, a.comm);
  out += ",\"cwd\":";
  put_string(out, a.cwd);
  out += ",\"exe\":";
  put_string(out, a.exe);
  out += ",\"pid\":";
  put_int(out, a.pid);
  out += ",\"ppid\":";
  put_int(out, a.ppid);
  out += ",\"sid\":";
  put_int(out, a.sid);
  out += ",\"tty\":";
  put_string(out, a.tty);
  out += ",\"uid\":";
  put_int(out, a.uid);
  out += '}';
}

void put_checkpoint(std::string& out, const Checkpoint& c) {
  out += "{\"head\":";
  put_string(out, c.head);
  out += ",\"key\":";
  put_string(out, c.key);
  out += ",\"seq\":";
  put_int(out, c.seq);
  out += ",\"sig\":";
  put_string(out, c.sig);
  out += ",\"ts\":";
  put_int(out, c.ts);
  out += '}';
}

// ---- reading -----------------------------------------------------------------

enum class Kind { string, integer, strings, object };
enum class Schema { top, actor, agent, checkpoint };

struct Field {
  std::string_view name;
  Kind kind;
  Schema object = Schema::top;  // for Kind::object
  bool required = true;
};

// Sorted by name, as canonical lines are.
constexpr std::array<Field, 14> kTopFields = {{
    {"actor", Kind::object, Schema::actor},
    {"checkpoint", Kind::object, Schema::checkpoint, false},
    {"denied", Kind::strings, Schema::top, false},
    {"event", Kind::string},
    {"hash", Kind::string},
    {"host", Kind::string},
    {"outcome", Kind::string},
    {"prev", Kind::string},
    {"reason", Kind::string},
    {"secrets", Kind::strings},
    {"seq", Kind::integer},
    {"tool", Kind::string},
    {"ts", Kind::integer},
    {"v", Kind::integer},
}};
constexpr std::array<Field, 10> kActorFields = {{
    {"agent", Kind::object, Schema::agent},
    {"ancestry", Kind::strings},
    {"comm", Kind::string},
    {"cwd", Kind::string},
    {"exe", Kind::string},
    {"pid", Kind::integer},
    {"ppid", Kind::integer},
    {"sid", Kind::integer},
    {"tty", Kind::string},
    {"uid", Kind::integer},
}};
constexpr std::array<Field, 2> kAgentFields = {{
    {"name", Kind::string},
    {"via", Kind::string},
}};
constexpr std::array<Field, 5> kCheckpointFields = {{
    {"head", Kind::string},
    {"key", Kind::string},
    {"seq", Kind::integer},
    {"sig", Kind::string},
    {"ts", Kind::integer},
}};

std::span<const Field> fields_of(Schema s) {
  switch (s) {
    case Schema::top:
      return kTopFields;
    case Schema::actor:
      return kActorFields;
    case Schema::agent:
      return kAgentFields;
    case Schema::checkpoint:
      return kCheckpointFields;
  }
  return {};
}

const char* schema_name(Schema s) {
  switch (s) {
    case Schema::top:
      return "event";
    case Schema::actor:
      return "actor";
    case Schema::agent:
      return "actor.agent";
    case Schema::checkpoint:
      return "checkpoint";
  }
  return "";
}

// A key from the input, safe to put in a message.
std::string printable(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 40)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (key.size() > 40) out += "...";
  return out;
}

// Rebuilds the canonical form of what it reads while checking it against
// the schema and filling the event; the caller compares the rebuilt bytes
// with the input.
class LineHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, LineHandler> {
 public:
  LineHandler(Event& e, Matcher& canon) : e_(e), canon_(canon) {}

  std::string error;
  std::size_t hash_begin = 0, hash_end = 0;

  bool StartObject() {
    if (depth_ == 0) {
      if (started_) return fail("more than one object");
      started_ = true;
      return open(Schema::top);
    }
    if (in_array()) return type_error("a string");
    const Field& f = current_field();
    if (f.kind != Kind::object) return type_error(expected_of(f.kind));
    if (f.object == Schema::checkpoint) e_.checkpoint.emplace();
    return open(f.object);
  }

  bool Key(const char* str, rapidjson::SizeType len, bool) {
    Frame& fr = frames_[depth_ - 1];
    std::string_view key(str, len);
    auto fields = fields_of(fr.schema);
    // Canonical keys ascend: look ahead of the previous key first.
    std::size_t from = fr.last == fields.size() ? 0 : fr.last + 1;
    std::size_t index = fields.size();
    auto equal = [](std::string_view a, std::string_view b) {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) return false;
      }
      return true;
    };
    for (std::size_t i = from; i < fields.size() && index == fields.size(); ++i) {
      if (equal(fields[i].name, key)) index = i;
    }
    for (std::size_t i = 0; i < from && index == fields.size(); ++i) {
      if (equal(fields[i].name, key)) index = i;
    }
    if (index == fields.size()) {
      return fail(fmt::format("unknown key '{}' in {}", printable(key), schema_name(fr.schema)));
    }
    if (fr.seen & (1u << index)) {
      return fail(fmt::format("duplicate key '{}' in {}", key, schema_name(fr.schema)));
    }
    if (fr.last != fields.size() && index < fr.last) {
      return fail(fmt::format("keys out of order in {}: '{}' after '{}'", schema_name(fr.schema),
                              key, fields[fr.last].name));
    }
    fr.seen |= 1u << index;
    fr.last = index;
    fr.field = index;
    if (depth_ == 1 && key == "hash") hash_begin = canon_.size();
    if (fr.count++) canon_ += ',';
    put_key(canon_, key);
    return true;
  }

  bool String(const char* str, rapidjson::SizeType len, bool) {
    if (depth_ == 0) return fail("a line must be one object");
    std::string_view s(str, len);
    if (in_array()) {
      if (frames_[depth_ - 1].count++) canon_ += ',';
      array_target_->emplace_back(s);
      put_string(canon_, s);
      return true;
    }
    const Field& f = current_field();
    if (f.kind != Kind::string) return type_error(expected_of(f.kind));
    std::string* target = string_target();
    if (target) target->assign(s);
    put_string(canon_, s);
    if (depth_ == 1 && f.name == "hash") hash_end = canon_.size();
    return true;
  }

  bool Int(int v) { return integer(v); }
  bool Uint(unsigned v) { return integer(v); }
  bool Int64(std::int64_t v) { return integer(v); }
  bool Uint64(std::uint64_t v) {
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return fail("integer out of range");
    return integer(static_cast<std::int64_t>(v));
  }
  bool Double(double) { return fail("a number that is not an integer"); }
  bool Null() { return type_error_here("null"); }
  bool Bool(bool) { return type_error_here("a boolean"); }

  bool StartArray() {
    if (depth_ == 0) return fail("a line must be one object");
    if (in_array()) return type_error("a string");
    const Field& f = current_field();
    if (f.kind != Kind::strings) return type_error(expected_of(f.kind));
    array_target_ = list_target(f.name);
    array_target_->clear();
    canon_ += '[';
    Schema parent = frames_[depth_ - 1].schema;
    if (depth_ == frames_.size()) return fail("nested too deeply");
    frames_[depth_] = Frame{parent, 0, 0, 0, 0, true};
    ++depth_;
    return true;
  }

  bool EndArray(rapidjson::SizeType count) {
    --depth_;
    // encode_line leaves "denied" out when it is empty.
    if (count == 0 && depth_ == 1 && current_field().name == "denied") {
      return fail("an empty 'denied' must be left out");
    }
    canon_ += ']';
    return true;
  }

  bool EndObject(rapidjson::SizeType) {
    Frame& fr = frames_[depth_ - 1];
    auto fields = fields_of(fr.schema);
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].required && !(fr.seen & (1u << i))) {
        return fail(fmt::format("missing key '{}' in {}", fields[i].name, schema_name(fr.schema)));
      }
    }
    --depth_;
    canon_ += '}';
    return true;
  }

 private:
  struct Frame {
    Schema schema;
    unsigned seen;
    std::size_t last;   // index of the previous key (fields.size() before the first)
    std::size_t field;  // index of the current key
    std::size_t count;  // members or elements so far
    bool array;
  };

  bool open(Schema s) {
    if (depth_ == frames_.size()) return fail("nested too deeply");
    frames_[depth_++] = Frame{s, 0, fields_of(s).size(), 0, 0, false};
    canon_ += '{';
    return true;
  }

  bool in_array() const { return depth_ > 0 && frames_[depth_ - 1].array; }

  const Field& current_field() const {
    const Frame& fr = frames_[depth_ - 1];
    return fields_of(fr.schema)[fr.field];
  }

  static const char* expected_of(Kind k) {
    switch (k) {
      case Kind::string:
        return "a string";
      case Kind::integer:
        return "an integer";
      case Kind::strings:
        return "a list of strings";
      case Kind::object:
        return "an object";
    }
    return "";
  }

  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }

  bool type_error(const char* expected) {
    if (depth_ == 0) return fail("a line must be one object");
    if (in_array()) return fail(fmt::format("'{}' must hold only strings", current_field().name));
    return fail(fmt::format("'{}' must be {}", current_field().name, expected));
  }

  bool type_error_here(const char* what) {
    if (depth_ == 0) return fail("a line must be one object");
    return fail(fmt::format("'{}' holds {}", current_field().name, what));
  }

  bool integer(std::int64_t v) {
    if (depth_ == 0) return fail("a line must be one object");
    if (in_array()) return type_error("a string");
    const Field& f = current_field();
    if (f.kind != Kind::integer) return type_error(expected_of(f.kind));
    if (std::int64_t* target = int_target()) *target = v;
    put_int(canon_, v);
    return true;
  }

  Schema schema() const { return frames_[depth_ - 1].schema; }

  // Where the value of the current key goes (indices into the field tables).
  std::string* string_target() {
    std::size_t i = frames_[depth_ - 1].field;
    switch (schema()) {
      case Schema::top: {
        std::string* top[] = {nullptr,  nullptr,     nullptr,  &e_.event,  &e_.hash,
                              &e_.host, &e_.outcome, &e_.prev, &e_.reason, nullptr,
                              nullptr,  &e_.tool,    nullptr,  nullptr};
        return top[i];
      }
      case Schema::actor: {
        std::string* actor[] = {nullptr, nullptr, &e_.actor.comm, &e_.actor.cwd, &e_.actor.exe,
                                nullptr, nullptr, nullptr,        &e_.actor.tty, nullptr};
        return actor[i];
      }
      case Schema::agent:
        return i == 0 ? &e_.actor.agent_name : &e_.actor.agent_via;
      case Schema::checkpoint: {
        std::string* cp[] = {&e_.checkpoint->head, &e_.checkpoint->key, nullptr,
                             &e_.checkpoint->sig, nullptr};
        return cp[i];
      }
    }
    return nullptr;
  }

  std::int64_t* int_target() {
    std::size_t i = frames_[depth_ - 1].field;
    switch (schema()) {
      case Schema::top:
        return i == 10 ? &e_.seq : i == 12 ? &e_.ts : i == 13 ? &e_.v : nullptr;
      case Schema::actor:
        return i == 5   ? &e_.actor.pid
               : i == 6 ? &e_.actor.ppid
               : i == 7 ? &e_.actor.sid
               : i == 9 ? &e_.actor.uid
                        : nullptr;
      case Schema::checkpoint:
        return i == 2 ? &e_.checkpoint->seq : i == 4 ? &e_.checkpoint->ts : nullptr;
      case Schema::agent:
        break;
    }
    return nullptr;
  }

  std::vector<std::string>* list_target(std::string_view name) {
    if (name == "secrets") return &e_.secrets;
    if (name == "denied") return &e_.denied;
    return &e_.actor.ancestry;
  }

  Event& e_;
  Matcher& canon_;
  std::array<Frame, 4> frames_{};
  std::size_t depth_ = 0;
  bool started_ = false;
  std::vector<std::string>* array_target_ = nullptr;
};

bool is_hex_hash(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void hex_to_bytes(std::string_view hex, std::uint8_t* out) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out[i / 2] = static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
  }
}

}  // namespace

std::string canonical_string(std::string_view s) {
  std::string out;
  put_string(out, s);
  return out;
}

std::string encode_line(Event& e) {
  std::string out;
  out.reserve(512);
  out += "{\"actor\":";
  put_actor(out, e.actor);
  if (e.checkpoint) {
    out += ",\"checkpoint\":";
    put_checkpoint(out, *e.checkpoint);
  }
  if (!e.denied.empty()) {
    out += ",\"denied\":";
    put_strings(out, e.denied);
  }
  out += ",\"event\":";
  put_string(out, e.event);
  std::size_t split = out.size();
  out += ",\"host\":";
  put_string(out, e.host);
  out += ",\"outcome\":";
  put_string(out, e.outcome);
  out += ",\"prev\":";
  put_string(out, e.prev);
  out += ",\"reason\":";
  put_string(out, e.reason);
  out += ",\"secrets\":";
  put_strings(out, e.secrets);
  out += ",\"seq\":";
  put_int(out, e.seq);
  out += ",\"tool\":";
  put_string(out, e.tool);
  out += ",\"ts\":";
  put_int(out, e.ts);
  out += ",\"v\":";
  put_int(out, e.v);
  out += '}';
  std::string_view view(out);
  e.hash = line_hash(e.prev, view.substr(0, split), view.substr(split));
  std::string member = ",\"hash\":\"" + e.hash + "\"";
  out.insert(split, member);
  return out;
}

Status parse_line(std::string_view line, ParsedLine& out) {
  Matcher canon(line);
  out.event.checkpoint.reset();
  out.event.denied.clear();
  LineHandler handler(out.event, canon);
  rapidjson::MemoryStream stream(line.data(), line.size());
  rapidjson::Reader reader;
  // No encoding check here: invalid UTF-8 in a string is rewritten as U+FFFD
  // in the canonical form, so such a line fails the comparison below.
  rapidjson::ParseResult ok = reader.Parse<rapidjson::kParseDefaultFlags>(stream, handler);
  if (!ok) {
    if (!handler.error.empty()) return fail(Code::corrupt, handler.error);
    return fail(Code::corrupt, fmt::format("not a JSON object (byte {})", ok.Offset()));
  }
  if (!canon.matched()) {
    return fail(Code::corrupt,
                fmt::format("non-canonical formatting at byte {}", canon.mismatch()));
  }
  const Event& e = out.event;
  if (e.v != kFormatVersion) {
    return fail(Code::corrupt, fmt::format("unknown format version {}", e.v));
  }
  if (e.outcome != "ok" && e.outcome != "denied" && e.outcome != "error") {
    return fail(Code::corrupt, fmt::format("unknown outcome '{}'", printable(e.outcome)));
  }
  if (!is_hex_hash(e.prev)) return fail(Code::corrupt, "'prev' is not a SHA-256 in hex");
  if (!is_hex_hash(e.hash)) return fail(Code::corrupt, "'hash' is not a SHA-256 in hex");
  if (e.seq < 1) return fail(Code::corrupt, "'seq' must be positive");
  if (e.checkpoint.has_value() != (e.event == "audit.checkpoint")) {
    return fail(Code::corrupt, "a checkpoint belongs on audit.checkpoint events only");
  }
  out.before_hash = line.substr(0, handler.hash_begin);
  out.after_hash = line.substr(handler.hash_end);
  return {};
}

std::string line_hash(std::string_view prev_hex, std::string_view before_hash,
                      std::string_view after_hash) {
  std::uint8_t prev[32] = {};
  if (is_hex_hash(prev_hex)) hex_to_bytes(prev_hex, prev);
  Sha256 h;
  h.update(std::span<const std::uint8_t>(prev, 32));
  h.update(before_hash).update(after_hash);
  Digest d = h.finish();
  return to_hex(d);
}

std::string checkpoint_message(std::int64_t seq, std::string_view head, std::int64_t ts) {
  return fmt::format("ward:audit:checkpoint:v1:{}:{}:{}", seq, head, ts);
}

void set_failure(Event& e, const Error& error) {
  e.outcome = error.code == Code::denied || error.code == Code::locked ? "denied" : "error";
  e.reason = error.message;
}

}  // namespace ward::audit
