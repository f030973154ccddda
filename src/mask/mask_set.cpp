// MaskSet::build: from values to one literal search — a Hyperscan database,
// or for a handful of expressions a list that the masker finds with memmem.
//
// Every form of every value (mask/encodings.hpp) is written into one arena of
// SecretBytes, deduplicated (the first value to produce a pattern gives it its
// label), copied into a compact arena of exactly the patterns kept, and handed
// to hs_compile_lit_multi straight from that arena — no other copy of the
// pattern bytes is made by ward, and the arena stays (locked, wiped on free)
// because the prefix index verifies its hits against it.
//
// Where the pattern bytes still go, and why:
//  - The compiled database necessarily encodes the patterns. Hyperscan's
//    allocator hooks (hs_set_database_allocator, hs_set_scratch_allocator) are
//    process-wide: every database in the process, ours or another module's,
//    would be allocated and freed through them, and a database allocated before
//    the hook was set would later be handed to sodium_free, which aborts. So we
//    leave them alone and instead serialize the compiled database and
//    deserialize it (hs_deserialize_database_at) into SecretBytes: the database
//    we scan with for the whole run sits in sodium_malloc memory — locked,
//    excluded from core dumps, wiped when the set is freed.
//  - The compiler's temporaries and the first compiled copy live in ordinary
//    heap memory and are freed, unwiped, before build returns; Hyperscan offers
//    no hook for them. The serialized copy is wiped before it is freed.
//  - Scratch space (one per masker) holds scanning state, not the patterns;
//    it comes from Hyperscan's default allocator.
#include <hs/hs.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <string_view>

#include "mask/encodings.hpp"
#include "mask/masker.hpp"

