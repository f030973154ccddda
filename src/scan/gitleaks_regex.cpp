// Two readings of RE2 syntax: inspect_go_pattern walks the text once with a
// stack of open groups; keywords_in_every_match parses it recursively into
// what each piece can match. Neither compiles anything.
#include "scan/gitleaks_regex.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

namespace ward::scan {

GoPattern inspect_go_pattern(std::string_view p) {
  struct Frame {
    bool first = false;        // this is group 1
    bool holds_first = false;  // group 1 is inside
    bool alternatives = false;
  };
  GoPattern out;
  out.re2.reserve(p.size() + 8);
  std::vector<Frame> frames(1);
  int captures = 0;
  bool always = true;
  auto optional_after = [&](std::size_t j) {
    if (j >= p.size()) return false;
    if (p[j] == '?' || p[j] == '*') return true;
    if (p[j] != '{') return false;
    std::size_t k = j + 1;
    bool digits = false, zero = true;
    for (; k < p.size() && p[k] >= '0' && p[k] <= '9'; ++k)
      digits = true, zero = zero && p[k] == '0';
    return digits && zero && k < p.size() && (p[k] == ',' || p[k] == '}');
  };
  auto open_capture = [&] {
    ++captures;
    frames.push_back(Frame{captures == 1, false, false});
  };
  std::size_t i = 0;
  while (i < p.size()) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 < p.size() && p[i + 1] == 'Q') {  // \Q...\E: literal text
        std::size_t end = p.find("\\E", i + 2);
        end = end == std::string_view::npos ? p.size() : end + 2;
        out.re2.append(p.substr(i, end - i));
        i = end;
        continue;
      }
      std::size_t len = std::min<std::size_t>(2, p.size() - i);
      out.re2.append(p.substr(i, len));
      i += len;
      continue;
    }
    if (c == '[') {
      std::size_t j = i + 1;
      if (j < p.size() && p[j] == '^') ++j;
      if (j < p.size() && p[j] == ']') ++j;  // a leading ] is literal
      while (j < p.size() && p[j] != ']') {
        if (p[j] == '\\') {
          j += 2;
        } else if (p[j] == '[' && j + 1 < p.size() && p[j + 1] == ':') {
          std::size_t end = p.find(":]", j + 2);
          j = end == std::string_view::npos ? j + 1 : end + 2;
        } else {
          ++j;
        }
      }
      j = std::min(j + 1, p.size());
      out.re2.append(p.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '(' && i + 1 < p.size() && p[i + 1] == '?') {
      auto letter = [&](std::size_t k) {
        return k < p.size() && (std::isalpha(static_cast<unsigned char>(p[k])) || p[k] == '_');
      };
      if (i + 2 < p.size() && p[i + 2] == '<' && letter(i + 3)) {  // Go 1.22 (?<name>
        out.re2 += "(?P<";
        i += 3;
        open_capture();
        continue;
      }
      if (i + 3 < p.size() && p[i + 2] == 'P' && p[i + 3] == '<') {
        out.re2 += "(?P<";
        i += 4;
        open_capture();
        continue;
      }
      std::size_t k = i + 2;
      while (k < p.size() && (std::isalpha(static_cast<unsigned char>(p[k])) || p[k] == '-')) ++k;
      if (k < p.size() && p[k] == ':') frames.push_back(Frame{});  // (?flags:...)
      // Otherwise (?flags) sets flags and opens no group.
      std::size_t end = std::min(k + 1, p.size());
      out.re2.append(p.substr(i, end - i));
      i = end;
      continue;
    }
    if (c == '(') {
      open_capture();
    } else if (c == '|') {
      frames.back().alternatives = true;
    } else if (c == ')' && frames.size() > 1) {
      Frame f = frames.back();
      frames.pop_back();
      if (f.first || f.holds_first) {
        if ((f.holds_first && f.alternatives) || optional_after(i + 1)) always = false;
        frames.back().holds_first = true;
      }
    }
    out.re2 += c;
    ++i;
  }
  if (frames.front().holds_first && frames.front().alternatives) always = false;
  out.first_group_always = captures >= 1 && frames.size() == 1 && always;
  return out;
}

std::string drop_leading_context(std::string_view pattern) {
  constexpr std::string_view context = "[\\w.-]{0,50}?";
  std::string out(pattern);
  std::size_t at = out.starts_with("(?i)") ? 4 : 0;
  if (out.compare(at, context.size(), context) == 0) out.erase(at, context.size());
  if (out.compare(at, 4, "(?i:") == 0 && out.compare(at + 4, context.size(), context) == 0) {
    out.erase(at + 4, context.size());
  }
  return out;
}

