// ward import --scan PATH [--prefix P] [--dry-run].
#pragma once

#include <string>

#include "cli/context.hpp"

namespace ward::cli {

struct ImportScanOptions {
  std::string path;  // a file, or a directory whose config-like files are read
  std::string prefix;
  bool dry_run = false;
};

Status cmd_import_scan(const Context& ctx, const ImportScanOptions& o);

}  // namespace ward::cli
