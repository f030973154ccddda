#include "crypto/locked_pool.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/secret_bytes.hpp"

namespace ward {
namespace {

bool all_zero(const void* p, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

// The VmFlags of the mapping holding p, from /proc/self/smaps.
std::string vm_flags_of(const void* p) {
  auto addr = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = addr >= lo && addr < hi;
    } else if (inside && line.starts_with("VmFlags:")) {
      return line;
    }
  }
  return "";
}

TEST(LockedPool, BlocksComeZeroedAndAreWipedOnRelease) {
  for (std::size_t n : {1u, 15u, 16u, 17u, 100u, 1000u, 2048u}) {
    auto* p = static_cast<std::uint8_t*>(locked_pool::allocate(n));
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(all_zero(p, n)) << n;
    std::memset(p, 0xA5, n);
    locked_pool::release(p, n);
    // The same class hands the block back first: it must be zero again.
    auto* again = static_cast<std::uint8_t*>(locked_pool::allocate(n));
    EXPECT_EQ(again, p) << n;
    EXPECT_TRUE(all_zero(again, n)) << n;
    locked_pool::release(again, n);
  }
}

TEST(LockedPool, MemoryIsExcludedFromCoreDumps) {
  void* p = locked_pool::allocate(64);
  std::string flags = vm_flags_of(p);
  ASSERT_FALSE(flags.empty());
  EXPECT_NE(flags.find(" dd"), std::string::npos) << flags;  // MADV_DONTDUMP
  locked_pool::release(p, 64);
}

TEST(LockedPool, SmallSecretBytesUseThePoolLargeOnesDoNot) {
  SecretBytes small = SecretBytes::from_view("small secret");
  SecretBytes large(locked_pool::kMaxBlock + 1);
  EXPECT_NE(vm_flags_of(small.data()).find(" dd"), std::string::npos);
  // sodium_malloc's own mapping: also excluded from dumps.
  EXPECT_NE(vm_flags_of(large.data()).find(" dd"), std::string::npos);
  // Growing past the pool moves the bytes intact.
  small.append(std::string(3000, 'x').data(), 3000);
  EXPECT_TRUE(small.view().starts_with("small secret"));
  EXPECT_EQ(small.size(), 12u + 3000u);
}

TEST(LockedPool, ThreadsShareItSafely) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      std::vector<SecretBytes> held;
      for (int i = 0; i < 5000; ++i) {
        std::size_t n = 1 + static_cast<std::size_t>((i * 37 + t) % 2048);
        SecretBytes s(n);
        std::memset(s.data(), t + 1, n);
        held.push_back(std::move(s));
        if (held.size() > 64) held.erase(held.begin(), held.begin() + 32);
      }
      for (const auto& s : held) {
        for (std::size_t i = 0; i < s.size(); ++i) ASSERT_EQ(s.data()[i], t + 1);
      }
    });
  }
  for (auto& th : threads) th.join();
}

}  // namespace
}  // namespace ward
