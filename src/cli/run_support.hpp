// What ward run, env and trust share: lazily opened key access, the trusted
// project files (allow-list and templates) and turning requests into a
// child's environment.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "cli/key_access.hpp"
#include "mask/masker.hpp"
#include "run/allowlist.hpp"
#include "run/child_env.hpp"
#include "run/template.hpp"

namespace ward::cli {

// Opens KeyAccess on first use, so commands that need no value never ask
// for a passphrase.
class KeyAccessFactory {
 public:
  explicit KeyAccessFactory(const Context& ctx) : ctx_(ctx) {}
  Result<std::reference_wrapper<KeyAccess>> get();
  // The access if get() has opened it.
  KeyAccess* peek() { return access_ ? &*access_ : nullptr; }

 private:
  const Context& ctx_;
  std::optional<KeyAccess> access_;
};

// One variable a child may receive.
struct Request {
  std::string var;
  std::string origin;                  // "--secret", "FILE:LINE", "template", "environment"
  std::optional<TemplateEntry> entry;  // a path or template...
  std::string blob;                    // ...or an ENC[ward:...] value from the environment
};

bool valid_env_name(std::string_view name);
// PATH, HOME, USER, LANG and TERM of env, nothing else.
ChildEnv pristine_env(const ChildEnv& env);

// The contents of PROJECT/.ward/RELPATH when `ward trust` pinned exactly
// these bytes; nullopt (after a warning naming `ward trust`) otherwise.
Result<std::optional<std::string>> read_trusted_project_file(KeyAccessFactory& keys,
                                                             const std::string& project,
                                                             const std::string& relpath);
// The allow-list in force: the trusted project file, else the user's.
// usage error with a hint when there is none.
Result<Allowlist> load_effective_allowlist(const Context& ctx, KeyAccessFactory& keys);
// The template for a tool: trusted .ward/templates/NAME.env, else the user's.
Result<std::vector<TemplateEntry>> tool_template(const Context& ctx, KeyAccessFactory& keys,
                                                 const std::string& name);
// Tells the running agent (if any) that this process and everything it
// starts may ask for the granted variables and paths and nothing more.
Status restrict_descendants(const Context& ctx, KeyAccessFactory& keys,
                            const std::vector<Request>& granted);

// Resolves every request's value and sets it in env; collects mask values
// unless masks is null. Through the agent, the same request restricts this
// process to the requests; without one the caller still owes
// restrict_descendants.
Status grant(KeyAccess& access, const std::vector<Request>& requests, ChildEnv& env,
             std::vector<MaskValue>* masks, const GrantRecord& record);

}  // namespace ward::cli
