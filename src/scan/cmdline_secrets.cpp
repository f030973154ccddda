// secret_arguments (declared in scan/processes.hpp): the command-line
// arguments that carry a secret by their shape. Everything here works on
// views of the arguments; no copy of a secret is made, only offsets are
// returned, and no regex runs: a command line is a few short strings, read
// with a handful of prefix and suffix tests per argument.
#include <algorithm>
#include <array>
#include <string_view>

#include "scan/processes.hpp"

namespace ward::scan {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != b[i]) return false;
  }
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view basename_view(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A value that stands for a secret instead of being one: an unexpanded
// variable, a mask, a <name in brackets>, a yes/no.
bool stands_in(std::string_view v) {
  if (v.empty() || v == "-" || v.front() == '$') return true;
  if (v.find_first_not_of("*xX.#-_") == std::string_view::npos) return true;
  auto wrapped = [&](char open, char close) {
    return v.size() >= 2 && v.front() == open && v.back() == close;
  };
  if (wrapped('<', '>') || wrapped('{', '}') || wrapped('[', ']') || wrapped('%', '%')) return true;
  static constexpr std::array<std::string_view, 17> kWords = {
      "true",      "false",    "yes",    "no",     "on",    "off",      "null",   "none",  "nil",
      "undefined", "password", "passwd", "secret", "token", "redacted", "hidden", "masked"};
  for (std::string_view word : kWords) {
    if (iequals(v, word)) return true;
  }
  return istarts_with(v, "your-") || istarts_with(v, "your_");
}

// The command an argument belongs to, for options only some tools give a
// secret (mysql -pX, but ssh -p PORT).
enum class Tool { other, mysql, sshpass, redis_cli, ldap, curl };

Tool tool_of(std::string_view word) {
  std::string_view name = basename_view(word);
  static constexpr std::array<std::string_view, 16> kMysql = {
      "mysql",         "mysqladmin",   "mysqldump",     "mysqlimport",
      "mysqlcheck",    "mysqlshow",    "mysqlslap",     "mysqlpump",
      "mariadb",       "mariadb-dump", "mariadb-admin", "mariadb-import",
      "mariadb-check", "mariadb-show", "mariadb-slap",  "mysqlbinlog"};
  for (std::string_view m : kMysql) {
    if (name == m) return Tool::mysql;
  }
  if (name == "sshpass") return Tool::sshpass;
  if (name == "redis-cli") return Tool::redis_cli;
  if (name == "curl") return Tool::curl;
  if (name.starts_with("ldap") && name.size() > 4) return Tool::ldap;
  return Tool::other;
}

// openssl-style password sources that name where a password is, not it.
bool password_source(std::string_view v) {
  return v.starts_with("env:") || v.starts_with("file:") || v.starts_with("fd:") || v == "stdin";
}

// What secret a flag or variable name announces (nullptr for none). Names
// compare lower case with '_' and '.' read as '-'; they match when they end
// like a secret (db_password, --client-secret), or with whole_name only when
// they are one (-password, -storepass: a single-dash flag whose value is the
// next argument; -psecret is more likely a letter and its value).
const char* name_kind(std::string_view raw, bool whole_name) {
  char buf[128];
  if (raw.empty() || raw.size() > sizeof buf) return nullptr;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = lower(raw[i]);
    buf[i] = (c == '_' || c == '.') ? '-' : c;
  }
  std::string_view name(buf, raw.size());
  static constexpr std::array<std::string_view, 8> kNotValues = {
      "no-", "ask-", "prompt-", "show-", "print-", "use-", "require-", "skip-"};
  for (std::string_view p : kNotValues) {
    if (name.starts_with(p)) return nullptr;
  }
  static constexpr std::array<std::string_view, 9> kPass = {
      "pass",         "passin",        "passout",    "storepass",  "keypass",
      "srcstorepass", "deststorepass", "srckeypass", "destkeypass"};
  for (std::string_view p : kPass) {
    if (name == p) return "password-flag";
  }
  struct Ending {
    std::string_view suffix;
    const char* kind;
  };
  static constexpr std::array<Ending, 9> kEndings = {{{"password", "password-flag"},
                                                      {"passwd", "password-flag"},
                                                      {"passphrase", "password-flag"},
                                                      {"token", "token-flag"},
                                                      {"api-key", "api-key-flag"},
                                                      {"apikey", "api-key-flag"},
                                                      {"secret", "secret-flag"},
                                                      {"secret-key", "secret-flag"},
                                                      {"secret-access-key", "secret-flag"}}};
  for (const Ending& e : kEndings) {
    if (whole_name ? name == e.suffix : name.ends_with(e.suffix)) return e.kind;
  }
  return nullptr;
}

