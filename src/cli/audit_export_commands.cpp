#include "cli/context.hpp"

namespace ward::cli {

void register_audit_export_commands(CLI::App&, Context&) {}

}  // namespace ward::cli
