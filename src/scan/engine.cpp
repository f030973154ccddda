#include "scan/engine.hpp"

#include <hs/hs.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "crypto/digest.hpp"
#include "util/file.hpp"

namespace ward::scan {

namespace {

// A rule's RE2 programs. Compiling them all costs tens of milliseconds,
// most of a short scan's start-up (`scan shell`), so when the rules come
// from the cache (which is written only after every regex compiled) each
// rule is compiled on its first hit instead.
struct Compiled {
  std::unique_ptr<RE2> re;
  std::vector<std::unique_ptr<RE2>> allow;  // the rule's allow regexes
  std::vector<std::unique_ptr<RE2>> paths;  // the rule's allow paths
  bool hyperscan = false;
  std::once_flag once;
};

RE2::Options re2_options() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

// ^ and $ match at line breaks, as Hyperscan's HS_FLAG_MULTILINE.
Result<std::unique_ptr<RE2>> compile_re2(const std::string& pattern, const std::string& what) {
  auto re = std::make_unique<RE2>("(?m)" + pattern, re2_options());
  if (!re->ok()) {
    return fail(Code::invalid_input, fmt::format("{}: invalid regex: {}", what, re->error()));
  }
  return re;
}

Result<std::vector<std::unique_ptr<RE2>>> compile_all(const std::vector<std::string>& patterns,
                                                      const std::string& what) {
  std::vector<std::unique_ptr<RE2>> out;
  for (const auto& p : patterns) out.push_back(TRY(compile_re2(p, what)));
  return out;
}

bool any_search(const std::vector<std::unique_ptr<RE2>>& res, std::string_view text) {
  for (const auto& re : res) {
    if (RE2::PartialMatch(text, *re)) return true;
  }
  return false;
}

constexpr std::array<unsigned char, 256> kLower = [] {
  std::array<unsigned char, 256> t{};
  for (int i = 0; i < 256; ++i)
    t[i] = static_cast<unsigned char>(i >= 'A' && i <= 'Z' ? i + 32 : i);
  return t;
}();

// Whether text holds one of words (lower case), ASCII case-insensitively.
// No lower-cased copy: text is a match, and a match holds a secret. Runs for
// every candidate against every stopword, so a table, not std::tolower.
bool contains_any(std::string_view text, const std::vector<std::string>& words) {
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  for (const auto& w : words) {
    if (w.empty() || w.size() > text.size()) continue;
    const auto* p = reinterpret_cast<const unsigned char*>(w.data());
    for (std::size_t i = 0, last = text.size() - w.size(); i <= last; ++i) {
      if (kLower[t[i]] != p[0]) continue;
      std::size_t j = 1;
      while (j < w.size() && kLower[t[i + j]] == p[j]) ++j;
      if (j == w.size()) return true;
    }
  }
  return false;
}

constexpr unsigned kHyperscanFlags = HS_FLAG_MULTILINE | HS_FLAG_SOM_LEFTMOST;
constexpr std::string_view kCacheMagic = "ward-hs-cache-1\n";

// The cache file's name: a digest of everything the compiled database
// depends on.
std::string cache_file(const std::string& dir, const RuleSet& rules) {
  Sha256 h;
  h.update(kCacheMagic).update(hs_version());
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) == HS_SUCCESS) {
    h.update(fmt::format("{}:{}", platform.tune, platform.cpu_features));
  }
  // Everything compiled, so that a cache hit means every regex compiled.
  auto add = [&](std::string_view text) { h.update(fmt::format("{}:", text.size())).update(text); };
  for (const auto& list : {rules.allow.regexes, rules.allow.paths}) {
    for (const auto& x : list) add(x);
  }
  for (const Rule& r : rules.rules) {
    add(r.regex);
    add(std::to_string(r.secret_group));
    for (const auto& x : r.allow.regexes) add(x);
    add("|");
    for (const auto& x : r.allow.paths) add(x);
    add("|");
  }
  Digest d = h.finish();
  return dir + "/rules-" + to_hex(std::span(d.data(), 16)) + ".hs";
}

