// When the parent's next chunk is due, from the pace of its recent chunks:
// the median interval between consecutive ones. The stream's own clock, so
// a parent that stops sending is noticed about a chunk interval late, not
// after missed heartbeats, and without waiting for anyone else's copy.
#pragma once

#include <deque>
#include <optional>

#include "core/time.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

class parent_pace {
 public:
  // Chunk `seq` came from the parent at `now`.
  void on_chunk(wire::seq_t seq, time_point now);

  // The median interval between consecutive chunks, once enough are known.
  std::optional<duration> interval() const;
  // When the chunk after the newest one is due (nullopt while the pace is
  // not known).
  std::optional<time_point> next_due() const;
  // The newest chunk the parent sent.
  std::optional<wire::seq_t> last_seq() const { return last_seq_; }

 private:
  static constexpr std::size_t intervals_kept = 16;
  static constexpr std::size_t intervals_needed = 8;
  // Closer than this is a backlog's burst, not the stream's pace.
  static constexpr duration burst = std::chrono::milliseconds(1);

  std::optional<wire::seq_t> last_seq_;
  time_point last_arrival_{};
  std::deque<duration> intervals_;
};

}  // namespace treecast::core
