// PacketPool: the capture thread's preallocated packet slots. Fixed capacity, allocated once;
// slots travel to a worker as a 32-bit index over an SPSC ring and come back over another.
// Only the capture thread acquires and releases (free stacks are not shared), so no locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sensor/packet.h"

namespace ts {

struct PacketSlot {
  PacketView view;       // decoded headers, pointing into data
  uint32_t hash = 0;     // symmetric flow hash (dispatch and flow lookup)
  uint32_t capacity = 0; // bytes available at data
  uint8_t* data = nullptr;
};

class PacketPool {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // `slots` slots of `slot_bytes`, plus `jumbo_slots` of `jumbo_bytes` for frames (and
  // reassembled datagrams) that do not fit a normal slot.
  PacketPool(std::size_t slots, std::size_t slot_bytes, std::size_t jumbo_slots,
             std::size_t jumbo_bytes);

  // A free slot able to hold `bytes`, or kNone when none is free. Capture thread only.
  [[nodiscard]] uint32_t acquire(std::size_t bytes) noexcept {
    if (bytes <= slot_bytes_ && !free_small_.empty()) return pop(free_small_);
    if (bytes <= jumbo_bytes_ && !free_jumbo_.empty()) return pop(free_jumbo_);
    return kNone;
  }
  void release(uint32_t idx) noexcept {
    (idx < small_count_ ? free_small_ : free_jumbo_).push_back(idx);  // capacity reserved
  }

  PacketSlot& slot(uint32_t idx) noexcept { return slots_[idx]; }
  std::size_t size() const noexcept { return slots_.size(); }
  std::size_t free_count() const noexcept { return free_small_.size() + free_jumbo_.size(); }
  std::size_t max_frame() const noexcept { return jumbo_bytes_ > slot_bytes_ ? jumbo_bytes_ : slot_bytes_; }
  std::size_t memory_bytes() const noexcept { return arena_bytes_; }

 private:
  static uint32_t pop(std::vector<uint32_t>& v) noexcept {
    uint32_t i = v.back();
    v.pop_back();
    return i;
  }
  std::size_t slot_bytes_;
  std::size_t jumbo_bytes_;
  std::size_t small_count_;
  std::size_t arena_bytes_;
  std::unique_ptr<uint8_t[]> arena_;
  std::vector<PacketSlot> slots_;
  std::vector<uint32_t> free_small_;  // reserved to full size: push_back never reallocates
  std::vector<uint32_t> free_jumbo_;
};

}  // namespace ts
