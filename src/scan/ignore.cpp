#include "scan/ignore.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace ward::scan {

namespace {

// bracket()'s results, as git's wildmatch.c: ABORT_ALL for a malformed
// expression (which makes the whole pattern fail).
enum Wild { kMatch, kNoMatch, kAbortAll };

using Byte = unsigned char;

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

// One bracket expression tried on the character t_ch, as git's dowild()
// does it; p is at '['. On return p is at the closing ']' (wherever t_ch
// is: the extent of the expression does not depend on it).
Wild bracket(const Byte*& p, const Byte* pe, Byte t_ch) {
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
  if (matched == negated || t_ch == '/') return kNoMatch;
  return kMatch;
}

// Length of the prefix without '*', '?', '[' or '\'.
std::size_t literal_length(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && !glob_special(static_cast<Byte>(s[i]))) ++i;
  return i;
}

// Drops trailing spaces unless the last one is escaped by '\'.
std::string_view trim_trailing_spaces(std::string_view line) {
  std::size_t keep = line.size();
  bool in_spaces = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ') {
      if (!in_spaces) keep = i;
      in_spaces = true;
    } else if (c == '\\') {
      if (++i == line.size()) return line;  // a trailing lone '\' keeps everything
      in_spaces = false;
    } else {
      in_spaces = false;
    }
  }
  return in_spaces ? line.substr(0, keep) : line;
}

// A set of NFA states (token indexes, the last one accepting): inline
// words for patterns of up to 511 tokens, the heap beyond.
class StateSet {
 public:
  explicit StateSet(std::size_t states) : words_((states + 63) / 64) {
    if (words_ > kInline) heap_.resize(words_);
    bits_ = words_ > kInline ? heap_.data() : inline_.data();
    clear();
  }
  void clear() { std::fill(bits_, bits_ + words_, 0); }
  bool has(std::size_t s) const { return (bits_[s / 64] >> (s % 64)) & 1; }
  void set(std::size_t s) { bits_[s / 64] |= std::uint64_t{1} << (s % 64); }
  bool empty() const {
    for (std::size_t w = 0; w < words_; ++w) {
      if (bits_[w]) return false;
    }
    return true;
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t w = 0; w < words_; ++w) {
      for (std::uint64_t bits = bits_[w]; bits; bits &= bits - 1) {
        f(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
      }
    }
  }
  void swap(StateSet& other) { std::swap(bits_, other.bits_); }

 private:
  static constexpr std::size_t kInline = 8;
  std::size_t words_;
  std::array<std::uint64_t, kInline> inline_;
  std::vector<std::uint64_t> heap_;
  std::uint64_t* bits_;
};

}  // namespace

// Tokens follow git's dowild() reading of the pattern:
//  - "\c" is the literal c; a trailing '\' can never match (fail);
//  - '?' is any character but '/'; "[...]" a set (never '/'), evaluated
//    with git's own bracket code for each of the 256 bytes; malformed: fail;
//  - a run of '*' is star (anything without '/'), unless it is two or more
//    after '/' or the pattern start and before '/', "\/" or the end: then
//    "**/" is "(anything/)?" (git tries the rest without a directory
//    first): dirs, star_all, '/', where dirs reads nothing and leads both
//    to the star_all and past the '/'; the other cases are star_all,
//    anything at all.
// star and star_all may match nothing, so their state reaches the next
// token without reading (the closure in add()).
Glob Glob::compile(std::string_view pattern) {
  Glob glob;
  auto begin = reinterpret_cast<const Byte*>(pattern.data());
  const Byte* end = begin + pattern.size();
  const Byte* p = begin;
  while (p < end) {
    Byte c = *p;
    if (c == '\\') {
      if (p + 1 == end) {
        glob.tokens_.push_back({Kind::fail, 0, 0});
        break;
      }
      glob.tokens_.push_back({Kind::literal, p[1], 0});
      p += 2;
    } else if (c == '?') {
      glob.tokens_.push_back({Kind::any, 0, 0});
      ++p;
    } else if (c == '[') {
      std::array<std::uint64_t, 4> bits{};
      const Byte* close = p;
      bool malformed = false;
      for (int t = 0; t < 256 && !malformed; ++t) {
        close = p;
        Wild w = bracket(close, end, static_cast<Byte>(t));
        if (w == kAbortAll) malformed = true;
        if (w == kMatch) bits[t / 64] |= std::uint64_t{1} << (t % 64);
      }
      if (malformed) {
        glob.tokens_.push_back({Kind::fail, 0, 0});
        break;
      }
      if (glob.sets_.size() > UINT16_MAX) {  // more brackets than a token can name
        glob.tokens_.push_back({Kind::fail, 0, 0});
        break;
      }
      glob.tokens_.push_back({Kind::set, 0, static_cast<std::uint16_t>(glob.sets_.size())});
      glob.sets_.push_back(bits);
      p = close + 1;
    } else if (c == '*') {
      const Byte* stars = p;
      while (p < end && *p == '*') ++p;
      bool after_slash = stars == begin || stars[-1] == '/';
      bool before_slash = p == end || *p == '/' || (*p == '\\' && p + 1 < end && p[1] == '/');
      if (p - stars < 2 || !after_slash || !before_slash) {
        glob.tokens_.push_back({Kind::star, 0, 0});
      } else if (p < end && *p == '/') {
        glob.tokens_.push_back({Kind::dirs, 0, 0});
        glob.tokens_.push_back({Kind::star_all, 0, 0});
        glob.tokens_.push_back({Kind::literal, '/', 0});
        ++p;
      } else {
        glob.tokens_.push_back({Kind::star_all, 0, 0});
      }
    } else {
      glob.tokens_.push_back({Kind::literal, c, 0});
      ++p;
    }
  }
  // The longest run of literals every match must contain (not the optional
  // '/' of a dirs group): a path without it is turned down by one find().
  std::string run;
  for (std::size_t i = 0; i <= glob.tokens_.size(); ++i) {
    bool literal = i < glob.tokens_.size() && glob.tokens_[i].kind == Kind::literal &&
                   !(i >= 2 && glob.tokens_[i - 2].kind == Kind::dirs);
    if (literal) {
      run += static_cast<char>(glob.tokens_[i].ch);
      continue;
    }
    if (run.size() > glob.required_.size()) glob.required_ = run;
    run.clear();
  }
  return glob;
}

