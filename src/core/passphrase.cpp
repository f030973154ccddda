#include "core/passphrase.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "crypto/secret_io.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace ward {

namespace {

constexpr std::size_t kMaxLine = 4096;

// Reads bytes from fd up to a newline (not included) or EOF into SecretBytes.
Result<SecretBytes> read_line_fd(int fd) {
  SecretBytes line(kMaxLine);
  std::size_t n = 0;
  for (;;) {
    unsigned char c = 0;
    ssize_t r = ::read(fd, &c, 1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno_error(Code::io, "cannot read passphrase");
    }
    if (r == 0 || c == '\n') break;
    if (n == kMaxLine) {
      return fail(Code::invalid_input, "input line longer than 4096 bytes",
                  "use --stdin or --from-file for long values");
    }
    line.data()[n++] = c;
  }
  if (n > 0 && line.data()[n - 1] == '\r') --n;
  line.truncate(n);
  return line;
}

// Restores terminal attributes on scope exit.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) == 0) {
      termios t = saved_;
      t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      t.c_lflag |= ICANON;
      active_ = tcsetattr(fd_, TCSAFLUSH, &t) == 0;
    }
  }
  ~EchoOff() {
    if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

Result<Fd> open_tty() {
  Fd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
  if (!tty) return fail(Code::locked, "no terminal to ask for input");
  return tty;
}

}  // namespace

PassphraseSource resolve_passphrase_source(PassphraseSource source) {
  if (source.file.empty() && source.fd < 0) {
    const char* env = std::getenv("WARD_PASSPHRASE_FILE");
    if (env && *env) source.file = env;
  }
  return source;
}

bool have_terminal() {
  Fd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
  return tty.valid();
}

Result<SecretBytes> read_hidden_line(std::string_view prompt) {
  Fd tty = TRY(open_tty());
  TRY(write_all(tty.get(), prompt.data(), prompt.size()));
  Result<SecretBytes> line;
  {
    EchoOff echo_off(tty.get());
    line = read_line_fd(tty.get());
  }
  TRY(write_all(tty.get(), "\n", 1));
  return line;
}

Result<std::string> read_terminal_line(std::string_view prompt) {
  Fd tty = TRY(open_tty());
  TRY(write_all(tty.get(), prompt.data(), prompt.size()));
  SecretBytes line = TRY(read_line_fd(tty.get()));
  return std::string(trim(line.view()));
}

Result<SecretBytes> read_passphrase(const PassphraseSource& source, std::string_view prompt,
                                    bool confirm) {
  if (source.fd >= 0) return read_line_fd(source.fd);
  if (!source.file.empty()) {
    // A regular file must be private; pipes such as <(pass show ward) are fine.
    struct stat st {};
    if (::stat(source.file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)) {
      return fail(Code::denied,
                  fmt::format("passphrase file {} is readable by others or not yours", source.file),
                  fmt::format("run 'chmod 600 {}'", source.file));
    }
    Fd fd(::open(source.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) {
        return fail(Code::not_found, fmt::format("passphrase file {} does not exist", source.file));
      }
      return errno_error(Code::io, fmt::format("cannot open passphrase file {}", source.file));
    }
    return read_line_fd(fd.get());
  }
  if (!have_terminal()) {
    return fail(Code::locked, "no terminal to ask for the passphrase",
                "use --passphrase-file FILE or --passphrase-fd N");
  }
  SecretBytes first = TRY(read_hidden_line(prompt));
  if (!confirm) return first;
  SecretBytes second = TRY(read_hidden_line("Repeat passphrase: "));
  if (!first.equals(second)) return fail(Code::invalid_input, "passphrases do not match");
  return first;
}

Status check_passphrase_strength(const SecretBytes& passphrase) {
  static constexpr std::size_t kMinLength = 10;
  static constexpr std::array<std::string_view, 24> kCommon = {
      "password",    "passw0rd",    "password1",      "password123",   "1234567890",
      "12345678910", "qwertyuiop",  "iloveyou12",     "letmein123",    "correcthorsebatterystaple",
      "trustno1234", "abcdefghij",  "0987654321",     "administrator", "welcome123",
      "changeme123", "passphrase",  "secretpassword", "qwerty123456",  "football123",
      "baseball123", "monkey12345", "1q2w3e4r5t",     "zaq12wsxcde"};
  std::string_view text = passphrase.view();
  const std::string hint =
      fmt::format("use at least {} characters; a few random words work well", kMinLength);
  if (text.size() < kMinLength) {
    return fail(Code::invalid_input,
                fmt::format("passphrase is too short ({} characters)", text.size()), hint);
  }
  if (std::all_of(text.begin(), text.end(), [&](char c) { return c == text.front(); })) {
    return fail(Code::invalid_input, "passphrase is one repeated character", hint);
  }
  SecretBytes lowered = passphrase.clone();
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    lowered.data()[i] = static_cast<std::uint8_t>(std::tolower(lowered.data()[i]));
  }
  for (auto common : kCommon) {
    if (lowered.view() == common) {
      return fail(Code::invalid_input, "passphrase is too common", hint);
    }
  }
  return {};
}

}  // namespace ward
