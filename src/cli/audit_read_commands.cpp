#include "cli/context.hpp"

namespace ward::cli {

void register_audit_read_commands(CLI::App&, Context&) {}

}  // namespace ward::cli
