#include "core/parent_pace.hpp"

#include "core/median.hpp"

namespace treecast::core {

void parent_pace::on_chunk(wire::seq_t seq, time_point now) {
  if (last_seq_ && seq <= *last_seq_) {
    return;  // a duplicate or an old one: no news of the pace
  }
  if (last_seq_ && seq == *last_seq_ + 1 && now - last_arrival_ >= burst) {
    intervals_.push_back(now - last_arrival_);
    if (intervals_.size() > intervals_kept) {
      intervals_.pop_front();
    }
  }
  last_seq_ = seq;
  last_arrival_ = now;
}

std::optional<duration> parent_pace::interval() const {
  if (intervals_.size() < intervals_needed) {
    return std::nullopt;
  }
  return median_of(intervals_);
}

std::optional<time_point> parent_pace::next_due() const {
  const auto pace = interval();
  if (!pace || !last_seq_) {
    return std::nullopt;
  }
  return last_arrival_ + *pace;
}

}  // namespace treecast::core
