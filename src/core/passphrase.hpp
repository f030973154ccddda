// Reading passphrases and hidden values: from a file (--passphrase-file or
// WARD_PASSPHRASE_FILE, which names a file), an inherited descriptor
// (--passphrase-fd), or the controlling terminal with echo off. Never from
// argv or an environment variable's value.
#pragma once

#include <string>
#include <string_view>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward {

struct PassphraseSource {
  std::string file;  // path, "" for none
  int fd = -1;       // inherited descriptor, -1 for none
  // The explicit source, else WARD_PASSPHRASE_FILE, else the terminal.
  bool has_non_terminal() const { return !file.empty() || fd >= 0; }
};

// Fills in file from WARD_PASSPHRASE_FILE when neither file nor fd is set.
PassphraseSource resolve_passphrase_source(PassphraseSource source);

// True when /dev/tty can be opened for reading and writing.
bool have_terminal();

// Reads a line from the terminal without echo, after writing prompt to it.
// locked when there is no terminal (the caller adds the hint).
Result<SecretBytes> read_hidden_line(std::string_view prompt);
// Reads a visible line from the terminal (for a TOTP code).
Result<std::string> read_terminal_line(std::string_view prompt);

// One passphrase: the file's first line, the fd's first line, or the terminal.
// With confirm and a terminal, asks twice and fails on mismatch.
Result<SecretBytes> read_passphrase(const PassphraseSource& source, std::string_view prompt,
                                    bool confirm);

// Refuses passphrases that are short, common or of a single repeated
// character (invalid_input with a hint).
Status check_passphrase_strength(const SecretBytes& passphrase);

}  // namespace ward