bool Glob::matches(std::string_view path) const {
  if (!required_.empty() && path.find(required_) == std::string_view::npos) return false;
  const std::size_t accept = tokens_.size();
  // Enters state s and every state reachable from it without reading: past
  // a star, and from dirs both into its "anything/" and past it.
  auto add_inner = [&](StateSet& set, std::size_t s) {  // star_all then '/'
    set.set(s);
    set.set(s + 1);
  };
  auto add = [&](StateSet& set, std::size_t s) {
    while (!set.has(s)) {
      set.set(s);
      if (s == accept) break;
      Kind k = tokens_[s].kind;
      if (k == Kind::dirs) {
        add_inner(set, s + 1);
        s += 3;
      } else if (k == Kind::star || k == Kind::star_all) {
        ++s;
      } else {
        break;
      }
    }
  };
  StateSet current(accept + 1);
  StateSet next(accept + 1);
  add(current, 0);
  for (char ch : path) {
    auto c = static_cast<Byte>(ch);
    next.clear();
    current.for_each([&](std::size_t s) {
      if (s == accept) return;
      const Token& t = tokens_[s];
      switch (t.kind) {
        case Kind::literal:
          if (c == t.ch) add(next, s + 1);
          break;
        case Kind::any:
          if (c != '/') add(next, s + 1);
          break;
        case Kind::set:
          if ((sets_[t.set][c / 64] >> (c % 64)) & 1) add(next, s + 1);
          break;
        case Kind::star:
          if (c != '/') add(next, s);
          break;
        case Kind::star_all:
          add(next, s);
          break;
        case Kind::dirs:  // reads nothing: its closure went on
        case Kind::fail:
          break;
      }
    });
    if (next.empty()) return false;
    current.swap(next);
  }
  return current.has(accept);
}

bool glob_match(std::string_view pattern, std::string_view path) {
  return Glob::compile(pattern).matches(path);
}

IgnoreFile IgnoreFile::parse(std::string_view text, std::string base) {
  IgnoreFile file;
  file.base_ = std::move(base);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.back() == '\r') line.remove_suffix(1);
    file.add_pattern(trim_trailing_spaces(line));
  }
  return file;
}

void IgnoreFile::add_pattern(std::string_view text) {
  Pattern p{};
  if (text.starts_with('!')) {
    p.negative = true;
    text.remove_prefix(1);
  }
  if (text.ends_with('/')) {
    p.dir_only = true;
    text.remove_suffix(1);
  }
  if (text.empty()) return;  // matches no name
  p.basename = text.find('/') == std::string_view::npos;
  if (p.basename) {
    p.ends_with = text.front() == '*' && literal_length(text.substr(1)) == text.size() - 1;
  } else if (text.front() == '/') {
    text.remove_prefix(1);  // anchored anyway
  }
  p.literal = literal_length(text);
  p.text = std::string(text);
  // git compares an anchored pattern's literal prefix first and hands only
  // the rest to wildmatch, so a "**" right after the prefix counts as at
  // the start ("foo**/bar" matches "fooX/a/bar"): compile just the rest.
  p.glob = Glob::compile(p.basename ? text : text.substr(p.literal));
  patterns_.push_back(std::move(p));
}

bool IgnoreFile::matches(const Pattern& p, std::string_view path, std::string_view name) const {
  std::string_view pattern = p.text;
  if (p.basename) {
    if (p.literal == pattern.size()) return pattern == name;
    if (p.ends_with) return name.ends_with(pattern.substr(1));
    return p.glob.matches(name);
  }
  std::string_view rest = base_.empty() ? path : path.substr(base_.size() + 1);
  if (p.literal > 0) {
    if (p.literal > rest.size() || pattern.substr(0, p.literal) != rest.substr(0, p.literal)) {
      return false;
    }
    rest.remove_prefix(p.literal);
  }
  return p.glob.matches(rest);
}

IgnoreFile::Verdict IgnoreFile::match(std::string_view relative_path, bool is_dir) const {
  if (relative_path.empty()) return Verdict::none;
  if (!base_.empty()) {
    if (relative_path.size() <= base_.size() + 1 || !relative_path.starts_with(base_) ||
        relative_path[base_.size()] != '/') {
      return Verdict::none;
    }
  }
  std::size_t slash = relative_path.rfind('/');
  std::string_view name =
      slash == std::string_view::npos ? relative_path : relative_path.substr(slash + 1);
  for (auto it = patterns_.rbegin(); it != patterns_.rend(); ++it) {
    if (it->dir_only && !is_dir) continue;
    if (matches(*it, relative_path, name)) {
      return it->negative ? Verdict::included : Verdict::ignored;
    }
  }
  return Verdict::none;
}

}  // namespace ward::scan
