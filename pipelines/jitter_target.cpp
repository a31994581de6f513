#include "jitter_target.hpp"

#include <algorithm>

namespace treecast::media {

jitter_target::jitter_target(config cfg) : config_(cfg), target_us_(cfg.floor_us) {
  config_.ceiling_us = std::max(config_.ceiling_us, config_.floor_us);
}

void jitter_target::on_frame(std::int64_t now_us, std::int64_t slack_us) {
  if (!on_time_yet_) {
    if (slack_us < 0) {
      return;  // the join's backlog, played past at once
    }
    on_time_yet_ = true;
  }
  if (slack_us < 0) {
    target_us_ = std::min(config_.ceiling_us, target_us_ - slack_us + config_.margin_us);
    ++growths_;
    last_growth_us_ = now_us;
    last_step_us_ = now_us;
    least_slack_us_.reset();
    return;
  }
  if (!last_step_us_) {
    last_step_us_ = now_us;
  }
  least_slack_us_ = std::min(least_slack_us_.value_or(slack_us), slack_us);
  const bool calm = !last_growth_us_ || now_us - *last_growth_us_ >= config_.calm_us;
  if (!calm || now_us - *last_step_us_ < config_.shrink_every_us) {
    return;
  }
  const std::int64_t spare = *least_slack_us_ - config_.margin_us;
  const std::int64_t step = std::clamp(spare, std::int64_t{0}, config_.shrink_step_us);
  target_us_ = std::max(config_.floor_us, target_us_ - step);
  last_step_us_ = now_us;
  least_slack_us_.reset();
}

void jitter_target::expect_lateness(std::int64_t lateness_us) {
  if (on_time_yet_) {
    return;
  }
  target_us_ = std::clamp(lateness_us + config_.margin_us, target_us_, config_.ceiling_us);
}

}  // namespace treecast::media
