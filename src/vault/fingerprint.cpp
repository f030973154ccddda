#include "vault/fingerprint.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace ward {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kPrefixes = {{
    {"sk-ant-", "anthropic-key"},
    {"sk-proj-", "openai-key"},
    {"sk-", "openai-key"},
    {"ghp_", "github-token"},
    {"github_pat_", "github-token"},
    {"gho_", "github-token"},
    {"glpat-", "gitlab-token"},
    {"xox", "slack-token"},
    {"AKIA", "aws-access-key"},
    {"ASIA", "aws-access-key"},
    {"AIza", "google-api-key"},
    {"hf_", "huggingface-token"},
    {"sk_live_", "stripe-key"},
    {"rk_live_", "stripe-key"},
    {"-----BEGIN", "pem-private-key"},
    {"postgres://", "database-url"},
    {"postgresql://", "database-url"},
    {"mysql://", "database-url"},
}};

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

}  // namespace

Fingerprint fingerprint_of(const SecretBytes& value) {
  Fingerprint fp;
  std::string_view text = value.view();
  fp.length = text.size();
  fp.kind = "secret";
  for (const auto& [prefix, kind] : kPrefixes) {
    if (text.starts_with(prefix)) {
      fp.kind = kind;
      break;
    }
  }
  if (text.starts_with("sk_live_") || text.starts_with("rk_live_")) fp.kind = "stripe-key";
  if (text.starts_with("eyJ") && std::count(text.begin(), text.end(), '.') == 2) fp.kind = "jwt";
  if (!printable(text)) {
    if (fp.kind == "secret")
      fp.kind = text.find('\n') != std::string_view::npos ? "text" : "binary";
    return fp;  // multi-line or binary: no preview
  }
  // Reveal at most a quarter of the characters, and never more than 4 + 2.
  std::size_t show = std::min<std::size_t>(6, text.size() / 4);
  std::size_t head = std::min<std::size_t>(4, (show * 2 + 2) / 3);
  std::size_t tail = std::min<std::size_t>(2, show - std::min(show, head));
  if (show == 0) return fp;
  fp.preview = std::string(text.substr(0, head)) + "\u2026" +
               std::string(text.substr(text.size() - tail, tail));
  return fp;
}

}  // namespace ward