namespace {

constexpr std::size_t kMaxStrings = 64;  // strings a piece may expand to
constexpr std::size_t kMaxLength = 64;   // and their length
constexpr std::size_t kMaxClass = 16;    // members of a class worth expanding

using Strings = std::set<std::string>;

// What a piece of pattern can match, lower-cased: all its strings when they
// are few, and whether each match of it contains a keyword.
struct Info {
  std::optional<Strings> exact;
  bool covered = false;
};

std::optional<Strings> product(const Strings& a, const Strings& b) {
  if (a.size() * b.size() > kMaxStrings) return std::nullopt;
  Strings out;
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (x.size() + y.size() > kMaxLength) return std::nullopt;
      out.insert(x + y);
    }
  }
  return out;
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Recursive descent over alternation, concatenation, repetition and atoms.
class KeywordProof {
 public:
  KeywordProof(std::string_view p, const std::vector<std::string>& keywords)
      : p_(p), keywords_(keywords) {}

  bool run() {
    Info info = alternation();
    return ok_ && pos_ == p_.size() && info.covered;
  }

 private:
  bool at(char c) const { return pos_ < p_.size() && p_[pos_] == c; }

  bool has_keyword(const std::string& s) const {
    return std::any_of(keywords_.begin(), keywords_.end(), [&](const std::string& k) {
      return !k.empty() && s.find(k) != std::string::npos;
    });
  }
  bool all_have_keyword(const Strings& set) const {
    return std::all_of(set.begin(), set.end(),
                       [&](const std::string& s) { return has_keyword(s); });
  }
  Info exact(Strings set) const {
    bool covered = all_have_keyword(set);
    return Info{std::move(set), covered};
  }
  static Info unknown() { return Info{std::nullopt, false}; }

  Info alternation() {
    Info out = concatenation();
    while (ok_ && at('|')) {
      ++pos_;
      Info branch = concatenation();
      out.covered = out.covered && branch.covered;
      if (out.exact && branch.exact && out.exact->size() + branch.exact->size() <= kMaxStrings) {
        out.exact->insert(branch.exact->begin(), branch.exact->end());
      } else {
        out.exact.reset();
      }
    }
    return out;
  }

  // Keywords may span pieces: the strings of the current run of exact
  // pieces are joined, and the run restarts after a piece that is not.
  Info concatenation() {
    Info out{Strings{""}, false};
    Strings run{""};
    while (ok_ && pos_ < p_.size() && !at('|') && !at(')')) {
      Info piece = repetition();
      out.covered = out.covered || piece.covered;
      if (!piece.exact) {
        run = Strings{""};
        out.exact.reset();
        continue;
      }
      auto joined = product(run, *piece.exact);
      run = joined ? std::move(*joined) : *piece.exact;
      if (all_have_keyword(run)) out.covered = true;
      if (out.exact) out.exact = product(*out.exact, *piece.exact);
    }
    return out;
  }

  Info repetition() {
    Info a = atom();
    if (!ok_ || pos_ >= p_.size()) return a;
    char q = p_[pos_];
    if (q == '*') {
      ++pos_;
      a = unknown();
    } else if (q == '+') {
      ++pos_;
      a = Info{std::nullopt, a.covered};
    } else if (q == '?') {
      ++pos_;
      if (a.exact) a.exact->insert("");
      a.covered = false;
    } else if (q == '{') {
      auto bounds = repeat_bounds();
      if (!bounds) return a;  // a literal {
      auto [min, max] = *bounds;
      if (min == 0) {
        a = max == 0 ? Info{Strings{""}, false} : unknown();
      } else if (max == min && a.exact) {
        std::optional<Strings> all = Strings{""};
        for (int i = 0; i < min && all; ++i) all = product(*all, *a.exact);
        a.exact = all;
      } else {
        a.exact.reset();
      }
    } else {
      return a;
    }
    if (at('?')) ++pos_;  // lazy
    return a;
  }

  // {n}, {n,} or {n,m} at pos_ (consumed); nullopt and nothing consumed
  // when the brace is a literal. max is -1 for no bound.
  std::optional<std::pair<int, int>> repeat_bounds() {
    std::size_t i = pos_ + 1;
    auto number = [&]() -> std::optional<int> {
      std::size_t start = i;
      int v = 0;
      while (i < p_.size() && std::isdigit(static_cast<unsigned char>(p_[i])) && i - start < 6) {
        v = v * 10 + (p_[i++] - '0');
      }
      return i == start ? std::nullopt : std::optional<int>(v);
    };
    auto min = number();
    if (!min) return std::nullopt;
    int max = *min;
    if (i < p_.size() && p_[i] == ',') {
      ++i;
      auto m = number();
      max = m ? *m : -1;
    }
    if (i >= p_.size() || p_[i] != '}') return std::nullopt;
    pos_ = i + 1;
    return std::make_pair(*min, max);
  }

  Info atom() {
    char c = p_[pos_];
    if (c == '(') return group();
    if (c == '[') return char_class();
    if (c == '\\') return escape();
    ++pos_;
    if (c == '.') return unknown();
    if (c == '^' || c == '$') return Info{Strings{""}, false};
    return exact(Strings{std::string(1, lower(c))});
  }