// A cached database: the magic, the number of rules it holds and their
// ids (u32, native order), then hs_serialize_database's bytes.
hs_database_t* load_cached(const std::string& path, std::size_t rule_count,
                           std::vector<unsigned>& ids) {
  auto file = MappedFile::open(path);
  if (!file) return nullptr;
  std::string_view bytes = file->view();
  if (!bytes.starts_with(kCacheMagic)) return nullptr;
  bytes.remove_prefix(kCacheMagic.size());
  std::uint32_t n = 0;
  if (bytes.size() < sizeof n) return nullptr;
  std::memcpy(&n, bytes.data(), sizeof n);
  bytes.remove_prefix(sizeof n);
  if (n == 0 || n > rule_count || bytes.size() < n * sizeof(std::uint32_t)) return nullptr;
  std::vector<unsigned> loaded(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t id = 0;
    std::memcpy(&id, bytes.data() + i * sizeof id, sizeof id);
    if (id >= rule_count || (i > 0 && id <= loaded[i - 1])) return nullptr;
    loaded[i] = id;
  }
  bytes.remove_prefix(n * sizeof(std::uint32_t));
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(bytes.data(), bytes.size(), &db) != HS_SUCCESS) return nullptr;
  ids = std::move(loaded);
  return db;
}

void store_cached(const std::string& dir, const std::string& path, const hs_database_t* db,
                  const std::vector<unsigned>& ids) {
  char* bytes = nullptr;
  std::size_t size = 0;
  if (!ensure_private_dir(dir) || hs_serialize_database(db, &bytes, &size) != HS_SUCCESS) {
    return;
  }
  std::string out(kCacheMagic);
  auto n = static_cast<std::uint32_t>(ids.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  for (unsigned id : ids) {
    auto v = static_cast<std::uint32_t>(id);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  out.append(bytes, size);
  std::free(bytes);
  if (auto file = AtomicFile::create(path, 0600); file && file->write(out)) (void)file->commit();
}

struct Hit {
  unsigned rule;
  unsigned long long from;
  unsigned long long to;
};

}  // namespace

double shannon_entropy(std::string_view bytes) {
  if (bytes.empty()) return 0;
  std::array<std::size_t, 256> counts{};
  for (unsigned char c : bytes) ++counts[c];
  double n = static_cast<double>(bytes.size());
  double h = 0;
  for (std::size_t c : counts) {
    if (c == 0) continue;
    double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

// Compiles one rule's programs; invalid_input naming it.
Status compile_rule(const Rule& r, Compiled& c) {
  std::string what = fmt::format("rule {}", r.id);
  c.re = TRY(compile_re2(r.regex, what));
  if (r.secret_group > c.re->NumberOfCapturingGroups()) {
    return fail(Code::invalid_input,
                fmt::format("{}: secret_group {} but the regex has {} groups", what, r.secret_group,
                            c.re->NumberOfCapturingGroups()));
  }
  c.allow = TRY(compile_all(r.allow.regexes, what + " allow-list"));
  c.paths = TRY(compile_all(r.allow.paths, what + " allow-list paths"));
  return {};
}

struct Scanner::Impl {
  RuleSet rules;
  std::vector<std::unique_ptr<Compiled>> compiled;

  // Rule i's programs, compiled now if they were left for first use. A
  // rule that does not compile (only possible if the cache lied) never
  // matches.
  const Compiled& use(std::size_t i) const {
    Compiled& c = *compiled[i];
    std::call_once(c.once, [&] {
      if (!c.re && !compile_rule(rules.rules[i], c)) c.re.reset();
    });
    return c;
  }
  std::vector<std::unique_ptr<RE2>> allow;
  std::vector<std::unique_ptr<RE2>> allow_paths;
  hs_database_t* db = nullptr;
  std::size_t re2_only = 0;

  ~Impl() {
    if (db) hs_free_database(db);
  }
};

struct Scanner::Scratch::State {
  hs_scratch_t* scratch = nullptr;
  std::vector<Hit> hits;
  ~State() {
    if (scratch) hs_free_scratch(scratch);
  }
};

Scanner::Scratch::Scratch() : state_(std::make_unique<State>()) {}
Scanner::Scratch::~Scratch() = default;

Scanner::Scanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scanner::Scanner(Scanner&&) noexcept = default;
Scanner& Scanner::operator=(Scanner&&) noexcept = default;
Scanner::~Scanner() = default;

const RuleSet& Scanner::rules() const {
  return impl_->rules;
}
std::size_t Scanner::re2_only() const {
  return impl_->re2_only;
}

Result<Scanner> Scanner::build(RuleSet rules, const std::string& cache_dir) {
  auto impl = std::make_unique<Impl>();
  impl->allow = TRY(compile_all(rules.allow.regexes, "global allow-list"));
  impl->allow_paths = TRY(compile_all(rules.allow.paths, "global allow-list paths"));
  std::vector<unsigned> ids;  // the rules Hyperscan is asked to take
  for (std::size_t i = 0; i < rules.rules.size(); ++i) {
    impl->compiled.push_back(std::make_unique<Compiled>());
    ids.push_back(static_cast<unsigned>(i));
  }
  std::string cached = cache_dir.empty() ? std::string() : cache_file(cache_dir, rules);
  if (!cached.empty()) {
    std::vector<unsigned> held;
    if ((impl->db = load_cached(cached, rules.rules.size(), held))) {
      for (unsigned id : held) impl->compiled[id]->hyperscan = true;
      impl->re2_only = rules.rules.size() - held.size();
      impl->rules = std::move(rules);
      return Scanner(std::move(impl));
    }
  }
  for (std::size_t i = 0; i < rules.rules.size(); ++i) {
    TRY(compile_rule(rules.rules[i], *impl->compiled[i]));
  }
  // One database of every rule; a rule Hyperscan refuses (the error names
  // it) runs on RE2 alone, and the rest are compiled again without it.
  const unsigned flag = kHyperscanFlags;
  while (!ids.empty()) {
    std::vector<const char*> exprs;
    for (unsigned id : ids) exprs.push_back(rules.rules[id].regex.c_str());
    std::vector<unsigned> flags(ids.size(), flag);
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(ids.size()),
                         HS_MODE_BLOCK, nullptr, &impl->db, &err) == HS_SUCCESS) {
      for (unsigned id : ids) impl->compiled[id]->hyperscan = true;
      break;
    }
    int failed = err ? err->expression : -1;
    std::string message = err && err->message ? err->message : "unknown error";
    hs_free_compile_error(err);
    if (failed < 0 || static_cast<std::size_t>(failed) >= ids.size()) {
      return fail(Code::invalid_input, fmt::format("cannot compile the rules: {}", message));
    }
    ids.erase(ids.begin() + failed);
    ++impl->re2_only;
  }
  if (impl->db && !cached.empty()) store_cached(cache_dir, cached, impl->db, ids);
  impl->rules = std::move(rules);
  return Scanner(std::move(impl));
}

std::unique_ptr<Scanner::Scratch> Scanner::make_scratch() const {
  std::unique_ptr<Scratch> s(new Scratch);
  if (impl_->db && hs_alloc_scratch(impl_->db, &s->state_->scratch) != HS_SUCCESS) std::abort();
  return s;
}

bool Scanner::path_excluded(std::string_view path) const {
  return !path.empty() && any_search(impl_->allow_paths, path);
}

std::vector<Finding> Scanner::scan(std::string_view text, std::string_view path, Scratch& scratch,
                                   Overlaps overlaps) const {
  const Impl& im = *impl_;
  std::vector<Hit>& hits = scratch.state_->hits;
  hits.clear();
  if (im.db && !text.empty()) {
    auto on_match = [](unsigned id, unsigned long long from, unsigned long long to, unsigned,
                       void* ctx) -> int {
      auto* out = static_cast<std::vector<Hit>*>(ctx);
      // Hyperscan reports each end of a match; keep the longest per start.
      if (!out->empty() && out->back().rule == id && out->back().from == from) {
        out->back().to = std::max(out->back().to, to);
      } else {
        out->push_back(Hit{id, from, to});
      }
      return 0;
    };
    hs_scan(im.db, text.data(), static_cast<unsigned>(text.size()), 0, scratch.state_->scratch,
            on_match, &hits);
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
      return std::tie(a.rule, a.from, b.to) < std::tie(b.rule, b.from, a.to);
    });
    // One hit per (rule, start): the longest.
    hits.erase(std::unique(
                   hits.begin(), hits.end(),
                   [](const Hit& a, const Hit& b) { return a.rule == b.rule && a.from == b.from; }),
               hits.end());
  }
  struct Candidate {
    std::size_t rule, offset, length, match_begin, match_end;
  };
  std::vector<Candidate> candidates;
  std::array<re2::StringPiece, 16> groups;
  auto consider = [&](std::size_t rule, re2::StringPiece match, re2::StringPiece secret) {
    candidates.push_back({rule, static_cast<std::size_t>(secret.data() - text.data()),
                          secret.size(), static_cast<std::size_t>(match.data() - text.data()),
                          static_cast<std::size_t>(match.data() - text.data()) + match.size()});
  };
  std::size_t last_end_per_rule = 0;
  std::size_t last_rule = SIZE_MAX;
  for (const Hit& h : hits) {
    const Compiled& c = im.use(h.rule);
    if (!c.re) continue;
    int n = std::min<int>(c.re->NumberOfCapturingGroups() + 1, groups.size());
    // Non-overlapping per rule, as a regex FindAll would report them.
    if (h.rule == last_rule && h.from < last_end_per_rule) continue;
    if (!c.re->Match(text, h.from, h.to, RE2::ANCHOR_BOTH, groups.data(), n)) continue;
    last_rule = h.rule;
    last_end_per_rule = h.to;
    int g = im.rules.rules[h.rule].secret_group;
    if (g < n && groups[g].data() != nullptr) consider(h.rule, groups[0], groups[g]);
  }
  for (std::size_t i = 0; i < im.compiled.size(); ++i) {
    if (im.compiled[i]->hyperscan) continue;
    const Compiled& c = im.use(i);
    if (!c.re) continue;
    int n = std::min<int>(c.re->NumberOfCapturingGroups() + 1, groups.size());
    std::size_t pos = 0;
    while (pos <= text.size() &&
           c.re->Match(text, pos, text.size(), RE2::UNANCHORED, groups.data(), n)) {
      int g = im.rules.rules[i].secret_group;
      if (g < n && groups[g].data() != nullptr) consider(i, groups[0], groups[g]);
      std::size_t end = static_cast<std::size_t>(groups[0].data() - text.data()) + groups[0].size();
      pos = groups[0].empty() ? end + 1 : end;
    }
  }

  std::vector<Finding> findings;
  for (const Candidate& cand : candidates) {
    const Rule& rule = im.rules.rules[cand.rule];
    const Compiled& c = im.use(cand.rule);
    std::string_view match = text.substr(cand.match_begin, cand.match_end - cand.match_begin);
    std::string_view secret = text.substr(cand.offset, cand.length);
    if (secret.empty()) continue;
    if (!rule.keywords.empty() && !contains_any(match, rule.keywords)) continue;
    if (rule.entropy > 0 && shannon_entropy(secret) < rule.entropy) continue;
    if (contains_any(secret, im.rules.allow.stopwords) ||
        contains_any(secret, rule.allow.stopwords)) {
      continue;
    }
    if (any_search(im.allow, secret) || any_search(c.allow, secret)) continue;
    if (!path.empty() && any_search(c.paths, path)) continue;
    findings.push_back(Finding{cand.rule, cand.offset, cand.length, 0, 0});
  }
  // The same secret found by several rules: the first non-generic rule in
  // file order wins; a generic finding overlapping a specific one goes.
  std::sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.offset, a.rule) < std::tie(b.offset, b.rule);
  });
  std::vector<Finding> kept;
  if (overlaps == Overlaps::keep) kept.swap(findings);
  constexpr std::size_t kGone = SIZE_MAX;  // a kept finding a later specific one displaced
  std::size_t longest = 0;                 // of the findings kept so far
  for (const Finding& f : findings) {      // empty when kept
    const Rule& b = im.rules.rules[f.rule];
    bool drop = false;
    // Kept findings are in order of offset; none starting more than the
    // longest length before f can reach it.
    for (auto it = kept.rbegin(); it != kept.rend() && it->offset + longest > f.offset; ++it) {
      bool overlap = f.offset < it->offset + it->length && it->offset < f.offset + f.length;
      if (it->rule == kGone || !overlap) continue;
      const Rule& a = im.rules.rules[it->rule];
      if (b.generic() && !a.generic()) {
        drop = true;  // a specific rule already has these bytes
        break;
      }
      if (a.generic() && !b.generic()) {
        it->rule = kGone;  // every generic finding f overlaps goes, not just one
        continue;
      }
      if (it->offset == f.offset && it->length == f.length) {
        drop = true;  // the same span: the first rule in file order has it
        break;
      }
    }
    if (!drop) kept.push_back(f);
    longest = std::max(longest, f.length);
  }
  std::erase_if(kept, [](const Finding& f) { return f.rule == kGone; });
  // Lines and columns, in one pass.
  std::size_t line = 1, line_start = 0, at = 0;
  for (Finding& f : kept) {
    for (; at < f.offset; ++at) {
      if (text[at] == '\n') ++line, line_start = at + 1;
    }
    f.line = line;
    f.column = f.offset - line_start + 1;
  }
  return kept;
}

}  // namespace ward::scan
