#include "mask/prefix_index.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace ward {

namespace {

constexpr std::uint64_t kPrime = (std::uint64_t{1} << 61) - 1;
// Multipliers that spread a hash over the Bloom filter and the table
// (Fibonacci hashing: take the high bits of the product).
constexpr std::uint64_t kBloomMix = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t kSlotMix = 0xC2B2AE3D27D4EB4Full;

std::uint64_t reduce(std::uint64_t x) {
  x = (x & kPrime) + (x >> 61);
  return x >= kPrime ? x - kPrime : x;
}

// a * b mod 2^61-1, for a, b < 2^61.
std::uint64_t mul_mod(std::uint64_t a, std::uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  const std::uint64_t low = static_cast<std::uint64_t>(product) & kPrime;
  const std::uint64_t high = static_cast<std::uint64_t>(product >> 61);
  return reduce(low + high);
}

// Bytes enter the polynomial as 1..256, so that zero bytes count.
std::uint64_t symbol(std::uint8_t byte) {
  return std::uint64_t{byte} + 1;
}

unsigned shift_for(std::size_t buckets) {
  return 64 - static_cast<unsigned>(std::countr_zero(buckets));
}

}  // namespace

std::uint64_t PrefixIndex::base() const {
  std::uint64_t b = 0;
  std::memcpy(&b, key_.data(), sizeof b);
  return b;
}

void PrefixIndex::build(std::vector<std::span<const std::uint8_t>> patterns,
                        std::size_t max_prefix) {
  patterns_ = std::move(patterns);
  std::size_t prefixes = 0;
  for (const auto& pattern : patterns_) {
    prefixes += pattern.empty() ? 0 : std::min(pattern.size() - 1, max_prefix);
  }

  // A base in [2^32, 2^61 - 2]: far from the degenerate 0 and 1.
  key_ = SecretBytes::random(sizeof(std::uint64_t));
  std::uint64_t drawn = 0;
  std::memcpy(&drawn, key_.data(), sizeof drawn);
  const std::uint64_t b =
      (drawn % (kPrime - 1 - (std::uint64_t{1} << 32))) + (std::uint64_t{1} << 32);
  std::memcpy(key_.data(), &b, sizeof b);

  // Bloom filter: 16 bits per prefix (~6% false positives), at least 4 Kib.
  const std::size_t bloom_bits = std::bit_ceil(std::max<std::size_t>(4096, prefixes * 16));
  bloom_.assign(bloom_bits / 64, 0);
  bloom_shift_ = shift_for(bloom_bits);
  // Open addressing, load factor <= 1/2.
  const std::size_t slot_count = std::bit_ceil(std::max<std::size_t>(16, prefixes * 2));
  slots_.assign(slot_count, Slot{});
  slot_shift_ = shift_for(slot_count);
  entries_ = 0;

  for (std::uint32_t p = 0; p < patterns_.size(); ++p) {
    const auto pattern = patterns_[p];
    std::uint64_t hash = 0;
    std::uint64_t power = 1;
    for (std::size_t k = 1; k < pattern.size() && k <= max_prefix; ++k) {
      hash = reduce(hash + mul_mod(symbol(pattern[k - 1]), power));
      power = mul_mod(power, b);
      if (find(hash, pattern.first(k)) != nullptr) continue;  // shared with another pattern
      const std::uint64_t bit = (hash * kBloomMix) >> bloom_shift_;
      bloom_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
      std::size_t i = (hash * kSlotMix) >> slot_shift_;
      while (slots_[i].length != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = Slot{hash, static_cast<std::uint32_t>(k), p};
      ++entries_;
    }
  }
}

const PrefixIndex::Slot* PrefixIndex::find(std::uint64_t hash,
                                           std::span<const std::uint8_t> prefix) const {
  std::size_t i = (hash * kSlotMix) >> slot_shift_;
  for (; slots_[i].length != 0; i = (i + 1) & (slots_.size() - 1)) {
    const Slot& slot = slots_[i];
    if (slot.hash != hash || slot.length != prefix.size()) continue;
    if (std::memcmp(patterns_[slot.pattern].data(), prefix.data(), prefix.size()) == 0) {
      return &slot;
    }
  }
  return nullptr;
}

void PrefixIndex::suffix_hits(std::span<const std::uint8_t> tail, std::size_t max_k,
                              std::vector<std::size_t>& hits) const {
  if (entries_ == 0) return;
  const std::uint64_t b = base();
  const std::uint8_t* end = tail.data() + tail.size();
  // hash(t_0 .. t_{k-1}) = sum (t_j + 1) b^j; growing the suffix to the left
  // is Horner's step hash_k = (t_0 + 1) + b * hash_{k-1}.
  std::uint64_t hash = 0;
  for (std::size_t k = 1; k <= max_k; ++k) {
    hash = reduce(symbol(end[-static_cast<std::ptrdiff_t>(k)]) + mul_mod(b, hash));
    const std::uint64_t bit = (hash * kBloomMix) >> bloom_shift_;
    if ((bloom_[bit >> 6] >> (bit & 63) & 1) == 0) continue;
    if (find(hash, {end - k, k}) != nullptr) hits.push_back(k);
  }
}

}  // namespace ward
