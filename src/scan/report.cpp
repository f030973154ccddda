#include "scan/report.hpp"

#include <sodium.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "crypto/primitives.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace ward::scan {

namespace {

using nlohmann::json;

// Public on purpose: fingerprints must agree between machines and runs
// (a team shares .wardignore and baselines). It only separates this hash
// from other uses of BLAKE2b.
constexpr std::string_view kFingerprintKey = "ward scan fingerprint, version 1";
constexpr std::size_t kHashBytes = 6;

std::string short_commit(const std::string& commit) {
  return commit.empty() ? "staged" : commit.substr(0, 12);
}

std::string location(const Exposure& e) {
  return e.line ? fmt::format("{}:{}:{}", e.path, e.line, e.column) : e.path;
}

}  // namespace

std::string_view source_name(Source source) {
  switch (source) {
    case Source::file: return "file";
    case Source::git: return "git";
    case Source::process: return "process";
    case Source::agent: return "agent";
  }
  return "file";
}

std::string value_hash(std::string_view value) {
  std::array<unsigned char, kHashBytes> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(value.data()),
                     value.size(), reinterpret_cast<const unsigned char*>(kFingerprintKey.data()),
                     kFingerprintKey.size());
  return to_hex(std::span<const std::uint8_t>(out.data(), out.size()));
}

std::string Exposure::preview() const {
  std::string p = fmt::format("{}, {} chars, #{}", rule, length, hash.substr(0, 6));
  if (!encoding.empty()) p += ", " + encoding;
  return p;
}

bool allowed_inline(std::string_view text, std::size_t offset) {
  std::size_t begin = text.rfind('\n', offset);
  begin = begin == std::string_view::npos ? 0 : begin + 1;
  std::size_t end = text.find('\n', offset);
  std::string_view line = text.substr(begin, end == std::string_view::npos ? end : end - begin);
  return line.find("ward:allow") != std::string_view::npos;
}

Status Suppressions::add_ignore_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error().code == Code::not_found ? Status{} : tl::unexpected(text.error());
  for (std::string_view line : split(*text, '\n')) {
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    fingerprints_.emplace(line);
  }
  return {};
}

Status Suppressions::add_baseline(const std::string& path) {
  std::string text = TRY(read_file(path));
  json doc = json::parse(text, nullptr, false);
  auto bad = [&] {
    return fail(Code::invalid_input, fmt::format("{}: not a ward scan --json report", path),
                "write one with: ward scan files --json PATH > baseline.json");
  };
  if (!doc.is_object() || !doc.contains("findings") || !doc["findings"].is_array()) return bad();
  for (const json& f : doc["findings"]) {
    if (!f.is_object() || !f.contains("fingerprint") || !f["fingerprint"].is_string()) return bad();
    fingerprints_.insert(f["fingerprint"].get<std::string>());
  }
  return {};
}

bool Suppressions::suppressed(const Exposure& e) const {
  return fingerprints_.contains(e.fingerprint);
}

std::string to_json(const std::vector<Exposure>& found, const ScanStats& stats) {
  json findings = json::array();
  auto or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  for (const Exposure& e : found) {
    json f = {{"rule", e.rule},
              {"description", e.description},
              {"source", source_name(e.source)},
              {"path", e.path},
              {"line", e.line},
              {"column", e.column},
              {"length", e.length},
              {"encoding", or_null(e.encoding)},
              {"fingerprint", e.fingerprint},
              {"preview", e.preview()},
              {"managed", or_null(e.managed)}};
    if (e.source == Source::git) {
      f["commit"] = or_null(e.commit);
      f["author"] = e.author;
      f["time"] = e.time;
    }
    if (e.source == Source::process) {
      f["pid"] = e.pid;
      f["process"] = e.process;
      f["variable"] = e.variable;
    }
    if (e.source == Source::agent) f["agent"] = e.agent;
    findings.push_back(std::move(f));
  }
  json out = {{"version", 1},
              {"findings", std::move(findings)},
              {"stats",
               {{"files", stats.files},
                {"bytes", stats.bytes},
                {"skipped", stats.skipped},
                {"suppressed", stats.suppressed},
                {"findings", found.size()},
                {"seconds", stats.seconds}}}};
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string to_sarif(const std::vector<Exposure>& found) {
  json rules = json::array();
  std::map<std::string, std::size_t, std::less<>> index;
  for (const Exposure& e : found) {
    if (index.contains(e.rule)) continue;
    index.emplace(e.rule, rules.size());
    rules.push_back({{"id", e.rule},
                     {"name", e.rule},
                     {"shortDescription", {{"text", e.description}}},
                     {"defaultConfiguration", {{"level", "error"}}}});
  }
  json results = json::array();
  for (const Exposure& e : found) {
    json region = {{"startLine", std::max<std::size_t>(e.line, 1)}};
    if (e.column) {
      region["startColumn"] = e.column;
      region["endColumn"] = e.column + e.length;
    }
    std::string where = e.source == Source::git
                            ? fmt::format(" in commit {}", short_commit(e.commit))
                            : std::string();
    json r = {
        {"ruleId", e.rule},
        {"ruleIndex", index[e.rule]},
        {"level", "error"},
        {"message", {{"text", fmt::format("{}{}: {}", e.description, where, e.preview())}}},
        {"locations",
         json::array({{{"physicalLocation",
                        {{"artifactLocation", {{"uri", e.path.empty() ? e.process : e.path}}},
                         {"region", region}}}}})},
        {"partialFingerprints", {{"wardFingerprint/v1", e.fingerprint}}}};
    results.push_back(std::move(r));
  }
  json sarif = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", json::array({{{"tool",
                              {{"driver",
                                {{"name", "ward"},
                                 {"version", WARD_VERSION},
                                 {"rules", std::move(rules)}}}}},
                             {"results", std::move(results)}}})}};
  return sarif.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::vector<std::vector<std::string>> to_table(const std::vector<Exposure>& found, Source source) {
  std::vector<std::vector<std::string>> rows;
  auto managed = [](const Exposure& e) { return e.managed.empty() ? "" : "vault:" + e.managed; };
  switch (source) {
    case Source::file:
      rows.push_back({"LOCATION", "RULE", "PREVIEW", "MANAGED"});
      for (const Exposure& e : found) rows.push_back({location(e), e.rule, e.preview(), managed(e)});
      break;
    case Source::git:
      rows.push_back({"COMMIT", "AUTHOR", "LOCATION", "RULE", "PREVIEW"});
      for (const Exposure& e : found) {
        rows.push_back({short_commit(e.commit), e.author, location(e), e.rule, e.preview()});
      }
      break;
    case Source::process:
      rows.push_back({"PID", "PROCESS", "VARIABLE", "DETECTOR", "PREVIEW", "MANAGED"});
      for (const Exposure& e : found) {
        rows.push_back({std::to_string(e.pid), e.process, e.variable, e.rule, e.preview(),
                        managed(e)});
      }
      break;
    case Source::agent:
      rows.push_back({"AGENT", "LOCATION", "RULE", "PREVIEW"});
      for (const Exposure& e : found) rows.push_back({e.agent, location(e), e.rule, e.preview()});
      break;
  }
  return rows;
}

}  // namespace ward::scan
