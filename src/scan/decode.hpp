// One level of decoding, so that a secret stored base64-, hex- or
// percent-encoded is still found: the scanner runs its rules over each
// decoding as well as over the text itself.
//
// Two cheap passes: memchr finds every '%' (most texts have none), and a
// 16-byte vector test finds 8-byte blocks made only of base64 characters
// (a run of 24 always holds one on the grid; prose and most code rarely
// do). Only around those does a 256-entry class table look closer:
//  - percent: the run of URL characters around a '%', when it holds a %XX
//    escape of a byte that is not an unreserved URL character, decoded
//    whole ('+' stays '+'; a '%' not followed by two hex digits stays), if
//    that is at least 16 bytes; base64 and hex inside it are then left be;
//  - otherwise each run of base64 characters (both alphabets, even mixed;
//    up to two '=' of padding, which are optional) of at least 24: its
//    maximal hex sub-runs of an even length of at least 32 digits decoded
//    as hex ("0x" prefixes fall away by themselves), and, when none of them
//    yields text, the whole run decoded as base64.
// A decoding is kept only when at least 90% of its bytes are printable ASCII
// (tab, CR and LF count as printable); decoding stops as soon as too many
// are not, so random keys that merely look like base64 cost little.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ward::scan {

enum class Encoding { base64, hex, percent };

// "base64", "hex", "percent".
std::string_view encoding_name(Encoding e);

struct Decoded {
  std::size_t offset = 0, length = 0;  // the encoded run in the original text
  Encoding encoding = Encoding::base64;
  std::string text;  // its decoding
};

// The encoded runs of text with their decodings, in ascending order of
// offset and never overlapping. Never fails; empty when there are none.
std::vector<Decoded> decode_runs(std::string_view text);

}  // namespace ward::scan
