// Small secrets from a locked pool.
//
// sodium_malloc gives every allocation its own mmap, two guard pages and an
// mlock (~24 µs), and once a process has threads each munmap and mprotect
// interrupts the other CPUs to flush their TLBs. Most secrets are small —
// keys, values, request payloads — and the agent allocates several per
// request, so blocks of up to kMaxBlock bytes come from 64 KiB arenas that
// are mapped once, fenced by a guard page on each side, mlock'ed (best
// effort, as libsodium does), excluded from core dumps (MADV_DONTDUMP, which
// must succeed) and never unmapped. Blocks are handed out by power-of-two
// size class from per-class free lists; a block is wiped when it is given
// back, before anyone can reuse it. The blocks inside one arena have no guard
// pages between them — the trade OpenSSL's secure heap and Botan's mlock
// pool make too; larger buffers still come from sodium_malloc. Under
// AddressSanitizer free blocks and the slack past each request are poisoned,
// so an overrun into a neighbour is still caught in the sanitizer build.
#pragma once

#include <cstddef>

namespace ward::locked_pool {

constexpr std::size_t kMaxBlock = 2048;

// A wiped-on-release block of at least n bytes (1 <= n <= kMaxBlock).
// Aborts when no memory can be mapped.
void* allocate(std::size_t n);
// Wipes and returns a block; n is what allocate was asked for.
void release(void* block, std::size_t n);

}  // namespace ward::locked_pool
