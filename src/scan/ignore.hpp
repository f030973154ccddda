// gitignore matching that answers as git itself does (dir.c and
// wildmatch.c of git 2.39: tests/unit/scan/ignore_test.cpp holds git's own
// verdicts, fuzz_gitignore compares with a port of wildmatch). Blank lines
// and '#' comments are skipped, trailing spaces are trimmed unless escaped
// with '\', "\#" and "\!" are literal, '!' re-includes, a trailing '/'
// matches directories only, a pattern with a '/' at its start or in its
// middle is anchored to the directory of its file and one without matches
// a name at any depth; '*', '?', '[a-z]', '[!a-z]', '[[:alpha:]]', "**/",
// "/**" and "/**/" follow wildmatch (see Glob). The last matching pattern
// of a file decides.
//
// An IgnoreFile knows nothing of other files or of parent directories:
// git's rule that a file cannot be re-included when a parent directory is
// excluded is the walker's (it never descends into an excluded directory),
// and so is the order of files (scan/walk.hpp). Patterns are compiled once,
// with git's shortcuts (a literal name, a "*literal" suffix, a literal
// prefix) in front of the Glob, and matched without allocating.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ward::scan {

// A wildmatch pattern with git's WM_PATHNAME flag, compiled once: '*' and
// '?' do not match '/', "**" between slashes (or at either end) matches any
// number of directories, '\' escapes the next character, a malformed
// bracket expression matches nothing. Matching runs the pattern as a small
// NFA over the path, O(pattern x path) at worst: unlike git's backtracking
// wildmatch (same answers), a hostile .gitignore cannot make it slow.
class Glob {
 public:
  static Glob compile(std::string_view pattern);
  bool matches(std::string_view path) const;

 private:
  enum class Kind : std::uint8_t { literal, any, set, star, star_all, dirs, fail };
  struct Token {
    Kind kind;
    std::uint8_t ch;    // literal
    std::uint16_t set;  // index into sets_
  };
  std::vector<Token> tokens_;
  std::vector<std::array<std::uint64_t, 4>> sets_;  // bracket expressions, 256 bits
  std::string required_;                            // literals every match contains
};

// Glob::compile(pattern).matches(path).
bool glob_match(std::string_view pattern, std::string_view path);

class IgnoreFile {
 public:
  // Parses the text of a .gitignore (or .git/info/exclude). base is the
  // directory holding it relative to the walk root, '/'-separated without a
  // trailing '/'; "" is the root. Never fails: git ignores nothing it reads.
  static IgnoreFile parse(std::string_view text, std::string base);

  // Adds one pattern as given, without comment or trailing-space handling
  // (as `git ls-files --exclude=PATTERN` does); an empty one is dropped.
  void add_pattern(std::string_view pattern);

  enum class Verdict { none, ignored, included };
  // The verdict of the last pattern matching relative_path (relative to the
  // walk root, '/'-separated, no trailing '/'); none when no pattern
  // matches or the path is not under base.
  Verdict match(std::string_view relative_path, bool is_dir) const;

  bool empty() const { return patterns_.empty(); }
  std::size_t size() const { return patterns_.size(); }
  const std::string& base() const { return base_; }

 private:
  struct Pattern {
    std::string text;     // without '!', a leading '/' and a trailing '/'
    std::size_t literal;  // length of the prefix free of "*?[\"
    bool negative;        // '!': re-include
    bool dir_only;        // trailing '/'
    bool basename;        // no '/' in it: matches the last path component
    bool ends_with;       // "*literal": a suffix comparison
    Glob glob;            // basename: all of text; else what follows the literal prefix
  };
  bool matches(const Pattern& p, std::string_view path, std::string_view name) const;

  std::string base_;
  std::vector<Pattern> patterns_;
};

}  // namespace ward::scan