struct Collector {
  std::vector<ArgSecret>& out;
  void add(std::size_t arg, std::size_t offset, std::string_view value, const char* kind) {
    if (stands_in(value)) return;
    out.push_back(ArgSecret{arg, offset, value.size(), kind});
  }
};

// "Authorization: Bearer X", "X-Api-Key: X" (also after -H or --header=).
void header_secret(std::string_view arg, std::size_t index, Collector& found) {
  std::size_t base = 0;
  if (arg.starts_with("--header=")) {
    base = 9;
  } else if (arg.starts_with("-H")) {
    base = 2;
  }
  std::size_t colon = arg.find(':', base);
  if (colon == std::string_view::npos) return;
  std::size_t name_begin = arg.find_first_not_of(' ', base);
  std::size_t name_end = arg.find_last_not_of(' ', colon - 1) + 1;
  if (name_begin >= name_end) return;
  std::string_view name = arg.substr(name_begin, name_end - name_begin);
  for (char c : name) {
    if (!is_alpha(c) && !is_digit(c) && c != '-') return;
  }
  std::size_t value_begin = arg.find_first_not_of(' ', colon + 1);
  if (value_begin == std::string_view::npos) return;
  std::size_t value_end = arg.find_last_not_of(" \r\n") + 1;
  std::string_view value = arg.substr(value_begin, value_end - value_begin);

  if (iequals(name, "authorization") || iequals(name, "proxy-authorization")) {
    std::size_t space = value.find(' ');
    if (space == std::string_view::npos) {
      found.add(index, value_begin, value, "bearer-header");
      return;
    }
    std::string_view scheme = value.substr(0, space);
    std::size_t cred = value.find_first_not_of(' ', space);
    if (cred == std::string_view::npos) return;
    const char* kind = nullptr;
    if (iequals(scheme, "bearer") || iequals(scheme, "token")) kind = "bearer-header";
    if (iequals(scheme, "basic")) kind = "basic-header";
    if (kind != nullptr) found.add(index, value_begin + cred, value.substr(cred), kind);
    return;
  }
  static constexpr std::array<std::string_view, 8> kKeyHeaders = {
      "x-api-key",     "api-key",        "apikey",         "x-auth-token",
      "private-token", "x-access-token", "x-goog-api-key", "x-vault-token"};
  for (std::string_view h : kKeyHeaders) {
    if (iequals(name, h)) {
      found.add(index, value_begin, value, "api-key-header");
      return;
    }
  }
}

// scheme://user:PASS@host anywhere in arg; skips spans already reported.
void url_credentials(std::string_view arg, std::size_t index, Collector& found,
                     std::size_t reported_from) {
  auto overlaps = [&](std::size_t offset, std::size_t length) {
    for (std::size_t k = reported_from; k < found.out.size(); ++k) {
      const ArgSecret& s = found.out[k];
      if (s.arg == index && offset < s.offset + s.length && s.offset < offset + length) return true;
    }
    return false;
  };
  std::size_t pos = 0;
  while ((pos = arg.find("://", pos)) != std::string_view::npos) {
    std::size_t scheme = pos;
    while (scheme > 0 &&
           (is_alpha(arg[scheme - 1]) || is_digit(arg[scheme - 1]) || arg[scheme - 1] == '+' ||
            arg[scheme - 1] == '-' || arg[scheme - 1] == '.')) {
      --scheme;
    }
    while (scheme < pos && !is_alpha(arg[scheme])) ++scheme;
    std::size_t begin = pos + 3;
    std::size_t end = std::min(arg.find_first_of("/?# \t\n\"'", begin), arg.size());
    pos = end;
    if (scheme == begin - 3) continue;
    std::string_view authority = arg.substr(begin, end - begin);
    std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos) continue;
    std::size_t colon = authority.substr(0, at).find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view password = authority.substr(colon + 1, at - colon - 1);
    if (!overlaps(begin + colon + 1, password.size())) {
      found.add(index, begin + colon + 1, password, "url-credentials");
    }
  }
}

