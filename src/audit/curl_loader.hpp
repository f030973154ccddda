// HTTP POST through libcurl, loaded with dlopen("libcurl.so.4") on first
// use rather than linked: every ward process pays for what it links at
// start-up (ARCHITECTURE.md), and only an export needs HTTP. The function
// pointers take their types from <curl/curl.h>, so a mismatch with the
// header is a compile error, not a crash.
//
// Header lines (from a vault secret) stay in SecretBytes until each is
// handed to curl_slist_append; curl copies them into ordinary memory, which
// is wiped before the list is freed. What curl copies while it builds the
// request is beyond our reach; the secret never passes through a
// std::string, an error message or curl's verbose output (off).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward::audit {

struct HttpResponse {
  long status = 0;
  std::string retry_after;  // the Retry-After header, "" when absent
};

// Splits "Name: value" lines (LF or CRLF; blank lines skipped) into one
// NUL-terminated SecretBytes each. invalid_input, quoting nothing of the
// value, when a line has no "Name:" or a control character.
Result<std::vector<SecretBytes>> split_header_lines(const SecretBytes& lines);

// One connection-reusing curl handle; not for use by two threads at once.
class HttpClient {
 public:
  // Loads libcurl once per process. unavailable (with an install hint)
  // when libcurl.so.4 or one of its functions is missing.
  static Result<HttpClient> open();
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // POSTs body as application/json to url (http or https, no redirects)
  // with the given header lines, giving up after timeout_ms. Any HTTP
  // status is a response; timeout when it took too long, unavailable when
  // the endpoint could not be reached or the connection broke, io else.
  Result<HttpResponse> post_json(const std::string& url, std::string_view body,
                                 const std::vector<SecretBytes>& headers, std::int64_t timeout_ms);

 private:
  HttpClient() = default;
  void* handle_ = nullptr;  // CURL*
};

}  // namespace ward::audit
