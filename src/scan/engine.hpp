// The detection engine: every rule's regex in one Hyperscan database
// (block mode, leftmost start of match), then, for each match, RE2 on
// exactly that span to take the secret group; then the keyword, entropy
// and allow-list checks of rules/default.yaml's pipeline. A rule whose
// regex Hyperscan cannot take runs on RE2 alone. Patterns are compiled
// once; a Scanner is shared by threads, each scanning with its own Scratch.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scan/rules.hpp"
#include "util/result.hpp"

namespace ward::scan {

// Where a rule found a secret in a text: offsets of the secret (not of the
// whole match) and its 1-based line and column. Holds no copy of it.
struct Finding {
  std::size_t rule = 0;  // index into the rule set
  std::size_t offset = 0;
  std::size_t length = 0;
  std::size_t line = 0;
  std::size_t column = 0;
};

// Shannon entropy of bytes, in bits per byte.
double shannon_entropy(std::string_view bytes);

class Scanner {
 public:
  // Compiles every rule (and every allow-list regex); invalid_input naming
  // the rule whose regex neither Hyperscan nor RE2 accepts. With a cache
  // directory, the Hyperscan database (a second to compile, milliseconds to
  // load) is kept there under a digest of the rules, Hyperscan's version and
  // the CPU's features, and reused; a cache that cannot be read or written
  // is passed over, never an error.
  static Result<Scanner> build(RuleSet rules, const std::string& cache_dir = {});
  Scanner(Scanner&&) noexcept;
  Scanner& operator=(Scanner&&) noexcept;
  ~Scanner();

  // Per-thread scanning state.
  class Scratch {
   public:
    ~Scratch();

   private:
    friend class Scanner;
    Scratch();
    struct State;
    std::unique_ptr<State> state_;
  };
  std::unique_ptr<Scratch> make_scratch() const;

  // Whether path (relative, '/'-separated) is left out by a global allow path.
  bool path_excluded(std::string_view path) const;
  // What to do with findings of several rules that overlap: report one (the
  // first specific rule in file order; generic rules yield), or keep all.
  enum class Overlaps { resolve, keep };
  // Findings in text, in order of offset. path decides the rules' path
  // allow-lists ("" for none).
  std::vector<Finding> scan(std::string_view text, std::string_view path, Scratch& scratch,
                            Overlaps overlaps = Overlaps::resolve) const;

  const RuleSet& rules() const;
  // How many rules run on RE2 alone (Hyperscan could not take them).
  std::size_t re2_only() const;

 private:
  struct Impl;
  explicit Scanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ward::scan