// The value after a password option: openssl's pass:X holds X; env:NAME,
// file:PATH, fd:N and stdin only say where the password is.
void add_value(Collector& found, std::size_t index, std::size_t offset, std::string_view value,
               const char* kind) {
  if (value.starts_with("pass:")) {
    found.add(index, offset + 5, value.substr(5), kind);
  } else if (!password_source(value)) {
    found.add(index, offset, value, kind);
  }
}

bool identifier(std::string_view name) {
  if (name.empty() || !(is_alpha(name.front()) || name.front() == '_')) return false;
  for (char c : name) {
    if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

std::vector<ArgSecret> secret_arguments(const std::vector<std::string>& argv) {
  std::vector<ArgSecret> out;
  Collector found{out};
  Tool tool = argv.empty() ? Tool::other : tool_of(argv[0]);
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string_view arg = argv[i];
    std::size_t first = out.size();
    bool has_next = i + 1 < argv.size();
    if (i > 0 && !arg.starts_with('-')) {
      Tool t = tool_of(arg);
      // sshpass's options end at the command it runs.
      if (t != Tool::other || tool == Tool::sshpass) tool = t;
    }
    if (i > 0) header_secret(arg, i, found);

    // Options that hold a password only for some tools.
    std::string_view attached;
    bool option = false;
    auto short_option = [&](char letter) {
      if (arg.size() < 2 || arg[0] != '-' || arg[1] != letter) return false;
      attached = arg.substr(2);
      return true;
    };
    if (i > 0 && tool == Tool::mysql && short_option('p')) {
      option = true;
      if (!attached.empty()) found.add(i, 2, attached, "tool-password");
    } else if (i > 0 && ((tool == Tool::sshpass && short_option('p')) ||
                         (tool == Tool::redis_cli && short_option('a')) ||
                         (tool == Tool::ldap && short_option('w')))) {
      option = true;
      if (!attached.empty()) {
        found.add(i, 2, attached, "tool-password");
      } else if (has_next) {
        found.add(i + 1, 0, argv[i + 1], "tool-password");
        ++i;
        continue;
      }
    } else if (i > 0 && tool == Tool::curl &&
               (short_option('u') || short_option('U') || arg == "--user" ||
                arg == "--proxy-user" || arg.starts_with("--user=") ||
                arg.starts_with("--proxy-user="))) {
      option = true;
      std::size_t at = 2;
      if (arg.starts_with("--")) {
        std::size_t eq = arg.find('=');
        at = eq == std::string_view::npos ? arg.size() : eq + 1;
      }
      std::size_t index = i;
      std::string_view credentials = arg.substr(at);
      if (credentials.empty() && has_next) {
        index = ++i;
        at = 0;
        credentials = argv[i];
      }
      std::size_t colon = credentials.find(':');
      if (colon != std::string_view::npos) {
        found.add(index, at + colon + 1, credentials.substr(colon + 1), "user-password");
      }
      url_credentials(argv[index], index, found, first);
      continue;
    }

    // --name=value, --name value, -Dname=value, NAME=value.
    if (!option && i > 0) {
      std::size_t dashes = arg.find_first_not_of('-');
      if (dashes != std::string_view::npos && dashes <= 2) {
        std::string_view body = arg.substr(dashes);
        std::size_t eq = body.find('=');
        if (eq != std::string_view::npos) {
          std::string_view name = body.substr(0, eq);
          const char* kind = nullptr;
          if (dashes > 0) {
            kind = name_kind(name, false);
          } else if (identifier(name) && name_kind(name, false) != nullptr) {
            kind = "secret-assignment";
          }
          if (kind != nullptr) add_value(found, i, dashes + eq + 1, body.substr(eq + 1), kind);
        } else if (dashes > 0 && has_next && tool != Tool::mysql) {
          const char* kind = name_kind(body, dashes == 1);
          std::string_view value = argv[i + 1];
          if (kind != nullptr && !value.starts_with('-')) {
            add_value(found, i + 1, 0, value, kind);
            ++i;
            continue;
          }
        }
      }
    }
    url_credentials(arg, i, found, first);
  }
  std::sort(out.begin(), out.end(), [](const ArgSecret& a, const ArgSecret& b) {
    return a.arg != b.arg ? a.arg < b.arg : a.offset < b.offset;
  });
  return out;
}

}  // namespace ward::scan
