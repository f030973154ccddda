// yaml-cpp reports syntax errors by throwing; every call into it happens
// inside one try block in parse_export_config and nothing thrown leaves it.
// Messages name keys and lines, never the values of headers or URLs beyond
// what is needed to say what is wrong.
#include "audit/export_config.hpp"

#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/paths.hpp"
#include "core/yaml_errors.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "vault/secret_path.hpp"

namespace ward::audit {

namespace {

constexpr std::string_view kEndpointHint =
    "use https://HOST[:PORT][/PATH], or http://127.0.0.1:PORT for a local collector";

class ConfigParser : public YamlErrors {
 public:
  explicit ConfigParser(std::string source) : YamlErrors(std::move(source)) {}

  Result<std::optional<OtlpConfig>> run(std::string_view text) {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root || root.IsNull()) return std::nullopt;
    if (!root.IsMap()) return error(root, "expected a map of sections");
    YAML::Node audit = root["audit"];
    if (!audit || audit.IsNull()) return std::nullopt;
    if (!audit.IsMap()) return error(audit, "'audit' must be a map");
    YAML::Node exp = audit["export"];
    if (!exp || exp.IsNull()) return std::nullopt;
    if (!exp.IsMap()) return error(exp, "'audit.export' must be a map");
    TRY(check_keys(exp, {"otlp"}, "audit.export"));
    YAML::Node otlp = exp["otlp"];
    if (!otlp || otlp.IsNull()) return std::nullopt;
    if (!otlp.IsMap()) return error(otlp, "'audit.export.otlp' must be a map");
    TRY(check_keys(otlp,
                   {"endpoint", "headers_secret", "batch", "queue", "timeout", "service_name"},
                   "audit.export.otlp"));
    return parse_otlp(otlp);
  }

 private:
  Status check_keys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                    std::string_view section) const {
    std::set<std::string> seen;
    for (const auto& item : map) {
      std::string key = item.first.IsScalar() ? item.first.Scalar() : std::string();
      bool ok = false;
      for (auto k : known) ok = ok || key == k;
      if (!ok) {
        return error(item.first, fmt::format("unknown key '{}' in {}", key, section),
                     fmt::format("known keys: {}", join({known.begin(), known.end()}, ", ")));
      }
      if (!seen.insert(key).second) {
        return error(item.first, fmt::format("duplicate key '{}' in {}", key, section));
      }
    }
    return {};
  }

  Result<std::string> scalar(const YAML::Node& node, std::string_view key) const {
    if (!node.IsScalar()) return error(node, fmt::format("'{}' must be a single value", key));
    return node.Scalar();
  }

  Result<std::int64_t> integer(const YAML::Node& node, std::string_view key, std::int64_t lo,
                               std::int64_t hi) const {
    std::string text = TRY(scalar(node, key));
    bool digits = !text.empty() && text.size() <= 9;
    for (char c : text) digits = digits && c >= '0' && c <= '9';
    std::int64_t value = digits ? std::stoll(text) : -1;
    if (!digits || value < lo || value > hi) {
      return error(node, fmt::format("'{}' must be a whole number from {} to {}", key, lo, hi));
    }
    return value;
  }

  Result<std::optional<OtlpConfig>> parse_otlp(const YAML::Node& otlp) const {
    OtlpConfig c;
    YAML::Node endpoint = otlp["endpoint"];
    if (!endpoint) {
      return error(otlp, "'audit.export.otlp' needs an endpoint", kEndpointHint);
    }
    auto url = check_endpoint(TRY(scalar(endpoint, "endpoint")));
    if (!url) return error(endpoint, url.error().message, url.error().hint);
    c.endpoint = *url;
    if (YAML::Node n = otlp["headers_secret"]) {
      c.headers_secret = TRY(scalar(n, "headers_secret"));
      if (auto ok = validate_secret_path(c.headers_secret); !ok) {
        return error(n, "'headers_secret' is not a secret path", ok.error().hint);
      }
    }
    if (YAML::Node n = otlp["batch"]) c.batch = TRY(integer(n, "batch", 1, 1000));
    if (YAML::Node n = otlp["queue"]) c.queue = TRY(integer(n, "queue", 1, 1000000));
    if (c.queue < c.batch) {
      return error(otlp, "'queue' must hold at least one batch",
                   fmt::format("raise queue to {} or more", c.batch));
    }
    if (YAML::Node n = otlp["timeout"]) {
      auto seconds = parse_duration_s(TRY(scalar(n, "timeout")));
      if (!seconds || *seconds < 1 || *seconds > 300) {
        return error(n, "'timeout' must be a duration from 1s to 5m", "for example: 5s");
      }
      c.timeout_ms = *seconds * 1000;
    }
    if (YAML::Node n = otlp["service_name"]) {
      c.service_name = TRY(scalar(n, "service_name"));
      bool ok = !c.service_name.empty() && c.service_name.size() <= 128;
      for (char ch : c.service_name) ok = ok && ch > ' ' && ch < 0x7f;
      if (!ok) return error(n, "'service_name' must be 1 to 128 printable characters");
    }
    return c;
  }
};

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  auto parts = split(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (const auto& p : parts) {
    if (p.empty() || p.size() > 3) return false;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
    }
    if (std::stoi(p) > 255) return false;
  }
  return true;
}

}  // namespace

Result<std::string> check_endpoint(std::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) {
      return fail(Code::invalid_input, "the endpoint holds spaces or control characters",
                  std::string(kEndpointHint));
    }
  }
  std::string lower = to_lower(url.substr(0, 8));
  bool https = lower.starts_with("https://");
  bool http = lower.starts_with("http://");
  if (!https && !http) {
    return fail(Code::invalid_input, "the endpoint must be an https:// URL",
                std::string(kEndpointHint));
  }
  std::string_view rest = url.substr(https ? 8 : 7);
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return fail(Code::invalid_input, "the endpoint must not carry credentials",
                "put headers in a vault secret named by headers_secret");
  }
  if (path.find('#') != std::string_view::npos) {
    return fail(Code::invalid_input, "the endpoint must not have a #fragment");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail(Code::invalid_input, "bad IPv6 endpoint");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      return fail(Code::invalid_input, "bad endpoint port", std::string(kEndpointHint));
    }
    port = after.empty() ? after : after.substr(1);
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return fail(Code::invalid_input, "bad endpoint port");
  }
  if (host.empty()) {
    return fail(Code::invalid_input, "the endpoint has no host", std::string(kEndpointHint));
  }
  bool port_ok = port.size() <= 5;
  for (char c : port) port_ok = port_ok && c >= '0' && c <= '9';
  if (!port_ok || (!port.empty() && std::stoi(std::string(port)) > 65535)) {
    return fail(Code::invalid_input, "bad endpoint port", std::string(kEndpointHint));
  }
  if (http && !is_loopback_host(to_lower(host))) {
    return fail(Code::invalid_input, "plain http is only allowed to a loopback address",
                "use https:// for a remote collector");
  }
  std::string out(url);
  if (path.empty() || path.starts_with('?')) out.insert(out.size() - path.size(), "/v1/logs");
  return out;
}

Result<std::optional<OtlpConfig>> parse_export_config(std::string_view yaml_text,
                                                      const std::string& source) {
  ConfigParser parser(source);
  return parser.guarded([&] { return parser.run(yaml_text); });
}

Result<std::optional<OtlpConfig>> load_export_config(const std::string& path) {
  auto text = TRY(read_owned_file(path, kMaxUserConfigSize));
  if (!text) return std::nullopt;
  return parse_export_config(*text, path);
}

}  // namespace ward::audit
