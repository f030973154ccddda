#include "core/hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include "util/file.hpp"

namespace ward {

Status harden_process(Hardening level) {
  rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0)
    return errno_error(Code::io, "cannot disable core dumps");
  if (level == Hardening::undumpable && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return errno_error(Code::io, "cannot mark the process undumpable");
  }
  return {};
}

}  // namespace ward