namespace ward {

namespace {

struct Candidate {
  FormSpan span;
  std::uint32_t label = 0;
};

struct DatabaseDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct CompileErrorDeleter {
  void operator()(hs_compile_error_t* error) const { hs_free_compile_error(error); }
};
// hs_serialize_database allocates with the misc allocator, which ward leaves
// at its default (malloc/free). Wiped first: the bytes encode the patterns.
struct SerializedDeleter {
  std::size_t length = 0;
  void operator()(char* bytes) const {
    explicit_bzero(bytes, length);
    std::free(bytes);
  }
};

}  // namespace

MaskSet::~MaskSet() {
  hs_free_scratch(prototype_scratch_);
}

Result<std::shared_ptr<const MaskSet>> MaskSet::build(std::vector<MaskValue> values,
                                                      Engine engine) {
  std::shared_ptr<MaskSet> set(new MaskSet());

  // 1. Every form of every value long enough to mask.
  SecretBytes forms_arena;
  std::vector<FormSpan> spans;
  std::vector<Candidate> candidates;
  std::vector<std::string> labels;  // of the values kept, as replacements_
  for (MaskValue& value : values) {
    if (value.value.size() < kMinMaskLength) {
      set->skipped_.push_back(std::move(value.label));
      continue;
    }
    const auto label = static_cast<std::uint32_t>(set->replacements_.size());
    set->replacements_.push_back("[masked:" + value.label + "]");
    labels.push_back(value.label);
    spans.clear();
    append_mask_forms(value.value, forms_arena, spans);
    for (const FormSpan& span : spans) {
      if (span.length >= kMinMaskLength) candidates.push_back(Candidate{span, label});
    }
  }
  if (candidates.empty()) return std::shared_ptr<const MaskSet>(std::move(set));

  // 2. Deduplicate: sort stably by bytes, keep the first of each run.
  auto bytes_of = [&](const Candidate& c) {
    return std::string_view(reinterpret_cast<const char*>(forms_arena.data()) + c.span.offset,
                            c.span.length);
  };
  std::vector<std::uint32_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return bytes_of(candidates[a]) < bytes_of(candidates[b]);
  });
  std::vector<bool> keep(candidates.size(), false);
  for (std::size_t i = 0; i < order.size(); ++i) {
    keep[order[i]] = i == 0 || bytes_of(candidates[order[i]]) != bytes_of(candidates[order[i - 1]]);
  }

  // 3. The kept patterns, in value order, in a compact arena.
  std::size_t total = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (keep[i]) total += candidates[i].span.length;
  }
  set->arena_ = SecretBytes(total);
  std::size_t offset = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!keep[i]) continue;
    const Candidate& c = candidates[i];
    std::memcpy(set->arena_.data() + offset, forms_arena.data() + c.span.offset, c.span.length);
    set->patterns_.push_back(Pattern{offset, static_cast<std::uint32_t>(c.span.length), c.label});
    set->max_length_ = std::max<std::size_t>(set->max_length_, c.span.length);
    offset += c.span.length;
  }
  forms_arena = SecretBytes();  // wiped and freed now, not at the end of build

  // 4. The expressions searched for. Patterns up to kDirectPrefix bytes are
  // searched whole (id = pattern index).
  // Hyperscan refuses literals of a few kilobytes, and a private key's hex is
  // longer, so a longer pattern is represented by its first kMarkerLength
  // bytes, its "marker" (id = pattern count + marker index, one per distinct
  // marker): the masker compares the window with the patterns behind every
  // marker it finds.
  const std::size_t count = set->patterns_.size();
  std::map<std::string_view, std::uint32_t> marker_ids;  // views into arena_
  for (std::uint32_t i = 0; i < count; ++i) {
    const Pattern& p = set->patterns_[i];
    if (p.length <= kDirectPrefix) {
      set->expressions_.push_back(Expression{p.offset, p.length, i});
      continue;
    }
    const std::string_view marker(reinterpret_cast<const char*>(set->arena_.data()) + p.offset,
                                  kMarkerLength);
    auto [it, fresh] =
        marker_ids.try_emplace(marker, static_cast<std::uint32_t>(set->markers_.size()));
    if (fresh) {
      set->markers_.emplace_back();
      set->expressions_.push_back(Expression{p.offset, static_cast<std::uint32_t>(kMarkerLength),
                                             static_cast<std::uint32_t>(count + it->second)});
    }
    set->markers_[it->second].push_back(i);
  }
  // 5. The prefix index for deciding what to hold back.
  std::vector<std::span<const std::uint8_t>> views;
  views.reserve(count);
  for (const Pattern& p : set->patterns_)
    views.emplace_back(set->arena_.data() + p.offset, p.length);
  set->prefixes_.build(std::move(views), kDirectPrefix);

  const std::size_t n = set->expressions_.size();
  const bool direct =
      engine == Engine::direct || (engine == Engine::automatic && n <= kDirectSearchMax);
  if (n == 0 || direct) return std::shared_ptr<const MaskSet>(std::move(set));

  // 6. One literal database. Hyperscan reports each occurrence at its end; the
  // start is end - length (literals), which SOM_LEFTMOST also reports.
  std::vector<const char*> bytes(n);
  std::vector<std::size_t> lengths(n);
  std::vector<unsigned> ids(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Expression& e = set->expressions_[i];
    bytes[i] = reinterpret_cast<const char*>(set->arena_.data()) + e.offset;
    lengths[i] = e.length;
    ids[i] = e.id;
  }
  std::vector<unsigned> flags(n, HS_FLAG_SOM_LEFTMOST);
  hs_database_t* raw_db = nullptr;
  hs_compile_error_t* raw_error = nullptr;
  const hs_error_t compiled =
      hs_compile_lit_multi(bytes.data(), flags.data(), ids.data(), lengths.data(),
                           static_cast<unsigned>(n), HS_MODE_BLOCK, nullptr, &raw_db, &raw_error);
  std::unique_ptr<hs_database_t, DatabaseDeleter> db(raw_db);
  std::unique_ptr<hs_compile_error_t, CompileErrorDeleter> error(raw_error);
  if (compiled != HS_SUCCESS) {
    // Hyperscan's message is not repeated: only labels may appear in errors.
    std::string where;
    if (error && error->expression >= 0 && static_cast<std::size_t>(error->expression) < n) {
      const std::uint32_t id = set->expressions_[error->expression].id;
      const std::uint32_t owner = id < count ? id : set->markers_[id - count].front();
      where = " (a pattern of " + labels[set->patterns_[owner].label] + ")";
    }
    return fail(Code::internal, "hyperscan cannot compile the masking patterns" + where);
  }

  // 7. Move the database into locked memory (see the top of this file).
  char* raw_bytes = nullptr;
  std::size_t serialized_length = 0;
  if (hs_serialize_database(db.get(), &raw_bytes, &serialized_length) != HS_SUCCESS) {
    return fail(Code::internal, "hyperscan cannot serialize the masking database");
  }
  std::unique_ptr<char, SerializedDeleter> serialized(raw_bytes,
                                                      SerializedDeleter{serialized_length});
  db.reset();
  std::size_t db_size = 0;
  if (hs_serialized_database_size(serialized.get(), serialized_length, &db_size) != HS_SUCCESS) {
    return fail(Code::internal, "hyperscan cannot size the masking database");
  }
  constexpr std::size_t kAlign = 64;  // Hyperscan needs 8; its bytecode likes 64
  // Slack after the database: it ends next to a guard page, and Hyperscan
  // has read past the ends of buffers before (see stream_masker.cpp).
  constexpr std::size_t kSlack = 64;
  set->database_memory_ = SecretBytes(db_size + kAlign + kSlack);
  const auto address = reinterpret_cast<std::uintptr_t>(set->database_memory_.data());
  auto* placed = reinterpret_cast<hs_database_t*>((address + kAlign - 1) & ~(kAlign - 1));
  if (hs_deserialize_database_at(serialized.get(), serialized_length, placed) != HS_SUCCESS) {
    return fail(Code::internal, "hyperscan cannot place the masking database");
  }
  set->database_ = placed;
  serialized.reset();

  if (hs_alloc_scratch(set->database_, &set->prototype_scratch_) != HS_SUCCESS) {
    return fail(Code::internal, "hyperscan cannot allocate scratch space for masking");
  }
  return std::shared_ptr<const MaskSet>(std::move(set));
}

}  // namespace ward
