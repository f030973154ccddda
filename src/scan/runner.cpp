#include "scan/runner.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <thread>

#include "scan/decode.hpp"
#include "scan/walk.hpp"
#include "util/fd.hpp"

namespace ward::scan {

namespace {

// The 1-based line and column of offset in text.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') ++line, start = i + 1;
  }
  return {line, offset - start + 1};
}

Exposure exposure_for(const Scanner& scanner, const Finding& f, std::string_view text,
                      const Origin& origin) {
  const Rule& rule = scanner.rules().rules[f.rule];
  Exposure e = origin.base;
  e.rule = rule.id;
  e.description = rule.description;
  e.line = f.line;
  e.column = f.column;
  e.length = f.length;
  e.offset = f.offset;
  e.extent = f.length;
  e.hash = value_hash(text.substr(f.offset, f.length));
  e.fingerprint = rule.id + ":" + origin.where + ":" + e.hash;
  return e;
}

std::string under_root(const std::string& path, const std::vector<std::string>& roots) {
  std::string_view best;
  for (const std::string& root : roots) {
    std::string_view r = root;
    while (r.size() > 1 && r.back() == '/') r.remove_suffix(1);
    if (path.size() > r.size() && path.starts_with(r) && (path[r.size()] == '/' || r == "/") &&
        r.size() > best.size()) {
      best = r;
    }
  }
  if (best.empty()) return path;
  return path.substr(best == "/" ? 1 : best.size() + 1);
}

}  // namespace

namespace {

// Occurrences of known values: the masker replaces each with
// "[masked:PATH]"; where those markers land in its output gives the path
// and the line (a value holding newlines shifts the lines after it).
void find_known(std::string_view text, const Origin& origin, KnownSearch& search,
                std::vector<Exposure>& out) {
  const KnownValues& known = search.known;
  StreamMasker& masker = search.masker;
  std::string masked;
  masker.write(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), masked);
  masker.finish(masked);
  constexpr std::string_view kMarker = "[masked:";
  std::size_t line = 1, line_start = 0, counted = 0;
  for (std::size_t at = masked.find(kMarker); at != std::string::npos;
       at = masked.find(kMarker, at + 1)) {
    std::size_t end = masked.find(']', at);
    if (end == std::string::npos) break;
    std::string_view path =
        std::string_view(masked).substr(at + kMarker.size(), end - at - kMarker.size());
    auto it = known.by_path.find(path);
    if (it == known.by_path.end()) continue;  // text that already said "[masked:"
    for (; counted < at; ++counted) {
      if (masked[counted] == '\n') ++line, line_start = counted + 1;
    }
    Exposure e = origin.base;
    e.rule = "vault-value";
    e.description = "a value the vault holds, in plain text";
    e.line = line;
    e.column = at - line_start + 1;
    e.length = it->second.first;
    e.hash = it->second.second;
    e.fingerprint = e.rule + ":" + origin.where + ":" + e.hash;
    e.managed = std::string(path);
    out.push_back(std::move(e));
  }
  std::fill(masked.begin(), masked.end(), '\0');
}

// Resizes a buffer that holds file contents so that no byte of them is
// left behind: bytes cut off are zeroed first (so everything past size()
// stays zero), and before a reallocation frees the old block, all of it.
void resize_wiped(std::string& s, std::size_t n) {
  if (n < s.size()) {
    std::fill(s.begin() + static_cast<std::ptrdiff_t>(n), s.end(), '\0');
  } else if (n > s.capacity()) {
    std::fill(s.begin(), s.end(), '\0');
    s.clear();
  }
  s.resize(n);
}

}  // namespace

bool read_into(const std::string& path, std::string& buffer) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
  if (!fd) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  resize_wiped(buffer, static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < buffer.size()) {
    ssize_t n = ::read(fd.get(), buffer.data() + got, buffer.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  resize_wiped(buffer, got);  // a file that shrank meanwhile: what was there
  return true;
}

void scan_text(const Scanner& scanner, Scanner::Scratch& scratch, std::string_view text,
               const Origin& origin, Found& found, bool keep_values, KnownSearch* known) {
  if (known) {
    std::vector<Exposure> hits;
    find_known(text, origin, *known, hits);
    for (Exposure& e : hits) {
      found.exposures.push_back(std::move(e));
      if (keep_values) found.values.emplace_back();  // labelled already
    }
  }
  auto keep = [&](Exposure e, std::string_view value) {
    found.exposures.push_back(std::move(e));
    if (keep_values) found.values.push_back(SecretBytes::copy_of(value.data(), value.size()));
  };
  for (const Finding& f : scanner.scan(text, origin.base.path, scratch)) {
    if (allowed_inline(text, f.offset)) continue;
    keep(exposure_for(scanner, f, text, origin), text.substr(f.offset, f.length));
  }
  for (Decoded& d : decode_runs(text)) {
    struct Wipe {
      std::string& s;
      ~Wipe() { std::fill(s.begin(), s.end(), '\0'); }
    } wipe{d.text};
    if (allowed_inline(text, d.offset)) continue;
    auto [line, column] = line_column(text, d.offset);
    for (const Finding& f : scanner.scan(d.text, origin.base.path, scratch)) {
      Exposure e = exposure_for(scanner, f, d.text, origin);
      e.line = line;
      e.column = column;
      e.encoding = std::string(encoding_name(d.encoding));
      e.offset = d.offset;
      e.extent = d.length;
      keep(std::move(e), std::string_view(d.text).substr(f.offset, f.length));
    }
  }
}

Found scan_files(const Scanner& scanner, const std::vector<std::string>& paths,
                 const std::vector<std::string>& roots, bool keep_values, unsigned threads,
                 ScanStats& stats, const KnownValues* known) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, std::max<std::size_t>(paths.size(), 1));
  std::vector<Found> per_file(paths.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> bytes{0}, skipped{0}, scanned{0};
  auto work = [&] {
    auto scratch = scanner.make_scratch();
    std::optional<KnownSearch> search;
    if (known) search.emplace(*known);
    std::string buffer;
    for (std::size_t i = next++; i < paths.size(); i = next++) {
      Origin origin;
      origin.base.source = Source::file;
      origin.base.path = paths[i];
      origin.where = under_root(paths[i], roots);
      if (scanner.path_excluded(origin.where) || !read_into(paths[i], buffer)) {
        ++skipped;
        continue;
      }
      if (looks_binary(std::string_view(buffer).substr(0, 8000))) {
        ++skipped;
        continue;
      }
      ++scanned;
      bytes += buffer.size();
      scan_text(scanner, *scratch, buffer, origin, per_file[i], keep_values,
                search ? &*search : nullptr);
    }
    // The buffer held file contents, some of them secrets.
    std::fill(buffer.begin(), buffer.end(), '\0');
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  Found all;
  for (Found& f : per_file) {
    std::move(f.exposures.begin(), f.exposures.end(), std::back_inserter(all.exposures));
    std::move(f.values.begin(), f.values.end(), std::back_inserter(all.values));
  }
  stats.files += scanned;
  stats.bytes += bytes;
  stats.skipped += skipped;
  return all;
}

}  // namespace ward::scan
