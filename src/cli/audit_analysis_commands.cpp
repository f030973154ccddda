#include "cli/context.hpp"

namespace ward::cli {

void register_audit_analysis_commands(CLI::App&, Context&) {}

}  // namespace ward::cli
