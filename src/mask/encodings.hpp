// The forms in which a secret value is masked: the value itself and the
// encodings a program is likely to print it in.
//
//   base64      standard alphabet padded and unpadded, URL alphabet unpadded and padded
//   in a blob   the characters of the value's base64 that do not depend on its
//               neighbours when it sits at byte offset 0, 1 or 2 (mod 3) inside a
//               larger base64 blob (a JSON document or a Basic auth header
//               encoded whole), for both alphabets — what GitHub Actions masks
//   hex         lower and upper case
//   percent     RFC 3986: unreserved bytes kept, everything else %XX; upper and
//               lower case hex digits, space as %20 and as '+'
//   JSON        inside a string literal: \" and \\, control characters as the
//               short escapes (\n, \t, ...) or as \u00xx (lower or upper case
//               hex), each with '/' plain and escaped as "\/"
//
// Non-ASCII characters escaped as \uXXXX (JSON with ensure_ascii) are not
// covered. Forms can repeat (a value with no reserved characters percent-
// encodes to itself); MaskSet removes duplicates and forms shorter than
// kMinMaskLength.
#pragma once

#include <cstddef>
#include <vector>

#include "crypto/secret_bytes.hpp"

namespace ward {

// Where one form sits in an arena.
struct FormSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
};

// Appends the value and each of its encodings to arena, one span per form,
// the raw value first. Never fails.
void append_mask_forms(const SecretBytes& value, SecretBytes& arena, std::vector<FormSpan>& forms);

// The same forms, each in its own SecretBytes (for tests and fuzzers).
std::vector<SecretBytes> mask_forms(const SecretBytes& value);

}  // namespace ward
