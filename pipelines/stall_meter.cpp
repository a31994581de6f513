#include "stall_meter.hpp"

#include <algorithm>

namespace treecast::media {

void stall_meter::on_frame_shown(std::int64_t shown_us, std::int64_t pts_us) {
  if (!first_shown_us_) {
    first_shown_us_ = shown_us;
  } else if (held_) {
    held_ = false;
    last_shown_us_ = shown_us;
  } else {
    const std::int64_t media_gap = pts_us - last_pts_us_;
    if (media_gap > 0 && media_gap <= max_frame_interval_us) {
      frame_interval_us_ = media_gap;  // the stream's own frame rate
    }
    const std::int64_t expected = std::clamp<std::int64_t>(media_gap, 0, frame_interval_us_);
    const std::int64_t excess = shown_us - last_shown_us_ - expected;
    if (excess > tolerance_us) {
      ++stalls_;
      stall_us_ += excess;
      last_stall_ = {shown_us, excess};
    }
  }
  last_shown_us_ = std::max(last_shown_us_, shown_us);
  last_pts_us_ = pts_us;
}

std::uint64_t stall_meter::stalls(std::int64_t now_us) const {
  return stalls_ + (frozen_us(now_us) > 0 ? 1 : 0);
}

std::int64_t stall_meter::stall_us(std::int64_t now_us) const {
  return stall_us_ + frozen_us(now_us);
}

std::int64_t stall_meter::watch_us(std::int64_t now_us) const {
  return first_shown_us_ ? std::max<std::int64_t>(0, now_us - *first_shown_us_) : 0;
}

double stall_meter::rebuffer_ratio(std::int64_t now_us) const {
  const std::int64_t watched = watch_us(now_us);
  return watched > 0 ? static_cast<double>(stall_us(now_us)) / static_cast<double>(watched) : 0.0;
}

std::int64_t stall_meter::frozen_us(std::int64_t now_us) const {
  if (!first_shown_us_ || held_) {
    return 0;
  }
  const std::int64_t excess = now_us - last_shown_us_ - frame_interval_us_;
  return excess > tolerance_us ? excess : 0;
}

}  // namespace treecast::media
