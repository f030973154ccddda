#include "audit/otlp.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/paths.hpp"
#include "crypto/primitives.hpp"
#include "util/file.hpp"

namespace ward::audit {

namespace {

using nlohmann::json;

std::string short_hmac(const SecretBytes& salt, std::string_view domain, std::string_view text) {
  std::string message;
  message.reserve(domain.size() + text.size());
  message.append(domain).append(text);
  auto mac = hmac_sha256(salt, as_bytes(message));
  return to_hex(std::span<const std::uint8_t>(mac.data(), kNameHashHexDigits / 2));
}

json string_attr(std::string_view key, std::string_view value) {
  return {{"key", key}, {"value", {{"stringValue", value}}}};
}

// OTLP JSON writes 64-bit integers as decimal strings.
json int_attr(std::string_view key, std::int64_t value) {
  return {{"key", key}, {"value", {{"intValue", std::to_string(value)}}}};
}

json bool_attr(std::string_view key, bool value) {
  return {{"key", key}, {"value", {{"boolValue", value}}}};
}

json strings_attr(std::string_view key, const std::vector<std::string>& values) {
  json items = json::array();
  for (const auto& v : values) items.push_back({{"stringValue", v}});
  return {{"key", key}, {"value", {{"arrayValue", {{"values", items}}}}}};
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SecretBytes> read_salt(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error(Code::io, fmt::format("cannot stat {}", path));
  if (!S_ISREG(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 077) != 0) {
    return fail(
        Code::denied,
        fmt::format("{} is not a private file of this user (mode {:o})", path, st.st_mode & 07777),
        fmt::format("run 'chmod 600 {}', or remove it to make a new salt", path));
  }
  if (st.st_size != static_cast<off_t>(kExportSaltSize)) {
    return fail(Code::corrupt,
                fmt::format("{} does not hold a {}-byte salt", path, kExportSaltSize),
                "remove it to make a new one (exported names will hash differently)");
  }
  SecretBytes salt(kExportSaltSize);
  TRY(read_exact(fd, salt.data(), salt.size()));
  return salt;
}

// Writes a new salt beside path and links it into place, so a racing
// process either wins or reads the complete salt of the winner.
Status create_salt(const std::string& path) {
  std::string tmp = path + ".tmp.XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return errno_error(Code::io, fmt::format("cannot create a file beside {}", path));
  SecretBytes salt = SecretBytes::random(kExportSaltSize);
  Status written = write_all(fd.get(), salt.data(), salt.size());
  if (written && ::fsync(fd.get()) != 0) written = errno_error(Code::io, "cannot sync " + tmp);
  if (written && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    written = errno_error(Code::io, fmt::format("cannot create {}", path));
  }
  ::unlink(tmp.c_str());
  return written;
}

const char* severity_text(std::string_view outcome) {
  if (outcome == "denied") return "WARN";
  if (outcome == "error") return "ERROR";
  return "INFO";
}

int severity_number(std::string_view outcome) {
  if (outcome == "denied") return 13;
  if (outcome == "error") return 17;
  return 9;
}

}  // namespace

std::string default_export_salt_path() {
  return state_dir() + "/export-salt";
}

Result<SecretBytes> load_or_create_export_salt(const std::string& path) {
  TRY(ensure_private_dir(dirname_of(path)));
  for (int attempt = 0; attempt < 2; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd) return read_salt(fd.get(), path);
    if (errno != ENOENT) return errno_error(Code::io, fmt::format("cannot open {}", path));
    TRY(create_salt(path));
  }
  return fail(Code::io, fmt::format("cannot create {}", path));
}

std::string hashed_secret_name(const SecretBytes& salt, std::string_view name) {
  return short_hmac(salt, "secret:", name);
}

std::string hashed_host_name(const SecretBytes& salt, std::string_view host) {
  return short_hmac(salt, "host:", host);
}

bool is_exportable(const Event& e) {
  return !e.event.starts_with("audit.");
}

std::string otlp_log_record(const Event& e, const SecretBytes& salt) {
  auto hash_all = [&](const std::vector<std::string>& names) {
    std::vector<std::string> out;
    out.reserve(names.size());
    for (const auto& n : names) out.push_back(hashed_secret_name(salt, n));
    return out;
  };
  const Actor& a = e.actor;
  json attrs = json::array();
  attrs.push_back(string_attr("ward.event", e.event));
  attrs.push_back(string_attr("ward.outcome", e.outcome));
  attrs.push_back(int_attr("ward.seq", e.seq));
  attrs.push_back(strings_attr("ward.secrets", hash_all(e.secrets)));
  if (!e.denied.empty()) attrs.push_back(strings_attr("ward.denied", hash_all(e.denied)));
  attrs.push_back(int_attr("process.pid", a.pid));
  attrs.push_back(int_attr("process.parent_pid", a.ppid));
  attrs.push_back(int_attr("process.user.id", a.uid));
  attrs.push_back(string_attr("process.executable.name", basename_of(a.exe)));
  attrs.push_back(string_attr("ward.actor.comm", a.comm));
  attrs.push_back(strings_attr("ward.actor.ancestry", a.ancestry));
  attrs.push_back(bool_attr("ward.actor.tty_present", !a.tty.empty()));
  if (!a.agent_name.empty()) attrs.push_back(string_attr("ward.agent.name", a.agent_name));
  if (!a.agent_via.empty()) attrs.push_back(string_attr("ward.agent.via", a.agent_via));
  if (!e.tool.empty()) attrs.push_back(string_attr("ward.tool", basename_of(e.tool)));

  json record = {
      {"timeUnixNano", std::to_string(e.ts * 1000)}, {"severityNumber", severity_number(e.outcome)},
      {"severityText", severity_text(e.outcome)},    {"eventName", "ward." + e.event},
      {"body", {{"stringValue", e.event}}},          {"attributes", std::move(attrs)},
  };
  return dump(record);
}

std::string otlp_payload(std::span<const std::string> records, const OtlpResource& resource) {
  json attrs = json::array({string_attr("service.name", resource.service_name)});
  if (!resource.host_id.empty()) attrs.push_back(string_attr("host.id", resource.host_id));
  json scope = {{"name", "ward.audit"}, {"version", WARD_VERSION}};
  std::string out = R"({"resourceLogs":[{"resource":{"attributes":)";
  out += dump(attrs);
  out += R"(},"scopeLogs":[{"scope":)";
  out += dump(scope);
  out += R"(,"logRecords":[)";
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i) out += ',';
    out += records[i];
  }
  out += "]}]}]}";
  return out;
}

}  // namespace ward::audit