  Info group() {
    ++pos_;  // (
    if (at('?')) {
      ++pos_;
      if (at('P')) ++pos_;
      if (at('<')) {
        std::size_t end = p_.find('>', pos_);
        if (end == std::string_view::npos) return fail();
        pos_ = end + 1;
      } else {
        while (pos_ < p_.size() &&
               (std::isalpha(static_cast<unsigned char>(p_[pos_])) || at('-'))) {
          ++pos_;
        }
        if (at(')')) {  // (?flags): sets flags, matches nothing
          ++pos_;
          return Info{Strings{""}, false};
        }
        if (!at(':')) return fail();
        ++pos_;
      }
    }
    Info inner = alternation();
    if (!at(')')) return fail();
    ++pos_;
    return inner;
  }

  Info escape() {
    if (pos_ + 1 >= p_.size()) return fail();
    char c = p_[pos_ + 1];
    pos_ += 2;
    switch (c) {
      case 'd': {
        Strings digits;
        for (char d = '0'; d <= '9'; ++d) digits.insert(std::string(1, d));
        return exact(std::move(digits));
      }
      case 'b':
      case 'B':
      case 'A':
      case 'z':
        return Info{Strings{""}, false};
      case 'Q': {
        std::size_t end = p_.find("\\E", pos_);
        std::string_view text = p_.substr(pos_, end == std::string_view::npos ? end : end - pos_);
        pos_ = end == std::string_view::npos ? p_.size() : end + 2;
        std::string s;
        for (char t : text) s += lower(t);
        return exact(Strings{s});
      }
      case 'x': {
        if (pos_ + 1 < p_.size() && hex_value(p_[pos_]) >= 0 && hex_value(p_[pos_ + 1]) >= 0) {
          char v = static_cast<char>(hex_value(p_[pos_]) * 16 + hex_value(p_[pos_ + 1]));
          pos_ += 2;
          return exact(Strings{std::string(1, lower(v))});
        }
        if (at('{')) pos_ = std::min(p_.size(), p_.find('}', pos_) + 1);
        return unknown();
      }
      case 'p':
      case 'P':
        if (at('{')) {
          pos_ = std::min(p_.size(), p_.find('}', pos_) + 1);
        } else if (pos_ < p_.size()) {
          ++pos_;
        }
        return unknown();
      default:
        break;
    }
    if (auto ch = control(c)) return exact(Strings{std::string(1, *ch)});
    if (std::isalnum(static_cast<unsigned char>(c))) return unknown();  // \w, \s, octal, ...
    return exact(Strings{std::string(1, c)});                           // escaped punctuation
  }

  static std::optional<char> control(char c) {
    switch (c) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'a':
        return '\a';
      default:
        return std::nullopt;
    }
  }

  // [...]: its members when few and none comes from a named class.
  Info char_class() {
    ++pos_;  // [
    bool negated = at('^');
    if (negated) ++pos_;
    std::set<char> members;
    bool too_many = false;
    bool first = true;
    while (pos_ < p_.size() && (first || !at(']'))) {
      first = false;
      if (at('[') && pos_ + 1 < p_.size() && p_[pos_ + 1] == ':') {
        std::size_t end = p_.find(":]", pos_ + 2);
        pos_ = end == std::string_view::npos ? p_.size() : end + 2;
        too_many = true;
        continue;
      }
      auto from = class_char(too_many);
      if (!from) continue;
      if (at('-') && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        ++pos_;
        auto to = class_char(too_many);
        if (!to || *to < *from || *to - *from > 64) {
          too_many = true;
          continue;
        }
        for (int ch = *from; ch <= *to; ++ch) members.insert(lower(static_cast<char>(ch)));
      } else {
        members.insert(lower(*from));
      }
    }
    if (!at(']')) return fail();
    ++pos_;
    if (negated || too_many || members.size() > kMaxClass) return unknown();
    Strings out;
    for (char m : members) out.insert(std::string(1, m));
    return exact(std::move(out));
  }

  // One member of a class; nullopt (and too_many) for \d, \w and the like.
  std::optional<char> class_char(bool& too_many) {
    char c = p_[pos_++];
    if (c != '\\') return c;
    if (pos_ >= p_.size()) return std::nullopt;
    char e = p_[pos_++];
    if (e == 'x' && pos_ + 1 < p_.size() && hex_value(p_[pos_]) >= 0 &&
        hex_value(p_[pos_ + 1]) >= 0) {
      char v = static_cast<char>(hex_value(p_[pos_]) * 16 + hex_value(p_[pos_ + 1]));
      pos_ += 2;
      return v;
    }
    if (auto ch = control(e)) return ch;
    if (std::isalnum(static_cast<unsigned char>(e))) {
      if ((e == 'p' || e == 'P' || e == 'x') && at('{')) {
        pos_ = std::min(p_.size(), p_.find('}', pos_) + 1);
      }
      too_many = true;
      return std::nullopt;
    }
    return e;
  }

  Info fail() {
    ok_ = false;
    pos_ = p_.size();
    return unknown();
  }

  std::string_view p_;
  const std::vector<std::string>& keywords_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

bool keywords_in_every_match(std::string_view pattern, const std::vector<std::string>& keywords) {
  if (keywords.empty()) return false;
  return KeywordProof(pattern, keywords).run();
}

}  // namespace ward::scan
