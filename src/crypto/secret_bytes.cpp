#include "crypto/secret_bytes.hpp"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "crypto/locked_pool.hpp"

namespace ward {

void crypto_init() {
  static const bool ok = [] { return sodium_init() >= 0; }();
  if (!ok) std::abort();
}

namespace {
// Small buffers from the locked pool, larger ones from sodium_malloc; n is
// the capacity, and the same n frees the buffer.
std::uint8_t* secure_alloc(std::size_t n) {
  crypto_init();
  if (n == 0) n = 1;
  if (n <= locked_pool::kMaxBlock) return static_cast<std::uint8_t*>(locked_pool::allocate(n));
  auto* p = static_cast<std::uint8_t*>(sodium_malloc(n));
  if (p == nullptr) std::abort();  // out of locked memory: never fall back to plain memory
  return p;
}

void secure_free(std::uint8_t* p, std::size_t n) {
  if (p == nullptr) return;
  if (n == 0) n = 1;
  if (n <= locked_pool::kMaxBlock) {
    locked_pool::release(p, n);
  } else {
    sodium_free(p);  // wipes
  }
}
}  // namespace

SecretBytes::SecretBytes(std::size_t n) : data_(secure_alloc(n)), size_(n), capacity_(n) {
  std::memset(data_, 0, n == 0 ? 1 : n);
}

SecretBytes SecretBytes::copy_of(const void* data, std::size_t size) {
  SecretBytes out(size);
  if (size) std::memcpy(out.data_, data, size);
  return out;
}

SecretBytes SecretBytes::random(std::size_t n) {
  SecretBytes out(n);
  randombytes_buf(out.data_, n);
  return out;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    secure_free(data_, capacity_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  secure_free(data_, capacity_);
}

bool SecretBytes::equals(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data_, size_) == 0;
}

void SecretBytes::reserve(std::size_t n) {
  if (n <= capacity_) return;
  std::uint8_t* fresh = secure_alloc(n);
  if (size_) std::memcpy(fresh, data_, size_);
  secure_free(data_, capacity_);  // wipes the old buffer
  data_ = fresh;
  capacity_ = n;
}

void SecretBytes::append(const void* data, std::size_t size) {
  if (size == 0) return;
  if (size_ + size > capacity_) {
    std::size_t cap = capacity_ ? capacity_ : 32;
    while (cap < size_ + size) cap *= 2;
    reserve(cap);
  }
  std::memcpy(data_ + size_, data, size);
  size_ += size;
}

void SecretBytes::truncate(std::size_t n) {
  if (n >= size_) return;
  sodium_memzero(data_ + n, size_ - n);
  size_ = n;
}

}  // namespace ward
