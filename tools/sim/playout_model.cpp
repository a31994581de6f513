#include "playout_model.hpp"

#include <algorithm>

namespace treecast::sim {

void playout_model::on_chunk(core::time_point captured, core::time_point arrived) {
  const core::duration delay = arrived - captured;
  while (!edge_.empty() && edge_.back().delay >= delay) {
    edge_.pop_back();
  }
  edge_.push_back({arrived, delay});
  while (edge_.front().at < arrived - live_edge_span) {
    edge_.pop_front();  // the newest stays: its time is now
  }
  if (!offset_) {
    offset_ = (arrived - captured) + buffer_;
    first_arrival_ = arrived;
    newest_capture_ = captured;
    return;
  }
  if (captured <= newest_capture_) {
    return;  // an older chunk (a backlog copy): the player has moved past it
  }
  newest_capture_ = captured;
  const core::time_point due = captured + *offset_;
  if (arrived > due) {
    if (arrived - due > stall_tolerance) {
      ++stalls_;
      stalled_ += arrived - due;
    }
    late_ += arrived - due;
    *offset_ += arrived - due;
    moved_later_ = arrived;
  } else if (due - arrived > buffer_ + early_tolerance) {
    *offset_ -= (due - arrived) - buffer_;  // back to the target
  } else if (const core::duration short_by = edge_.front().delay + buffer_ - *offset_;
             short_by > restore_margin &&
             (!moved_later_ || arrived - *moved_later_ >= restore_interval)) {
    // A frame shown a step longer: jitter the viewer's meter does not count.
    const core::duration step = std::min(short_by, restore_step);
    *offset_ += step;
    late_ += step;
    moved_later_ = arrived;
  }
}

core::duration playout_model::watched(core::time_point now) const {
  return first_arrival_ ? now - *first_arrival_ : core::duration{};
}

}  // namespace treecast::sim
