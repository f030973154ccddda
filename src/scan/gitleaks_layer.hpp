// The layers of a gitleaks import (scan/gitleaks.cpp reads them from TOML):
// each config file, or ward's default rules for [extend] useDefault, is one
// Layer; a config's own layer is merged over the one it extends with
// gitleaks' merge rules, and the outermost merged layer becomes ward rules.
#pragma once

#include <re2/re2.h>

#include <string>
#include <vector>

#include "scan/gitleaks.hpp"
#include "scan/rules.hpp"

namespace ward::scan::gitleaks {

constexpr int kMaxSecretGroup = 15;  // the engine captures 16 groups (0..15)

inline RE2::Options re2_options() {  // as scan/engine.cpp compiles
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

// One rule as a layer holds it, before the outermost config maps it.
struct Entry {
  Rule rule;  // secret_group still in gitleaks' meaning when gitleaks_regex
  std::string origin;
  int line = 0;
  std::string path;        // gitleaks' path restriction
  bool composite = false;  // has [[rules.required]]
  bool skip_report = false;
  // Which fields a gitleaks file set; the others are those of ward's own
  // rule (from useDefault), already in ward's meaning.
  bool gitleaks_regex = false;
  bool gitleaks_group = false;
  bool gitleaks_keywords = false;
  bool gitleaks_entropy = false;
  bool first_group_always = false;
  int groups = -1;         // capture groups of rule.regex; -1: not counted
  bool too_large = false;  // RE2 cannot compile the regex within its memory
};

struct Targeted {  // a global allow-list with targetRules
  std::vector<std::string> ids;
  AllowList allow;
  std::string origin;
  int line = 0;
};

struct Layer {
  std::vector<Entry> rules;
  AllowList allow;
  std::vector<Targeted> targeted;
};

void append(AllowList& to, const AllowList& from);
void append_unique(std::vector<std::string>& to, const std::vector<std::string>& from);
// gitleaks' extend: own rules first; a rule the base also has takes the
// base's fields unless it sets them, and adds its tags, keywords and allows.
Layer merge(Layer own, Layer base);
// ward's default rules as a layer (for useDefault).
Result<Layer> ward_layer();
// The outermost config's merged layer as ward rules; notes (what reading
// the files found) are added after the mapping's own.
Result<GitleaksImport> to_rules(Layer layer, std::vector<std::string> notes);

}  // namespace ward::scan::gitleaks
