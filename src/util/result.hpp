// Result<T>: the one error style of library code. A function that can fail
// returns Result<T>; callers pass errors up with TRY and only the CLI turns an
// Error into a message and an exit code. No exception crosses a module edge.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace ward {

// What went wrong, for code to branch on. People read Error::message.
enum class Code {
  invalid_input,   // bad value from the user or a file (exit 2)
  usage,           // bad command line (exit 2)
  not_found,       // no such secret, vault or file (exit 5)
  already_exists,  // refusing to overwrite (exit 1)
  denied,          // policy, peer or agent check refused (exit 3)
  locked,          // vault key not available (exit 4)
  corrupt,         // a file or message failed its integrity or format check (exit 1)
  io,              // the operating system said no (exit 1)
  crypto,          // a primitive failed, e.g. wrong passphrase (exit 1)
  protocol,        // malformed request or response on the agent socket (exit 1)
  unavailable,     // a peer (agent, server) is not there (exit 1)
  timeout,         // gave up waiting (exit 1)
  internal,        // a bug (exit 1)
};

struct Error {
  Code code = Code::internal;
  std::string message;  // lower case, no full stop: "vault is locked"
  std::string hint;     // optional: "run 'ward unlock'"
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> fail(Code code, std::string message, std::string hint = {}) {
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(hint)});
}

// The process exit code documented in docs/exit-codes.md for an error code.
int exit_code_for(Code code);

// Short stable name of a code ("not_found"), used on the agent wire.
const char* code_name(Code code);
// Inverse of code_name; unknown names map to Code::internal.
Code code_from_name(const std::string& name);

namespace detail {
template <class T>
T try_value(Result<T>&& r) {
  return std::move(*r);
}
inline void try_value(Status&&) {}
}  // namespace detail

}  // namespace ward

// Evaluates a Result expression; on error returns it from the enclosing
// function, otherwise yields the value (GNU statement expression).
#define TRY(expr)                                                                \
  ({                                                                             \
    auto&& ward_try_result_ = (expr);                                            \
    if (!ward_try_result_) {                                                     \
      return tl::unexpected<::ward::Error>(std::move(ward_try_result_).error()); \
    }                                                                            \
    ::ward::detail::try_value(std::move(ward_try_result_));                      \
  })
