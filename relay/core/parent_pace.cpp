#include "core/parent_pace.hpp"

#include <algorithm>

#include "core/median.hpp"

namespace treecast::core {

namespace {

// A chunk that came much sooner after the one before than it was captured
// after it is part of a burst (a backlog crossing a slow link, a parent
// catching up), not the stream's pace.
bool in_burst(duration arrived_after, duration captured_after) {
  constexpr duration least = std::chrono::milliseconds(1);
  return arrived_after < std::max(least, captured_after / 4);
}

}  // namespace

void parent_pace::on_chunk(wire::seq_t seq, std::uint64_t capture_time_us, time_point now) {
  if (last_seq_ && seq <= *last_seq_) {
    return;  // a duplicate or an old one: no news of the pace
  }
  if (last_seq_ && seq == *last_seq_ + 1 && capture_time_us > last_capture_us_ &&
      !in_burst(now - last_arrival_,
                std::chrono::microseconds(capture_time_us - last_capture_us_))) {
    intervals_.push_back(now - last_arrival_);
    if (intervals_.size() > intervals_kept) {
      intervals_.pop_front();
    }
    if (intervals_.size() >= intervals_needed) {
      interval_ = median_of(intervals_);
    }
  }
  last_seq_ = seq;
  last_capture_us_ = capture_time_us;
  last_arrival_ = now;
}

std::optional<time_point> parent_pace::next_due() const {
  if (!interval_ || !last_seq_) {
    return std::nullopt;
  }
  return last_arrival_ + *interval_;
}

}  // namespace treecast::core
