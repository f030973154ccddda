// The only code that prints. Errors are one `ward: error: …` line plus an
// optional `ward: hint: …`; colour only when the stream is a terminal and
// NO_COLOR is unset.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.hpp"
#include "util/result.hpp"

namespace ward::cli {

void print_error(const Error& error);
void print_warning(std::string_view message);
bool stdout_is_terminal();
bool use_color(std::FILE* stream);
// Wraps text in an ANSI colour when use_color(stdout).
std::string colored(std::string_view text, std::string_view ansi_code);

// Left-aligned columns; the header row is printed as given.
// Text from outside (the audit log: comm, paths, reasons) made safe for a
// terminal: C0 controls, DEL and the C1 controls (U+0080-U+009F, which some
// terminals act on as CSI or OSC) become '?'.
std::string printable(std::string_view text);

void print_table(const std::vector<std::vector<std::string>>& rows);

// Writes raw bytes to stdout (for get --reveal only).
Status write_secret_to_stdout(const SecretBytes& value);

}  // namespace ward::cli
