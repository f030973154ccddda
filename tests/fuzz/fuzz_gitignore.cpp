// Fuzzes the gitignore parser and matcher: any text parses and any path
// matches without crashing; Glob (an NFA) answers as git's own backtracking
// wildmatch, ported below, for the input's lines as patterns and paths; and
// every line, escaped, is a pattern that matches exactly that name (at any
// depth, anchored, re-included).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/ignore.hpp"

// git's wildmatch.c (2.39), ported line for line with its backtracking: the
// oracle the NFA of ward::scan::Glob must agree with.
namespace oracle {

enum Wild { kMatch, kNoMatch, kAbortAll, kAbortToStarStar };
using Byte = unsigned char;

constexpr long kBudget = 200000;  // dowild calls before giving up on an input
long g_steps = 0;
bool g_gave_up = false;

bool glob_special(Byte c) {
  return c == '*' || c == '?' || c == '[' || c == '\\';
}

bool is_digit(Byte c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(Byte c) {
  return static_cast<unsigned>((c | 0x20) - 'a') < 26u;
}

// The POSIX classes of "[[:name:]]", over ASCII only (as git's ctype).
bool in_class(std::string_view name, Byte c) {
  if (c >= 0x80) return false;
  if (name == "alnum") return is_digit(c) || is_alpha(c);
  if (name == "alpha") return is_alpha(c);
  if (name == "blank") return c == ' ' || c == '\t';
  if (name == "cntrl") return c < 0x20 || c == 0x7f;
  if (name == "digit") return is_digit(c);
  if (name == "graph") return c > 0x20 && c < 0x7f;
  if (name == "lower") return c >= 'a' && c <= 'z';
  if (name == "print") return c >= 0x20 && c < 0x7f;
  if (name == "punct") return c > 0x20 && c < 0x7f && !is_digit(c) && !is_alpha(c);
  if (name == "space") return c == ' ' || (c >= '\t' && c <= '\r');
  if (name == "upper") return c >= 'A' && c <= 'Z';
  return is_digit(c) || static_cast<unsigned>((c | 0x20) - 'a') < 6u;  // xdigit
}

bool known_class(std::string_view name) {
  static constexpr std::string_view kNames[] = {"alnum", "alpha", "blank", "cntrl",
                                                "digit", "graph", "lower", "print",
                                                "punct", "space", "upper", "xdigit"};
  for (auto n : kNames) {
    if (n == name) return true;
  }
  return false;
}

// One bracket expression; p is at '[' and t at a character of the text. On
// return p is at the closing ']'.
Wild bracket(const Byte*& p, const Byte* pe, Byte t_ch, bool pathname) {
  if (++p == pe) return kAbortAll;
  Byte p_ch = *p;
  if (p_ch == '^') p_ch = '!';
  bool negated = p_ch == '!';
  if (negated && ++p == pe) return kAbortAll;
  Byte prev_ch = 0;
  bool matched = false;
  do {
    p_ch = *p;
    if (p_ch == '\\') {
      if (++p == pe) return kAbortAll;
      p_ch = *p;
      if (t_ch == p_ch) matched = true;
    } else if (p_ch == '-' && prev_ch && p + 1 < pe && p[1] != ']') {
      p_ch = *++p;
      if (p_ch == '\\') {
        if (++p == pe) return kAbortAll;
        p_ch = *p;
      }
      if (t_ch <= p_ch && t_ch >= prev_ch) matched = true;
      p_ch = 0;  // a range is not the start of another
    } else if (p_ch == '[' && p + 1 < pe && p[1] == ':') {
      const Byte* s = p + 2;
      for (p = s; p < pe && *p != ']'; ++p) {
      }
      if (p == pe) return kAbortAll;
      if (p - s - 1 < 0 || p[-1] != ':') {
        // No ":]": the '[' is an ordinary member of the set.
        p = s - 2;
        p_ch = '[';
        if (t_ch == p_ch) matched = true;
      } else {
        std::string_view name(reinterpret_cast<const char*>(s),
                              static_cast<std::size_t>(p - s - 1));
        if (!known_class(name)) return kAbortAll;
        if (in_class(name, t_ch)) matched = true;
        p_ch = 0;
      }
    } else if (t_ch == p_ch) {
      matched = true;
    }
    prev_ch = p_ch;
    ++p;
  } while (p < pe && *p != ']');
  if (p == pe) return kAbortAll;
  if (matched == negated || (pathname && t_ch == '/')) return kNoMatch;
  return kMatch;
}

// git's dowild() over [p, pe) and [t, te); begin is where the pattern
// starts, for telling a "**" after a '/' (or at the start) from one inside
// a name.
Wild dowild(const Byte* begin, const Byte* p, const Byte* pe, const Byte* t, const Byte* te,
            bool pathname, int depth) {
  if (depth > 200 || ++g_steps > kBudget) {
    g_gave_up = true;
    return kAbortAll;
  }
  for (; p < pe; ++t, ++p) {
    Byte p_ch = *p;
    if (t == te && p_ch != '*') return kAbortAll;
    switch (p_ch) {
      case '\\':
        if (++p == pe) return kNoMatch;
        if (*t != *p) return kNoMatch;
        continue;
      case '?':
        if (pathname && *t == '/') return kNoMatch;
        continue;
      case '[': {
        Wild w = bracket(p, pe, *t, pathname);
        if (w != kMatch) return w;
        continue;
      }
      case '*': {
        bool match_slash;
        if (++p < pe && *p == '*') {
          const Byte* prev_p = p - 2;
          while (++p < pe && *p == '*') {
          }
          bool after_slash = prev_p < begin || *prev_p == '/';
          bool before_slash = p == pe || *p == '/' || (*p == '\\' && p + 1 < pe && p[1] == '/');
          if (after_slash && before_slash) {
            // "**/" also matches no directory at all: try the rest here.
            if (p < pe && *p == '/' &&
                dowild(begin, p + 1, pe, t, te, pathname, depth + 1) == kMatch) {
              return kMatch;
            }
            match_slash = true;
          } else {
            match_slash = false;  // git: as '*' under WM_PATHNAME
          }
        } else {
          match_slash = !pathname;
        }
        if (p == pe) {
          // A trailing "**" matches everything, a trailing '*' no '/'.
          if (!match_slash && std::memchr(t, '/', static_cast<std::size_t>(te - t))) {
            return kNoMatch;
          }
          return kMatch;
        }
        if (!match_slash && *p == '/') {
          // "*/": the rest of this directory name, then the '/'.
          const void* slash = std::memchr(t, '/', static_cast<std::size_t>(te - t));
          if (!slash) return kNoMatch;
          t = static_cast<const Byte*>(slash);
          break;
        }
        while (t < te) {
          if (!glob_special(*p)) {
            // Skip ahead to the next occurrence of the literal after '*'.
            Byte want = *p;
            while (t < te && (match_slash || *t != '/') && *t != want) ++t;
            if (t == te || *t != want) return kNoMatch;
          }
          Wild w = dowild(begin, p, pe, t, te, pathname, depth + 1);
          if (w != kNoMatch) {
            if (!match_slash || w != kAbortToStarStar) return w;
          } else if (!match_slash && *t == '/') {
            return kAbortToStarStar;
          }
          ++t;
        }
        return kAbortAll;
      }
      default:
        if (*t != p_ch) return kNoMatch;
        continue;
    }
  }
  return t < te ? kNoMatch : kMatch;
}

// git's answer, or nullopt when it takes too long to find out.
std::optional<bool> wildmatch(std::string_view pattern, std::string_view text) {
  auto p = reinterpret_cast<const Byte*>(pattern.data());
  auto t = reinterpret_cast<const Byte*>(text.data());
  g_steps = 0;
  g_gave_up = false;
  bool matched = dowild(p, p, p + pattern.size(), t, t + text.size(), true, 0) == kMatch;
  if (g_gave_up) return std::nullopt;
  return matched;
}

}  // namespace oracle

namespace {

using ward::scan::glob_match;
using ward::scan::IgnoreFile;
using Verdict = IgnoreFile::Verdict;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// '\' before every character wildmatch or the gitignore syntax treats
// specially, so the pattern means the text itself.
std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == '\\' || c == '!' || c == '#') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty() && lines.size() < 8) {
    std::size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

void same_as_git(std::string_view pattern, std::string_view path) {
  auto git = oracle::wildmatch(pattern, path);
  bool ours = glob_match(pattern, path);
  if (git) check(ours == *git);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  IgnoreFile root = IgnoreFile::parse(text, "");
  IgnoreFile nested = IgnoreFile::parse(text, "sub");
  auto lines = lines_of(text);
  for (auto line : lines) {
    for (bool is_dir : {false, true}) {
      Verdict v = root.match(line, is_dir);
      check(v == Verdict::none || v == Verdict::ignored || v == Verdict::included);
      check(nested.match(line, is_dir) == Verdict::none || line.starts_with("sub/"));
      nested.match("sub/" + std::string(line), is_dir);
    }
    for (auto other : lines) same_as_git(line, other);

    check(glob_match(escape(line), line));
    std::string name;
    for (char c : line) {
      if (c != '/') name += c;
    }
    if (name.empty()) continue;
    IgnoreFile anywhere;
    anywhere.add_pattern(escape(name));
    check(anywhere.match(name, false) == Verdict::ignored);
    check(anywhere.match("dir/" + name, true) == Verdict::ignored);
    check(anywhere.match(name + "x", false) == Verdict::none);
    IgnoreFile anchored;
    anchored.add_pattern("/" + escape(name));
    check(anchored.match(name, false) == Verdict::ignored);
    check(anchored.match("dir/" + name, false) == Verdict::none);
    IgnoreFile reincluded;
    reincluded.add_pattern("*");
    reincluded.add_pattern("!" + escape(name));
    check(reincluded.match(name, false) == Verdict::included);
  }
  return 0;
}
