// ward import --scan PATH: moves the secrets found in .env and config files
// into the vault and rewrites each file to ${ward:PATH} references, every
// other byte kept. The detection engine finds the values, so every format
// (dotenv, YAML, JSON, TOML, ini) is handled the same way: the value's
// bytes are replaced in place, and the key it is assigned to names it.
#include "cli/import_scan.hpp"

#include <sys/stat.h>

#include <map>
#include <set>

#include <fmt/format.h>

#include "cli/output.hpp"
#include "core/paths.hpp"
#include "crypto/secret_io.hpp"
#include "scan/redact.hpp"
#include "scan/report.hpp"
#include "scan/rules.hpp"
#include "scan/walk.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "vault/secret_path.hpp"

namespace ward::cli {

namespace {

using namespace ward::scan;

constexpr std::size_t kMaxConfigSize = 4 << 20;

// Files a directory import looks at: what holds configuration.
bool config_like(std::string_view path) {
  std::string name = to_lower(basename_of(std::string(path)));
  if (name == ".env" || name.starts_with(".env.") || name.ends_with(".env")) return true;
  for (std::string_view ext :
       {".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf", ".properties"}) {
    if (name.ends_with(ext)) return true;
  }
  return false;
}

// The key a value at offset is assigned to on its line: `KEY=`, `export
// KEY=`, `key: `, `"key": "`, `key = '`. Empty when there is none.
std::string key_before(std::string_view text, std::size_t offset) {
  std::size_t begin = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  begin = begin == std::string_view::npos ? 0 : begin + 1;
  std::string_view before = text.substr(begin, offset - begin);
  auto drop_back = [&](std::string_view chars) {
    while (!before.empty() && chars.find(before.back()) != std::string_view::npos) {
      before.remove_suffix(1);
    }
  };
  drop_back(" \t\"'");
  if (before.empty() || (before.back() != '=' && before.back() != ':')) return {};
  before.remove_suffix(1);
  drop_back(" \t\"'");
  std::size_t end = before.size();
  while (!before.empty()) {
    char c = before.back();
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) break;
    before.remove_suffix(1);
  }
  return std::string(text.substr(begin + before.size(), end - before.size()));
}

// A secret path segment for a key: lower case, characters outside
// [a-z0-9._-] become '-'.
std::string segment_for(std::string_view key, std::string_view fallback) {
  std::string out;
  for (char c : key.empty() ? fallback : key) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out += ok ? c : '-';
  }
  while (!out.empty() && out.front() == '.') out.erase(0, 1);
  return out.empty() ? std::string(fallback) : out;
}

struct Move {
  std::string file;
  std::size_t line = 0;
  std::string rule;
  std::string path;       // where the value goes in the vault
  bool known = false;     // the vault already holds it there
  std::size_t value = 0;  // index into values
  std::size_t offset = 0, length = 0;
};

}  // namespace

