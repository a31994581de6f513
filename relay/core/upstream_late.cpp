#include "core/upstream_late.hpp"

#include <algorithm>

namespace treecast::core {

bool upstream_late_notice::due(bool late, time_point now) {
  if (!late) {
    next_.reset();
    return false;
  }
  if (next_ && now < *next_) {
    return false;
  }
  next_ = now + notice_interval;
  return true;
}

void upstream_hold::on_notice(time_point now) {
  if (!episode_since(now)) {
    since_ = now;  // a new episode
  }
  last_ = now;
}

std::optional<time_point> upstream_hold::episode_since(time_point now) const {
  return last_ && now - *last_ <= notice_ttl ? since_ : std::nullopt;
}

std::optional<time_point> upstream_hold::until(time_point now) const {
  if (!last_) {
    return std::nullopt;
  }
  const time_point end = std::min(*last_ + notice_ttl, *since_ + max_hold);
  return now < end ? std::optional(end) : std::nullopt;
}

void upstream_hold::reset() {
  since_.reset();
  last_.reset();
}

}  // namespace treecast::core
