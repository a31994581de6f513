#include "playout_model.hpp"

namespace treecast::sim {

void playout_model::on_chunk(core::time_point captured, core::time_point arrived) {
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
  } else if (due - arrived > buffer_ + early_tolerance) {
    *offset_ -= (due - arrived) - buffer_;  // back to the target
  }
}

core::duration playout_model::watched(core::time_point now) const {
  return first_arrival_ ? now - *first_arrival_ : core::duration{};
}

}  // namespace treecast::sim
