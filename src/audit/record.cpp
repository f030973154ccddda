#include "audit/record.hpp"

#include <fmt/format.h>

#include "audit/actor.hpp"
#include "audit/log.hpp"

namespace ward::audit {

Event make_event(std::string name, std::vector<std::string> secrets, const Error* failure) {
  Event e;
  e.event = std::move(name);
  e.secrets = std::move(secrets);
  if (failure) set_failure(e, *failure);
  return e;
}

Status record_here(Event e) {
  if (e.actor.pid == 0) e.actor = actor_of_self();
  auto written = [&]() -> Status {
    AuditLog log = TRY(AuditLog::open(default_log_path()));
    std::vector<Event> batch;
    batch.push_back(std::move(e));
    TRY(log.append(batch));
    return {};
  }();
  if (!written) {
    return fail(Code::io, fmt::format("cannot write the audit log: {}", written.error().message),
                written.error().hint.empty() ? "check the disk and " + default_log_path()
                                             : written.error().hint);
  }
  return {};
}

}  // namespace ward::audit
