#include "scan/gitleaks_layer.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "scan/gitleaks_regex.hpp"
#include "util/strings.hpp"

namespace ward::scan::gitleaks {

void append(AllowList& to, const AllowList& from) {
  to.regexes.insert(to.regexes.end(), from.regexes.begin(), from.regexes.end());
  to.stopwords.insert(to.stopwords.end(), from.stopwords.begin(), from.stopwords.end());
  to.paths.insert(to.paths.end(), from.paths.begin(), from.paths.end());
}

void append_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

Layer merge(Layer own, Layer base) {
  std::map<std::string, std::size_t> in_base;
  for (std::size_t i = 0; i < base.rules.size(); ++i) in_base[base.rules[i].rule.id] = i;
  std::vector<bool> used(base.rules.size(), false);
  Layer out;
  for (Entry& e : own.rules) {
    auto it = in_base.find(e.rule.id);
    if (it == in_base.end()) {
      out.rules.push_back(std::move(e));
      continue;
    }
    used[it->second] = true;
    Entry m = std::move(base.rules[it->second]);
    m.origin = e.origin;
    m.line = e.line;
    if (!e.rule.description.empty()) m.rule.description = e.rule.description;
    if (e.rule.entropy != 0) {
      m.rule.entropy = e.rule.entropy;
      m.gitleaks_entropy = true;
    }
    if (e.rule.secret_group != 0) {
      m.rule.secret_group = e.rule.secret_group;
      m.gitleaks_group = true;
    }
    if (!e.rule.regex.empty()) {
      m.rule.regex = e.rule.regex;
      m.groups = e.groups;
      m.first_group_always = e.first_group_always;
      m.too_large = e.too_large;
      m.gitleaks_regex = true;
      m.rule.positive.clear();  // the samples were for the old regex
      m.rule.negative.clear();
    }
    if (!e.path.empty()) m.path = e.path;
    append_unique(m.rule.tags, e.rule.tags);
    append_unique(m.rule.keywords, e.rule.keywords);
    m.gitleaks_keywords = m.gitleaks_keywords || !e.rule.keywords.empty();
    append(m.rule.allow, e.rule.allow);
    m.composite = m.composite || e.composite;
    m.skip_report = m.skip_report || e.skip_report;
    out.rules.push_back(std::move(m));
  }
  for (std::size_t i = 0; i < base.rules.size(); ++i) {
    if (!used[i]) out.rules.push_back(std::move(base.rules[i]));
  }
  out.allow = std::move(own.allow);
  append(out.allow, base.allow);
  out.targeted = std::move(own.targeted);
  for (auto& t : base.targeted) out.targeted.push_back(std::move(t));
  return out;
}

namespace {

const Result<RuleSet>& ward_default_rules() {
  static const Result<RuleSet> rules = default_rules();
  return rules;
}

}  // namespace

Result<Layer> ward_layer() {
  const Result<RuleSet>& rules = ward_default_rules();
  if (!rules) return tl::unexpected<Error>(rules.error());
  Layer layer;
  layer.allow = rules->allow;
  for (const Rule& r : rules->rules) {
    Entry e;
    e.rule = r;
    e.origin = "rules/default.yaml";
    layer.rules.push_back(std::move(e));
  }
  return layer;
}

Result<GitleaksImport> to_rules(Layer layer, std::vector<std::string> notes) {
  GitleaksImport out;
  out.rules.allow = std::move(layer.allow);
  for (const Targeted& t : layer.targeted) {
    for (const auto& id : t.ids) {
      auto it = std::find_if(layer.rules.begin(), layer.rules.end(),
                             [&](const Entry& e) { return e.rule.id == id; });
      if (it == layer.rules.end()) {
        return fail(Code::invalid_input, fmt::format("{}:{}: allowlist: targetRules: no rule '{}'",
                                                     t.origin, t.line, id));
      }
      append(it->rule.allow, t.allow);
    }
  }
  for (Entry& e : layer.rules) {
    Rule& r = e.rule;
    auto bad = [&](std::string_view problem) {
      return fail(Code::invalid_input,
                  fmt::format("{}:{}: rule {}: {}", e.origin, e.line, r.id, problem));
    };
    if (r.regex.empty() && e.path.empty()) return bad("has neither regex nor path");
    if (!r.regex.empty() && e.groups < 0 && !e.too_large &&
        (e.gitleaks_regex || e.gitleaks_group)) {
      e.groups = RE2("(?m)" + r.regex, re2_options()).NumberOfCapturingGroups();
    }
    if (e.gitleaks_regex && r.secret_group == 0 && e.groups >= 1) {
      if (e.first_group_always) {
        r.secret_group = 1;
      } else {
        out.notes.push_back(fmt::format(
            "{}: its capture groups are alternatives; ward reports the whole match (gitleaks the "
            "first non-empty group)",
            r.id));
      }
    }
    if (e.groups >= 0 && r.secret_group > e.groups) {
      return bad(fmt::format("secretGroup: {} but the regex has {} capture groups", r.secret_group,
                             e.groups));
    }
    std::string skip;
    if (r.regex.empty()) {
      skip = "path-only rule: it reports files by name, ward rules match content";
    } else if (e.skip_report) {
      skip = "skipReport rule: it only serves composite rules";
    } else if (e.composite) {
      skip = "composite rule ([[rules.required]]) is not supported";
    } else if (!e.path.empty()) {
      skip = fmt::format(
          "applies only to paths matching '{}'; ward applies every rule to every file", e.path);
    } else if (e.too_large) {
      skip = "regex is too large for RE2";
    } else if (r.secret_group > kMaxSecretGroup) {
      skip = fmt::format("secretGroup above {} is not supported", kMaxSecretGroup);
    }
    if (!skip.empty()) {
      out.skipped.push_back(fmt::format("{}: {}", r.id, skip));
      continue;
    }
    if ((e.gitleaks_regex || e.gitleaks_keywords) && !r.keywords.empty() &&
        !keywords_in_every_match(r.regex, r.keywords)) {
      out.notes.push_back(fmt::format(
          "{}: ward cannot show that every match contains one of its keywords (gitleaks looks "
          "for them anywhere in the text), so it runs the rule without keywords",
          r.id));
      r.keywords.clear();
    }
    if (e.gitleaks_regex && r.secret_group >= 1) r.regex = drop_leading_context(r.regex);
    // gitleaks reports entropy > value, ward entropy >= value.
    if (e.gitleaks_entropy && r.entropy > 0) r.entropy = std::nextafter(r.entropy, HUGE_VAL);
    if (to_lower(r.id).find("generic") != std::string::npos) append_unique(r.tags, {"generic"});
    out.rules.rules.push_back(std::move(r));
  }
  for (auto& n : notes) out.notes.push_back(std::move(n));
  return out;
}

}  // namespace ward::scan::gitleaks
