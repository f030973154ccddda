// PrefixIndex answers the one question a streaming masker must ask after every
// write: which suffixes of the bytes seen so far are proper prefixes of some
// pattern, and so could still become a match? Those bytes are held back;
// everything before them can be decided and emitted at once.
//
// The index holds no pattern bytes. Each proper prefix is stored as a keyed
// polynomial hash (Karp-Rabin modulo the Mersenne prime 2^61-1, with a random
// base drawn per index and kept in SecretBytes, so in locked memory excluded
// from core dumps). Without the key the table says nothing about the patterns.
// A polynomial hash, unlike SipHash, extends by one byte in O(1) — the hashes
// of all suffixes of length 1..K cost K multiply-adds (Horner's rule read
// right to left) instead of K^2/2 bytes hashed. It is a hash table's hash, not
// a MAC: every hit is verified against the pattern's bytes, so a collision can
// only cost time, never a wrong answer.
//
// A one-hash Bloom filter in front of the table keeps the common case — no
// suffix is a prefix — to a multiply, an add and one bit test per length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/secret_bytes.hpp"

namespace ward {

class PrefixIndex {
 public:
  PrefixIndex() = default;

  // Indexes every proper prefix of every pattern up to max_prefix bytes long.
  // The spans must stay valid (and unchanged) for the index's lifetime; hits
  // are verified against them.
  void build(std::vector<std::span<const std::uint8_t>> patterns, std::size_t max_prefix);

  // Appends to hits, in increasing order, every k in [1, max_k] for which the
  // last k bytes of tail are an indexed prefix. Requires max_k <= tail.size().
  void suffix_hits(std::span<const std::uint8_t> tail, std::size_t max_k,
                   std::vector<std::size_t>& hits) const;

  // Number of distinct proper prefixes indexed.
  std::size_t size() const { return entries_; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t length = 0;  // 0: empty slot
    std::uint32_t pattern = 0;
  };

  std::uint64_t base() const;
  const Slot* find(std::uint64_t hash, std::span<const std::uint8_t> prefix) const;

  std::vector<std::span<const std::uint8_t>> patterns_;
  SecretBytes key_;  // the polynomial's base, 8 bytes
  std::vector<std::uint64_t> bloom_;
  unsigned bloom_shift_ = 64;
  std::vector<Slot> slots_;
  unsigned slot_shift_ = 64;
  std::size_t entries_ = 0;
};

}  // namespace ward
