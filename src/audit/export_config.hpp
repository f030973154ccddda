// The OTLP export settings, read from the user's config.yaml:
//
//   audit:
//     export:
//       otlp:
//         endpoint: https://collector.example:4318/v1/logs
//         headers_secret: otel/headers   # optional: a vault secret of header lines
//         batch: 100                     # records per request, 1..1000
//         queue: 10000                   # records waiting at most, batch..1000000
//         timeout: 5s                    # per request, 1s..5m
//         service_name: ward
//
// Other sections of the file (audit.suspicious, ...) belong to other parts
// of ward and are ignored here; an unknown key inside audit.export is an
// error, so that a typo does not silently turn a setting off. The endpoint
// is https, or http only to a loopback address; it carries no credentials
// (they live in the vault, named by headers_secret). A config file that is
// group/world writable or not the user's own is refused: it decides where
// the audit trail goes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ward::audit {

struct OtlpConfig {
  std::string endpoint;
  std::string headers_secret;  // "" for none
  std::size_t batch = 100;
  std::size_t queue = 10000;
  std::int64_t timeout_ms = 5000;
  std::string service_name = "ward";
};

// The audit.export.otlp section of yaml_text, nullopt when there is none.
// invalid_input naming source and line for a bad value or unknown key.
Result<std::optional<OtlpConfig>> parse_export_config(std::string_view yaml_text,
                                                      const std::string& source);

// Reads and parses the file at path: nullopt when it does not exist or has
// no export section; denied when it is group/world writable or someone
// else's (the file or its directory).
Result<std::optional<OtlpConfig>> load_export_config(const std::string& path);

// Checks an endpoint URL as described above and returns it, with /v1/logs
// appended when it has no path. invalid_input otherwise.
Result<std::string> check_endpoint(std::string_view url);

}  // namespace ward::audit
