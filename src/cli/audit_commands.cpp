// ward audit: reading, verifying, analysing and exporting the audit log.
// Each group of subcommands lives in its own file.
#include "cli/context.hpp"

namespace ward::cli {

void register_audit_commands(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "Read, verify and analyse the audit log");
  audit->require_subcommand(1);
  register_audit_read_commands(*audit, ctx);
  register_audit_analysis_commands(*audit, ctx);
  register_audit_export_commands(*audit, ctx);
}

}  // namespace ward::cli
