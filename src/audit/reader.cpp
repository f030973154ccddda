#include "audit/reader.hpp"

#include <fmt/format.h>

#include "util/file.hpp"

namespace ward::audit {

Status for_each_event(const std::vector<std::string>& files,
                      const std::function<bool(const Event&, std::string_view line)>& fn) {
  ParsedLine parsed;
  for (const std::string& file : files) {
    MappedFile mapped = TRY(MappedFile::open(file));
    std::string_view text = mapped.view();
    std::int64_t line_no = 0;
    for (std::size_t nl; (nl = text.find('\n')) != std::string_view::npos;) {
      std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl + 1);
      ++line_no;
      auto ok = parse_line(line, parsed);
      if (!ok) {
        return fail(Code::corrupt, fmt::format("{} line {}: {}", file, line_no, ok.error().message),
                    "run 'ward audit verify'");
      }
      if (!fn(parsed.event, line)) return {};
    }
  }
  return {};
}

}  // namespace ward::audit
