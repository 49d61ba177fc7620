// Symbol -> position, open addressing over a flat array: the lookup of every row, without allocating or copying
// the symbol (std::unordered_map costs a node chase and a string copy per row).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace derivcache::backfill {

class symbol_index {
public:
  static constexpr std::uint32_t none = UINT32_MAX;

  /// The position stored for `symbol`, or `none`. `name_of(position)` gives the symbol stored at a position.
  template <class NameOf>
  std::uint32_t find(std::string_view symbol, NameOf name_of) const {
    if (slots_.empty())
      return none;
    const auto h = hash(symbol);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const auto& s = slots_[i];
      if (s.position == none)
        return none;
      if (s.hash == h && name_of(s.position) == symbol)
        return s.position;
    }
  }

  /// Stores `position` for `symbol` (not present yet).
  void insert(std::string_view symbol, std::uint32_t position) {
    if ((size_ + 1) * 2 > slots_.size())
      grow();
    place(hash(symbol), position);
    ++size_;
  }

  void clear() {
    slots_.assign(slots_.size(), slot{});
    size_ = 0;
  }

private:
  struct slot {
    std::uint32_t hash = 0;
    std::uint32_t position = none;
  };

  // Eight bytes at a time, each mixed in by a multiply (a Deribit name is 11 to 25 bytes); folded to 32 bits.
  static std::uint32_t hash(std::string_view s) {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    const char* p = s.data();
    std::size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
      std::uint64_t chunk;
      std::memcpy(&chunk, p, 8);
      h = (h ^ chunk) * 0xBF58476D1CE4E5B9ull;
      h ^= h >> 31;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    h = (h ^ tail) * 0x94D049BB133111EBull;
    h ^= h >> 29;
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }

  void place(std::uint32_t h, std::uint32_t position) {
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_)
      if (slots_[i].position == none) {
        slots_[i] = {h, position};
        return;
      }
  }

  void grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, slot{});
    mask_ = slots_.size() - 1;
    for (const auto& s : old)
      if (s.position != none)
        place(s.hash, s.position);
  }

  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

} // namespace derivcache::backfill