Status cmd_import_scan(const Context& ctx, const ImportScanOptions& o) {
  std::string prefix(trim(o.prefix));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) TRY(validate_secret_path(prefix));

  std::vector<std::string> files;
  struct stat st {};
  if (::stat(o.path.c_str(), &st) != 0) {
    return fail(Code::not_found, fmt::format("no such file or directory: {}", o.path));
  }
  if (S_ISDIR(st.st_mode)) {
    WalkStats walked;
    for (WalkedFile& f : TRY(walk({o.path}, WalkOptions{}, walked))) {
      if (config_like(f.path)) files.push_back(std::move(f.path));
    }
  } else {
    files.push_back(o.path);
  }

  Scanner scanner = TRY(Scanner::build(TRY(default_rules()), cache_dir()));
  auto scratch = scanner.make_scratch();
  std::vector<SecretBytes> texts;
  std::vector<SecretBytes> values;
  std::vector<Move> moves;
  for (const std::string& file : files) {
    SecretBytes text = TRY(read_secret_file(file, kMaxConfigSize));
    std::string_view view = text.view();
    for (const Finding& f : scanner.scan(view, file, *scratch)) {
      if (allowed_inline(view, f.offset)) continue;
      Move m;
      m.file = file;
      m.line = f.line;
      m.rule = scanner.rules().rules[f.rule].id;
      m.offset = f.offset;
      m.length = f.length;
      std::string_view value = view.substr(f.offset, f.length);
      // The same value twice (two files, two keys) is stored once.
      m.value = values.size();
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i].view() == value) m.value = i;
      }
      if (m.value == values.size())
        values.push_back(SecretBytes::copy_of(value.data(), value.size()));
      m.path = segment_for(key_before(view, f.offset), m.rule);
      moves.push_back(std::move(m));
    }
    texts.push_back(std::move(text));
  }
  if (moves.empty()) {
    fmt::print(stderr, "no secrets found in {} file{}\n", files.size(),
               files.size() == 1 ? "" : "s");
    return {};
  }

  // Paths: a value the vault already holds keeps its path; a new one gets
  // prefix/key, numbered when the name is taken by another value.
  Store store = TRY(ctx.open_store());
  std::set<std::string> taken;
  for (const auto& info : TRY(store.list(""))) taken.insert(info.path);
  std::optional<AgentClient> agent = TRY(ctx.agent());
  std::optional<Vault> vault;
  if (!agent && !o.dry_run) vault.emplace(TRY(ctx.unlock_directly()));
  std::vector<std::optional<std::string>> existing(values.size());
  if (agent) {
    existing = TRY(vault_paths_of(*agent, values));
  } else if (vault) {
    // The same comparison the agent's match op makes, recorded the same way.
    std::vector<std::string> matched;
    for (const std::string& path : taken) {
      SecretBytes held = TRY(vault->get(path));
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (existing[i] || held.view() != values[i].view()) continue;
        existing[i] = path;
        if (matched.empty() || matched.back() != path) matched.push_back(path);
      }
    }
    audit::Event event = audit::make_event("scan.match", matched);
    event.reason = fmt::format("{} candidates", values.size());
    TRY(audit::record_here(std::move(event)));
  }
  std::vector<std::string> value_path(values.size());
  for (Move& m : moves) {
    if (existing[m.value]) {
      m.path = *existing[m.value];
      m.known = true;
      continue;
    }
    if (!value_path[m.value].empty()) {
      m.path = value_path[m.value];
      continue;
    }
    std::string base = (prefix.empty() ? "" : prefix + "/") + m.path;
    TRY(validate_secret_path(base));
    std::string path = base;
    for (int n = 2; taken.contains(path); ++n) path = fmt::format("{}-{}", base, n);
    taken.insert(path);
    value_path[m.value] = m.path = path;
  }

  std::vector<std::vector<std::string>> rows = {{"LOCATION", "RULE", "VAULT PATH"}};
  for (const Move& m : moves) {
    rows.push_back({printable(fmt::format("{}:{}", m.file, m.line)), m.rule,
                    m.path + (m.known ? " (already in the vault)" : "")});
  }
  if (o.dry_run) {
    print_table(rows);
    std::fflush(stdout);
    fmt::print(stderr, "would move {} secret{}; nothing changed\n", moves.size(),
               moves.size() == 1 ? "" : "s");
    return {};
  }

  // Values first: a file is rewritten only once what it held is stored.
  std::vector<std::string> stored;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (existing[i] || value_path[i].empty()) continue;
    if (agent) {
      Message req;
      req.body = {{"op", "set"}, {"path", value_path[i]}, {"event", "import"}};
      req.payload = values[i].clone();
      TRY(agent->call(req));
    } else {
      auto set = vault->set(value_path[i], values[i], {});
      if (!set) {
        audit::Event event = audit::make_event("import", stored, &set.error());
        (void)audit::record_here(std::move(event));
        return tl::unexpected(set.error());
      }
    }
    stored.push_back(value_path[i]);
  }
  if (vault) {
    audit::Event event = audit::make_event("import", stored, nullptr);
    event.tool = o.path;
    TRY(audit::record_here(std::move(event)));
  }
  for (std::size_t f = 0; f < files.size(); ++f) {
    std::vector<Replacement> edits;
    for (const Move& m : moves) {
      if (m.file == files[f]) edits.push_back({m.offset, m.length, "${ward:" + m.path + "}"});
    }
    if (edits.empty()) continue;
    TRY(redact_file(files[f], texts[f].view(), edits));
  }
  print_table(rows);
  std::fflush(stdout);
  fmt::print(stderr, "moved {} secret{} into the vault ({} new); the files now hold references\n",
             moves.size(), moves.size() == 1 ? "" : "s", stored.size());
  return {};
}

}  // namespace ward::cli
