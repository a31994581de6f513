// The simulator's future events, earliest first, ties in insertion order.
//
// A calendar queue rather than one binary heap: at 100 000 peers a million
// events wait at any moment, and a heap that size spends its time on cache
// misses. Events within the next `ring_ms` milliseconds sit in one bucket
// per millisecond; only the current bucket is kept as a heap (a few thousand
// events, in cache). Events further ahead (joins still to come, kills,
// connect timeouts) wait in a heap of their own and move into the ring as
// it reaches them. The order is exactly the binary heap's: (at, order).
//
// Event needs `at` (a core::time_point), and operator> ordering by (at,
// order).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "core/time.hpp"

namespace treecast::sim {

template <typename Event>
class event_queue {
 public:
  event_queue() : ring_(ring_ms) {}

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void push(Event e) {
    ++size_;
    const std::int64_t bucket = std::max(bucket_of(e), current_);
    if (bucket >= current_ + ring_ms) {
      later_.push(std::move(e));
      return;
    }
    ++in_ring_;
    std::vector<Event>& slot = slot_of(bucket);
    slot.push_back(std::move(e));
    if (bucket == current_ && heaped_) {
      std::push_heap(slot.begin(), slot.end(), std::greater<>{});
    }
  }

  // The earliest event; the queue must not be empty.
  const Event& top() {
    settle();
    return slot_of(current_).front();
  }

  // Removes the earliest event and returns it; the queue must not be empty.
  Event pop() {
    settle();
    std::vector<Event>& slot = slot_of(current_);
    std::pop_heap(slot.begin(), slot.end(), std::greater<>{});
    Event e = std::move(slot.back());
    slot.pop_back();
    --size_;
    --in_ring_;
    return e;
  }

 private:
  static constexpr std::int64_t ring_ms = 1024;
  // A finished bucket bigger than this gives its memory back: the ring's
  // buckets would otherwise each keep the largest size they ever had.
  static constexpr std::size_t kept_capacity = 256;

  static std::int64_t bucket_of(const Event& e) {
    return e.at.time_since_epoch().count() / 1000;  // microseconds to ms
  }

  std::vector<Event>& slot_of(std::int64_t bucket) {
    return ring_[static_cast<std::size_t>(bucket % ring_ms)];
  }

  // Makes the current bucket the earliest non-empty one, as a heap.
  void settle() {
    while (slot_of(current_).empty()) {
      if (slot_of(current_).capacity() > kept_capacity) {
        std::vector<Event>().swap(slot_of(current_));
      }
      if (in_ring_ == 0) {
        current_ = bucket_of(later_.top());  // nothing in the ring: jump
      } else {
        ++current_;
      }
      heaped_ = false;
      // What the ring now reaches moves in from the far heap.
      while (!later_.empty() && bucket_of(later_.top()) < current_ + ring_ms) {
        Event e = std::move(const_cast<Event&>(later_.top()));
        later_.pop();
        slot_of(std::max(bucket_of(e), current_)).push_back(std::move(e));
        ++in_ring_;
      }
    }
    if (!heaped_) {
      std::vector<Event>& slot = slot_of(current_);
      std::make_heap(slot.begin(), slot.end(), std::greater<>{});
      heaped_ = true;
    }
  }

  std::vector<std::vector<Event>> ring_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> later_;
  std::int64_t current_ = 0;  // the bucket at the ring's head
  bool heaped_ = false;       // the current bucket is a heap
  std::size_t size_ = 0;
  std::size_t in_ring_ = 0;
};

}  // namespace treecast::sim
