#include "sensor/packet_pool.h"

namespace ts {

PacketPool::PacketPool(std::size_t slots, std::size_t slot_bytes, std::size_t jumbo_slots,
                       std::size_t jumbo_bytes)
    : slot_bytes_(slot_bytes),
      jumbo_bytes_(jumbo_bytes),
      small_count_(slots),
      arena_bytes_(slots * slot_bytes + jumbo_slots * jumbo_bytes),
      arena_(new uint8_t[arena_bytes_]),
      slots_(slots + jumbo_slots) {
  free_small_.reserve(slots);
  free_jumbo_.reserve(jumbo_slots);
  uint8_t* p = arena_.get();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const bool small = i < slots;
    slots_[i].data = p;
    slots_[i].capacity = static_cast<uint32_t>(small ? slot_bytes : jumbo_bytes);
    p += slots_[i].capacity;
  }
  // Push in reverse so low indexes (warm memory first) are handed out first.
  for (std::size_t i = slots; i-- > 0;) free_small_.push_back(static_cast<uint32_t>(i));
  for (std::size_t i = slots + jumbo_slots; i-- > slots;) free_jumbo_.push_back(static_cast<uint32_t>(i));
}

}  // namespace ts
