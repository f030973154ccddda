// SecretBytes: the only home of key material and secret values.
//
// Memory is locked and excluded from core dumps (MADV_DONTDUMP), and wiped
// when freed: up to 2 KiB from the locked pool (crypto/locked_pool.hpp),
// larger buffers from sodium_malloc (guard pages of their own). The type is move-only
// and has no formatter or conversion to std::string, so a value cannot drift
// into a log line or an error message by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ward {

// Initialises libsodium once; every crypto entry point calls it.
void crypto_init();

class SecretBytes {
 public:
  SecretBytes() = default;
  // n zero bytes. Aborts if locked memory cannot be allocated.
  explicit SecretBytes(std::size_t n);
  static SecretBytes copy_of(const void* data, std::size_t size);
  static SecretBytes copy_of(std::span<const std::uint8_t> bytes) {
    return copy_of(bytes.data(), bytes.size());
  }
  // For literals in tests and fixed strings; never for user data held in std::string.
  static SecretBytes from_view(std::string_view text) { return copy_of(text.data(), text.size()); }
  static SecretBytes random(std::size_t n);

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  // A view for comparisons and matching inside ward; never store or print it.
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

  SecretBytes clone() const { return copy_of(data_, size_); }
  // Constant-time comparison.
  bool equals(const SecretBytes& other) const;
  // Appends bytes, reallocating in locked memory and wiping the old buffer.
  void append(const void* data, std::size_t size);
  // Makes room for n bytes in all, so appends up to n do not reallocate.
  void reserve(std::size_t n);
  // Keeps the first n bytes (n <= size()).
  void truncate(std::size_t n);

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace ward
