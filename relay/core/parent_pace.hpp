// When the parent's next chunk is due, from the pace of its recent chunks:
// the median interval between consecutive ones. The stream's own clock, so
// a parent that stops sending is noticed about a chunk interval late, not
// after missed heartbeats, and without waiting for anyone else's copy.
// Chunks that came in a burst (much sooner after the one before than they
// were captured after it: a backlog crossing a slow link, 8 kB chunks 7 ms
// apart) say nothing of the pace: learnt, they made every later chunk look
// late. Arrivals, not capture intervals, make the pace: tried, capture
// intervals made the simulator's flash crowds fetch from standbys far more
// often and their trees deeper (README, Performance).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class parent_pace {
 public:
  // Chunk `seq`, captured at `capture_time_us`, came from the parent at `now`.
  void on_chunk(wire::seq_t seq, std::uint64_t capture_time_us, time_point now);

  // The median interval between consecutive chunks, once enough are known.
  std::optional<duration> interval() const { return interval_; }
  // When the chunk after the newest one is due (nullopt while the pace is
  // not known).
  std::optional<time_point> next_due() const;
  // The newest chunk the parent sent.
  std::optional<wire::seq_t> last_seq() const { return last_seq_; }

 private:
  static constexpr std::size_t intervals_kept = 16;
  static constexpr std::size_t intervals_needed = 8;

  std::optional<wire::seq_t> last_seq_;
  std::uint64_t last_capture_us_ = 0;
  time_point last_arrival_{};
  std::deque<duration> intervals_;
  std::optional<duration> interval_;  // their median, kept as they change
};

}  // namespace treecast::core
