// Reads the events of the chain in order, for tail, show, query, the
// detectors and the report. Parses and schema-checks each line but does not
// verify hashes (that is verify_chain's job).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/event.hpp"
#include "util/result.hpp"

namespace ward::audit {

// fn(event, line) for every complete line of files (oldest first); a torn
// last line is skipped. Stops early when fn returns false. corrupt, naming
// file and line, when a line does not parse.
Status for_each_event(const std::vector<std::string>& files,
                      const std::function<bool(const Event&, std::string_view line)>& fn);

}  // namespace ward::audit
