#include "audit/curl_loader.hpp"

#include <dlfcn.h>
#include <string.h>

#include <mutex>
#include <utility>

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <fmt/format.h>

#include "util/strings.hpp"

namespace ward::audit {

namespace {

// The libcurl functions ward calls, typed from the header.
struct CurlApi {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_reset) easy_reset = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
};

CurlApi g_api;
std::string g_load_error;

template <class Fn>
bool bind(void* lib, const char* name, Fn& out) {
  out = reinterpret_cast<Fn>(::dlsym(lib, name));
  if (!out) g_load_error = fmt::format("libcurl.so.4 has no {}", name);
  return out != nullptr;
}

void load_once() {
  // Never closed: libcurl keeps global state for the life of the process.
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* why = ::dlerror();
    g_load_error = fmt::format("cannot load libcurl.so.4: {}", why ? why : "unknown error");
    return;
  }
  CurlApi api;
  bool ok = bind(lib, "curl_global_init", api.global_init) &&
            bind(lib, "curl_easy_init", api.easy_init) &&
            bind(lib, "curl_easy_setopt", api.easy_setopt) &&
            bind(lib, "curl_easy_perform", api.easy_perform) &&
            bind(lib, "curl_easy_getinfo", api.easy_getinfo) &&
            bind(lib, "curl_easy_reset", api.easy_reset) &&
            bind(lib, "curl_easy_cleanup", api.easy_cleanup) &&
            bind(lib, "curl_easy_strerror", api.easy_strerror) &&
            bind(lib, "curl_slist_append", api.slist_append) &&
            bind(lib, "curl_slist_free_all", api.slist_free_all);
  if (!ok) return;
  if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    g_load_error = "libcurl failed to initialise";
    return;
  }
  g_api = api;
}

Result<const CurlApi*> curl_api() {
  static std::once_flag once;
  std::call_once(once, load_once);
  if (!g_api.easy_init) {
    return fail(Code::unavailable, g_load_error, "install libcurl4 (apt-get install libcurl4)");
  }
  return &g_api;
}

std::size_t discard_body(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

std::size_t capture_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    resp->retry_after.clear();  // a new response (after 100 Continue, say)
  } else if (to_lower(line.substr(0, 12)) == "retry-after:") {
    resp->retry_after = std::string(trim(line.substr(12)));
  }
  return size * n;
}

// The header list, wiped before it is freed.
class HeaderList {
 public:
  explicit HeaderList(const CurlApi& api) : api_(api) {}
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() {
    for (curl_slist* node = list_; node; node = node->next) {
      if (node->data) ::explicit_bzero(node->data, ::strlen(node->data));
    }
    api_.slist_free_all(list_);
  }
  bool append(const char* line) {
    curl_slist* next = api_.slist_append(list_, line);
    if (!next) return false;
    list_ = next;
    return true;
  }
  curl_slist* get() const { return list_; }

 private:
  const CurlApi& api_;
  curl_slist* list_ = nullptr;
};

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

Result<std::vector<SecretBytes>> split_header_lines(const SecretBytes& lines) {
  std::vector<SecretBytes> out;
  std::string_view all = lines.view();
  std::size_t number = 0;
  while (!all.empty()) {
    std::size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view() : all.substr(nl + 1);
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (trim(line).empty()) continue;
    std::size_t colon = line.find(':');
    bool ok = colon != std::string_view::npos && colon > 0;
    for (std::size_t i = 0; ok && i < colon; ++i) ok = is_token_char(line[i]);
    for (char c : line) {
      ok = ok && (static_cast<unsigned char>(c) >= ' ' || c == '\t') && c != 0x7f;
    }
    if (!ok) {
      return fail(Code::invalid_input,
                  fmt::format("line {} of the export headers secret is not 'Name: value'", number),
                  "store lines like 'Authorization: Bearer TOKEN' with 'ward set PATH --stdin'");
    }
    SecretBytes copy(line.size() + 1);  // zero-filled: the last byte ends the C string
    ::memcpy(copy.data(), line.data(), line.size());
    out.push_back(std::move(copy));
  }
  return out;
}

Result<HttpClient> HttpClient::open() {
  const CurlApi* api = TRY(curl_api());
  HttpClient client;
  client.handle_ = api->easy_init();
  if (!client.handle_) return fail(Code::internal, "curl_easy_init failed");
  return client;
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  std::swap(handle_, other.handle_);
  return *this;
}

HttpClient::~HttpClient() {
  if (handle_) g_api.easy_cleanup(handle_);
}

Result<HttpResponse> HttpClient::post_json(const std::string& url, std::string_view body,
                                           const std::vector<SecretBytes>& headers,
                                           std::int64_t timeout_ms) {
  const CurlApi& api = *TRY(curl_api());
  CURL* h = handle_;
  HeaderList list(api);
  bool listed = list.append("Content-Type: application/json") && list.append("Expect:");
  for (const auto& line : headers) {
    listed = listed && list.append(reinterpret_cast<const char*>(line.data()));
  }
  if (!listed) return fail(Code::internal, "cannot build the request headers");

  HttpResponse resp;
  api.easy_reset(h);
  api.easy_setopt(h, CURLOPT_URL, url.c_str());
  // Only http(s), never a redirect: the auth headers go to the endpoint
  // the user configured and nowhere else. (Unknown to libcurl < 7.85.)
  api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  // Plain http is only allowed to loopback: never through a proxy from the
  // environment, which would see the body and the headers in clear.
  if (to_lower(std::string_view(url).substr(0, 7)) == "http://") {
    api.easy_setopt(h, CURLOPT_NOPROXY, "*");
  }
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(h, CURLOPT_POST, 1L);
  api.easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  api.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  api.easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
  api.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  api.easy_setopt(h, CURLOPT_USERAGENT, "ward/" WARD_VERSION);
  api.easy_setopt(h, CURLOPT_WRITEFUNCTION, &discard_body);
  api.easy_setopt(h, CURLOPT_HEADERFUNCTION, &capture_header);
  api.easy_setopt(h, CURLOPT_HEADERDATA, &resp);
  CURLcode rc = api.easy_perform(h);
  api.easy_setopt(h, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
  if (rc != CURLE_OK) {
    std::string why = fmt::format("cannot post to the export endpoint: {}", api.easy_strerror(rc));
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return fail(Code::timeout, why);
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_PARTIAL_FILE:
      case CURLE_SSL_CONNECT_ERROR:
        return fail(Code::unavailable, why);
      default:
        return fail(Code::io, why);
    }
  }
  api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

}  // namespace ward::audit
