// Fuzzes secret_arguments: arbitrary bytes split at '\0' into an argv (as
// /proc/PID/cmdline is) must never crash it, and every reported secret must
// lie inside its argument, be non-empty, and come in argument order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scan/processes.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> argv;
  while (!bytes.empty()) {
    std::size_t end = bytes.find('\0');
    if (end == std::string_view::npos) end = bytes.size();
    argv.emplace_back(bytes.substr(0, end));
    bytes.remove_prefix(end == bytes.size() ? end : end + 1);
  }
  auto found = ward::scan::secret_arguments(argv);
  for (std::size_t i = 0; i < found.size(); ++i) {
    const auto& s = found[i];
    check(s.arg < argv.size());
    check(s.length > 0);
    check(s.offset <= argv[s.arg].size());
    check(s.length <= argv[s.arg].size() - s.offset);
    check(!s.kind.empty());
    if (i > 0) {
      const auto& prev = found[i - 1];
      check(prev.arg < s.arg || (prev.arg == s.arg && prev.offset + prev.length <= s.offset));
    }
  }
  return 0;
}
