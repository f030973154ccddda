#include "crypto/locked_pool.hpp"

#include <sodium.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>

#if defined(__SANITIZE_ADDRESS__)
#define WARD_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WARD_POOL_ASAN 1
#endif
#endif
#ifdef WARD_POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace ward::locked_pool {

namespace {

constexpr std::size_t kArenaBytes = 64 * 1024;
constexpr std::size_t kMinBlock = 16;
// 16, 32, ..., kMaxBlock
constexpr std::size_t kClasses = std::countr_zero(kMaxBlock) - std::countr_zero(kMinBlock) + 1;

struct FreeBlock {
  FreeBlock* next;
};

class Pool {
 public:
  void* allocate(std::size_t n) {
    std::size_t cls = class_of(n);
    std::size_t size = kMinBlock << cls;
    std::lock_guard<std::mutex> lock(mutex_);
    void* block = nullptr;
    if (FreeBlock* head = free_[cls]) {
      UNPOISON(head, sizeof(FreeBlock));
      free_[cls] = head->next;
      head->next = nullptr;  // wiped: the block is all zero again
      block = head;
    } else {
      if (left_ < size) new_arena();
      block = next_;
      next_ += size;
      left_ -= size;
    }
    UNPOISON(block, n);
    return block;
  }

  void release(void* block, std::size_t n) {
    std::size_t cls = class_of(n);
    UNPOISON(block, kMinBlock << cls);
    sodium_memzero(block, kMinBlock << cls);
    std::lock_guard<std::mutex> lock(mutex_);
    auto* freed = static_cast<FreeBlock*>(block);
    freed->next = free_[cls];
    free_[cls] = freed;
    POISON(block, kMinBlock << cls);
  }

 private:
  static std::size_t class_of(std::size_t n) {
    if (n == 0 || n > kMaxBlock) std::abort();
    std::size_t rounded = std::bit_ceil(n < kMinBlock ? kMinBlock : n);
    return static_cast<std::size_t>(std::countr_zero(rounded) - std::countr_zero(kMinBlock));
  }

  // The rest of the current arena is abandoned (at most one block's worth).
  void new_arena() {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::size_t total = kArenaBytes + 2 * page;
    void* base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) std::abort();
    auto* bytes = static_cast<std::uint8_t*>(base);
    std::uint8_t* arena = bytes + page;
    if (::mprotect(bytes, page, PROT_NONE) != 0 ||
        ::mprotect(arena + kArenaBytes, page, PROT_NONE) != 0 ||
        ::madvise(arena, kArenaBytes, MADV_DONTDUMP) != 0) {
      std::abort();  // never hand out memory that could reach a core file
    }
    (void)::mlock(arena, kArenaBytes);
    POISON(arena, kArenaBytes);
    next_ = arena;
    left_ = kArenaBytes;
  }

  std::mutex mutex_;
  std::array<FreeBlock*, kClasses> free_{};
  std::uint8_t* next_ = nullptr;
  std::size_t left_ = 0;
};

Pool& pool() {
  static Pool* instance = new Pool;  // never destroyed: blocks may be released at exit
  return *instance;
}

}  // namespace

void* allocate(std::size_t n) {
  return pool().allocate(n);
}

void release(void* block, std::size_t n) {
  pool().release(block, n);
}

}  // namespace ward::locked_pool
