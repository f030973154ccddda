// Environment templates for `ward run`: dotenv files (`--env-file FILE`,
// `.ward/templates/TOOL.env`, `$XDG_CONFIG_HOME/ward/templates/TOOL.env`)
// whose values may reference the vault. A value is a sequence of literal text
// and references:
//
//   VAR=${ward:PATH}                      reference, may be embedded in text,
//   URL=postgres://app:${ward:db/pw}@db   several per value
//   VAR=${kms:PATH}                       KPM's spelling, same as ${ward:PATH}
//   VAR=ward://PATH                       whole value only
//   VAR=op://VAULT/ITEM/FIELD             1Password, whole value only, mapped
//                                         by op_reference_path
//   VAR=value                             a literal
//
// Other `${...}` text is kept literally, never expanded. Values stay in
// SecretBytes; error messages name lines and variables, never a value.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward {

// One piece of a value: a reference to a secret path, or literal bytes.
struct TemplatePart {
  bool is_ref = false;
  std::string path;     // when is_ref: a valid secret path
  SecretBytes literal;  // when !is_ref
};

// VAR and its value as parts, in order; an empty value has no parts.
struct TemplateEntry {
  std::string var;
  std::vector<TemplatePart> parts;
  int line = 0;  // 1-based line of the assignment
  // The referenced paths, each once, in order of first appearance.
  std::vector<std::string> paths() const;
};

// Parses template text (dotenv syntax). invalid_input "line N: ..." on bad
// dotenv syntax, an unterminated reference or an invalid secret path.
Result<std::vector<TemplateEntry>> parse_template(std::string_view text);

// Reads (as secret bytes) and parses a template file; errors are prefixed
// with the file's path. not_found when it does not exist.
Result<std::vector<TemplateEntry>> load_template_file(const std::string& path);

// Joins the parts of e, with each reference replaced by resolve(path); the
// first error of resolve is returned as is.
Result<SecretBytes> render_entry(
    const TemplateEntry& e, const std::function<Result<SecretBytes>(const std::string&)>& resolve);

// Classifies a single environment value: "ward://PATH", "${ward:PATH}" or
// "${kms:PATH}" as the whole value gives PATH (not validated: the caller
// checks it with validate_secret_path); anything else nullopt.
std::optional<std::string> reference_path(std::string_view value);

// Maps a 1Password reference "op://VAULT/ITEM/FIELD" (or
// "op://VAULT/ITEM/SECTION/FIELD") to the ward path "vault/item/field": each
// segment is lower-cased, every byte outside [a-z0-9._-] (spaces, punctuation,
// non-ASCII) becomes '-', runs of '-' collapse to one and leading/trailing
// '-' are dropped ("op://Private/My API Key!/password" -> "private/my-api-key/password").
// invalid_input on another shape, a "?attribute" query or an invalid result.
Result<std::string> op_reference_path(std::string_view reference);

}  // namespace ward
