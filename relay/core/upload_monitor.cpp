#include "core/upload_monitor.hpp"

#include <algorithm>
#include <vector>

namespace treecast::core {
namespace {

constexpr duration rate_window = std::chrono::seconds(2);

double seconds_of(duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void upload_monitor::sample_stream() {
  samples_.push_back({ctx_.now, ctx_.stats.get(counter::chunk_bytes_received)});
  while (ctx_.now - samples_.front().at > rate_window) {
    samples_.pop_front();
  }
}

double upload_monitor::stream_bytes_per_second() const {
  if (samples_.size() < 2) {
    return 0;
  }
  return static_cast<double>(samples_.back().bytes - samples_.front().bytes) /
         seconds_of(rate_window);
}

bool upload_monitor::bound_by_uplink(double uplink_kbps, double stream_kbps, bool hidden) {
  if (stream_kbps <= 0) {
    return false;
  }
  const std::size_t slots = slots_carried(uplink_kbps, stream_kbps, ctx_.config.uplink_headroom,
                                          ctx_.config.max_children);
  if (slots == uplink_slots_) {
    return false;
  }
  uplink_slots_ = slots;
  slot_limit_ = std::min(slot_limit_, uplink_slots_);
  ctx_.log(log_level::info, std::string("our uplink carried ") + (hidden ? "at least " : "") +
                                std::to_string(static_cast<long long>(uplink_kbps)) +
                                (hidden ? " kbit/s (our downlink timed no more)" : " kbit/s") +
                                ": offering " + std::to_string(slot_limit_) + " of " +
                                std::to_string(ctx_.config.max_children) + " slots");
  return true;
}

std::size_t upload_monitor::slots_carried(double uplink_kbps, double stream_kbps, double headroom,
                                          std::size_t max_children) {
  const auto carried =
      static_cast<std::size_t>(std::max(0.0, uplink_kbps / (stream_kbps * headroom)));
  return std::min(carried, max_children);
}

void upload_monitor::stop() {
  next_check_.reset();
  calm_since_.reset();
  behind_since_.clear();
  samples_.clear();
}

std::optional<link_id_t> upload_monitor::on_timer() {
  if (!next_check_ || ctx_.now < *next_check_) {
    return std::nullopt;
  }
  next_check_ = ctx_.now + check_interval;
  sample_stream();
  const double rate = stream_bytes_per_second();
  if (rate <= 0) {
    return std::nullopt;
  }
  const double limit_bytes = rate * seconds_of(ctx_.config.child_lag_limit);
  std::map<link_id_t, time_point> over;                   // over the limit now, since when
  std::vector<std::pair<std::size_t, link_id_t>> behind;  // over it for the patience
  for (const auto& [id, c] : children_) {
    const std::size_t backlog = c.l->queued_bytes + c.l->held_bytes;
    if (static_cast<double>(backlog) <= limit_bytes) {
      continue;
    }
    const auto earlier = behind_since_.find(id);
    const time_point since = earlier != behind_since_.end() ? earlier->second : ctx_.now;
    over[id] = since;
    if (ctx_.now - since >= ctx_.config.child_lag_patience) {
      behind.emplace_back(backlog, id);
    }
  }
  behind_since_.swap(over);
  const std::size_t max_children = ctx_.config.max_children;
  if (behind.empty()) {
    if (!behind_since_.empty()) {
      calm_since_.reset();
      return std::nullopt;
    }
    // The children we hold keep up: they fit. Above them, one slot more
    // per slot_regrow_interval of calm.
    const std::size_t most = std::min(max_children, uplink_slots_);
    slot_limit_ = std::max(slot_limit_, std::min(children_.count(), most));
    if (!calm_since_) {
      calm_since_ = ctx_.now;
    } else if (slot_limit_ < most && ctx_.now - *calm_since_ >= ctx_.config.slot_regrow_interval) {
      ++slot_limit_;
      calm_since_ = ctx_.now;
      ctx_.log(log_level::info, "children kept up: offering " + std::to_string(slot_limit_) +
                                    " of " + std::to_string(max_children) + " slots again");
    }
    return std::nullopt;
  }
  calm_since_.reset();
  std::sort(behind.rbegin(), behind.rend());
  const std::size_t held = children_.count();
  // One child alone behind tells nothing of our uplink (its own link may
  // be the slow one): two or more, and half of the children or more, do.
  const bool our_uplink = behind.size() >= 2 && 2 * behind.size() >= held;
  if (our_uplink) {
    const std::size_t keeping_up = held - behind.size();
    if (keeping_up < slot_limit_) {
      slot_limit_ = keeping_up;
      ctx_.log(log_level::warn, "our uplink does not carry " + std::to_string(held) +
                                    " children (" + std::to_string(behind.size()) +
                                    " fell behind): offering " + std::to_string(slot_limit_) +
                                    " slots");
    }
  }
  return behind.front().second;  // the furthest behind goes first
}

}  // namespace treecast::core
