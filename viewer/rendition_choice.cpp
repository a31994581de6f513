#include "rendition_choice.hpp"

#include <algorithm>
#include <vector>

namespace treecast::viewer {

namespace {

std::string ms(std::int64_t us) {
  return std::to_string(us / 1000) + " ms";
}

std::string kbit(double kbps) {
  return std::to_string(static_cast<long long>(kbps)) + " kbit/s";
}

// Chunks kept for the rate a link shows while behind (~3 s at 30 fps).
constexpr std::size_t max_arrivals = 90;

constexpr wire::rendition ladder[] = {wire::rendition::audio, wire::rendition::low,
                                      wire::rendition::full};

}  // namespace

bool rendition_choice::has(wire::rendition r) const {
  return kbps_[static_cast<std::size_t>(r)] > 0;
}

std::optional<wire::rendition> rendition_choice::above(wire::rendition r) const {
  bool past = false;
  for (const auto step : ladder) {
    if (past && has(step)) {
      return step;
    }
    past = past || step == r;
  }
  return std::nullopt;
}

std::optional<wire::rendition> rendition_choice::below(wire::rendition r) const {
  std::optional<wire::rendition> found;
  for (const auto step : ladder) {
    if (step == r) {
      return found;
    }
    if (has(step)) {
      found = step;
    }
  }
  return found;
}

bool rendition_choice::held_down() const {
  if (wanted_ == wire::rendition::full) {
    return false;
  }
  // The narrower of the join's timing and the keyframes': a keyframe that
  // a shaper's bucket and queue took in at once looks wide (lab: a 1 Mbit/s
  // viewer timed at 1048 kbit/s at its join took children two seconds later
  // on its keyframes' word, and fell to sound alone).
  auto capacity = capacity_kbps();
  if (downlink_kbps_) {
    capacity = std::min(capacity.value_or(*downlink_kbps_), *downlink_kbps_);
  }
  return stepped_down_ ||
         (capacity &&
          *capacity < config_.headroom * kbps_[static_cast<std::size_t>(wire::rendition::full)]);
}

std::optional<double> rendition_choice::capacity_kbps() const {
  if (rates_.size() < 2) {
    return std::nullopt;
  }
  std::vector<double> values;
  for (const auto& s : rates_) {
    values.push_back(s.kbps);
  }
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

wire::rendition rendition_choice::for_downlink(double kbps, std::span<const std::uint32_t> rates,
                                               wire::rendition start, const config& c) {
  const auto rate = [&](wire::rendition r) {
    const auto i = static_cast<std::size_t>(r);
    return i < rates.size() ? rates[i] : 0u;
  };
  if (rate(wire::rendition::audio) == 0) {
    return start;  // no rates (or no sound alone to fall to): as it would have
  }
  bool past_start = false;
  for (const auto r : {wire::rendition::full, wire::rendition::low}) {
    past_start = past_start || r == start;
    if (past_start && rate(r) > 0 && kbps >= c.down_headroom * rate(r)) {
      return r;
    }
  }
  return wire::rendition::audio;
}

wire::rendition rendition_choice::for_downlink(double kbps, std::span<const std::uint32_t> rates,
                                               wire::rendition start) {
  return for_downlink(kbps, rates, start, config{});
}

void rendition_choice::start_from_downlink(std::int64_t now_us, double kbps,
                                           std::span<const std::uint32_t> rates) {
  if (rates.empty()) {
    return;  // nothing to weigh it against
  }
  const wire::rendition r = for_downlink(kbps, rates, wanted_, config_);
  for (std::size_t i = 0; i < wire::rendition_count; ++i) {
    kbps_[i] = i < rates.size() ? rates[i] : 0;
  }
  downlink_kbps_ = kbps;
  timed_at_us_ = now_us;
  if (r == wanted_) {
    return;
  }
  go(r, now_us, true,
     "the downlink carried " + kbit(kbps) + " before the join, " + wire::rendition_name(r) +
         " fits");
  --switches_;  // where it starts, not a switch
  if (kbps < kbps_[static_cast<std::size_t>(wire::rendition::low)]) {
    hold_us_ = config_.timed_start_hold_us;
    backlog_check_ = backlog_check{};
    backlog_check_->timed_kbps = kbps;
  }
}

void rendition_choice::check_timed_start(std::int64_t now_us, std::int64_t capture_us,
                                         std::size_t bytes) {
  backlog_check& b = *backlog_check_;
  if (!b.first_us) {
    b.first_us = now_us;
  } else if (now_us - *b.first_us > backlog_window_us) {
    // The join's backlog, sent at once, crossed at the link's pace: a
    // rate far above the timed one says the timing lied (or the link
    // changed); close to it confirms a narrow link.
    if (b.chunks >= 2) {
      const double kbps = static_cast<double>(b.bytes) * 8 * 1000 /
                          static_cast<double>(std::max<std::int64_t>(b.span_us, 1000));
      // Four times, not two: a shaper's bucket passes its first few KB at
      // once, and the 12 KiB of the timing overflow a small router queue
      // (lab, 150 kbit/s behind a 4 KB bucket and 200 ms of queue: timed at
      // 95-121, its backlog at over twice that; each such viewer then tried
      // the low video 8 s in and lost 30-60 pieces of sound).
      const bool wider = kbps > 4 * b.timed_kbps;
      hold_us_ = wider ? config_.first_hold_us : config_.max_hold_us;
      if (wider) {
        downlink_kbps_ = kbps;  // the better measure of the two
      }
    }
    backlog_check_.reset();
    return;
  } else if (b.arrived >= bucket_bytes && now_us >= b.last_at_us &&
             now_us - b.last_at_us < (capture_us - b.last_capture_us) * 4 / 5) {
    // Sooner after the one before than it was captured after it: it
    // waited, and the link sent it as fast as it could.
    b.bytes += bytes;
    if (!b.span_from_us) {
      b.span_from_us = b.last_at_us;
    }
    b.span_us = now_us - *b.span_from_us;
    ++b.chunks;
  }
  b.arrived += bytes;
  b.last_at_us = now_us;
  b.last_capture_us = capture_us;
}

void rendition_choice::go(wire::rendition r, std::int64_t now_us, bool down, std::string reason) {
  if (r == wanted_) {
    return;
  }
  wanted_ = r;
  ++switches_;
  reason_ = std::move(reason);
  stepped_down_ = down || (stepped_down_ && r != wire::rendition::full);
  last_switch_us_ = now_us;
  if (down) {
    const auto capacity = capacity_kbps();
    // Back down soon after going up: that step was one too many.
    const bool failed_up =
        last_up_us_ && now_us - *last_up_us_ < std::max(hold_us_, config_.first_hold_us);
    hold_us_ = failed_up
                   ? std::min(config_.max_hold_us, std::max(hold_us_, config_.first_hold_us) * 2)
                   : config_.first_hold_us;
    last_down_us_ = now_us;
    // Down to sound alone on a link measured narrower than the low video's
    // rate itself: no trial for as long as any (each would queue seconds of
    // video ahead of the sound). Short of the headroom only, a trial after
    // the usual hold.
    const double low_rate = kbps_[static_cast<std::size_t>(wire::rendition::low)];
    if (r == wire::rendition::audio && capacity && *capacity < low_rate) {
      hold_us_ = config_.max_hold_us;
    }
  } else {
    last_up_us_ = now_us;
  }
  rates_.clear();  // measured on another rendition
  recent_.clear();
  if (r == wire::rendition::audio) {
    doubt_.reset();
  }
}

std::optional<double> rendition_choice::behind_rate_kbps(std::int64_t excess_us, std::size_t chunks,
                                                         bool after_first_wait) const {
  if (excess_us < config_.behind_excess_us) {
    return std::nullopt;
  }
  // The stretch of chunks each later than the one before by a step: sent
  // back to back by a link slower than the stream. A pause ended by a burst
  // (a busy moment) is one step, and the burst falls in lag after it.
  std::size_t start = arrivals_.size() - 1;
  while (start > 0 &&
         arrivals_[start].lag_us - arrivals_[start - 1].lag_us >= config_.behind_step_us) {
    --start;
  }
  if (arrivals_.size() - 1 - start < chunks) {
    return std::nullopt;
  }
  const std::size_t first = after_first_wait ? start + 1 : start;
  std::size_t bytes = 0;
  for (std::size_t i = first + 1; i < arrivals_.size(); ++i) {
    bytes += arrivals_[i].bytes;
  }
  const auto span_us =
      std::max<std::int64_t>(arrivals_.back().at_us - arrivals_[first].at_us, 1000);
  return static_cast<double>(bytes) * 8 * 1000 / static_cast<double>(span_us);
}

bool rendition_choice::no_picture_fits(double kbps) const {
  // A picture that fits is left to the lag's rules: a parent that stalled
  // and caught up shows the same back-to-back rate (measured in the lab:
  // 860-1240 kbit/s on wide links around a parent's switch), and the low
  // video is a step the lag takes on its own.
  for (const auto r : {wire::rendition::low, wire::rendition::full}) {
    if (has(r) && kbps_[static_cast<std::size_t>(r)] * config_.no_picture_share <= kbps) {
      return false;
    }
  }
  return true;
}

std::string rendition_choice::overloaded() const {
  const auto n = static_cast<std::size_t>(config_.rising_chunks);
  if (recent_.size() > n) {
    bool rising = true;
    for (std::size_t i = recent_.size() - n; i < recent_.size(); ++i) {
      rising = rising && recent_[i].excess_us - recent_[i - 1].excess_us >= config_.behind_step_us;
    }
    const std::int64_t rise_us =
        recent_.back().excess_us - recent_[recent_.size() - 1 - n].excess_us;
    if (rising && rise_us >= config_.rising_excess_us) {
      return "excess lag rose " + ms(rise_us) + " over " + std::to_string(n) + " chunks, to " +
             ms(recent_.back().excess_us);
    }
  }
  if (recent_.empty() || recent_.back().at_us - recent_.front().at_us < config_.sustain_us) {
    return {};
  }
  const excess_sample* peak = &recent_.back();
  for (const auto& s : recent_) {
    if (s.at_us >= recent_.back().at_us - config_.sustain_us) {
      if (s.excess_us < config_.down_excess_us) {
        return {};
      }
      peak = s.excess_us > peak->excess_us ? &s : peak;
    }
  }
  const auto drained_us = peak->excess_us - recent_.back().excess_us;
  if (drained_us > 0 &&
      static_cast<double>(drained_us) >=
          config_.drain_share * static_cast<double>(recent_.back().at_us - peak->at_us)) {
    return {};  // catching up since the peak
  }
  return "excess lag above " + ms(config_.down_excess_us) + " for " + ms(config_.sustain_us);
}

void rendition_choice::on_chunk(std::int64_t now_us, std::int64_t capture_us, std::size_t bytes,
                                std::span<const std::uint32_t> kbps) {
  if (!kbps.empty()) {
    for (std::size_t i = 0; i < wire::rendition_count; ++i) {
      kbps_[i] = i < kbps.size() ? kbps[i] : 0;
    }
  }
  if (!last_down_us_) {
    last_down_us_ = now_us;  // the start counts as a step down with no hold
  }
  if (backlog_check_) {
    check_timed_start(now_us, capture_us, bytes);
  }
  const std::int64_t lag_us = now_us - capture_us;
  while (!lags_.empty() && lags_.back().lag_us >= lag_us) {
    lags_.pop_back();
  }
  lags_.push_back({now_us, lag_us});
  while (lags_.front().at_us < now_us - config_.window_us) {
    lags_.pop_front();
  }
  const std::int64_t excess_us = lag_us - lags_.front().lag_us;
  if (excess_us > config_.calm_excess_us) {
    last_busy_us_ = now_us;
  }
  arrivals_.push_back({now_us, lag_us, bytes});
  if (arrivals_.size() > max_arrivals) {
    arrivals_.pop_front();
  }
  recent_.push_back({now_us, excess_us});
  while (recent_.size() > static_cast<std::size_t>(config_.rising_chunks) + 1 &&
         recent_[1].at_us < now_us - config_.sustain_us) {
    recent_.pop_front();
  }

  const auto size = static_cast<double>(bytes);
  if (average_bytes_ > 0 && size >= config_.large_chunk * average_bytes_) {
    // A keyframe's chunk: how fast its bytes crossed, i.e. its excess beyond
    // what chunks of usual size have (the path's jitter), 1 ms at least.
    const double seconds = static_cast<double>(std::max<std::int64_t>(
                               excess_us - static_cast<std::int64_t>(usual_excess_us_), 1000)) /
                           1e6;
    rates_.push_back({now_us, size * 8 / 1000 / seconds});
  } else {
    usual_excess_us_ = 0.9 * usual_excess_us_ + 0.1 * static_cast<double>(excess_us);
  }
  average_bytes_ = average_bytes_ == 0 ? size : 0.95 * average_bytes_ + 0.05 * size;
  while (!rates_.empty() && rates_.front().at_us < now_us - config_.window_us) {
    rates_.pop_front();
  }

  if (!has(wanted_) && has(wire::rendition::full)) {
    go(wire::rendition::full, now_us, false, "the broadcast has no other rendition");
    return;
  }
  const bool settled = !last_down_us_ || now_us - *last_down_us_ >= config_.settle_us;
  // Sound alone at once when the excess is past audio_excess two chunks in a
  // row and not falling: a burst of chunks held up together (a busy moment on this
  // machine) arrives all at once, each later one with less excess.
  const bool deep = excess_us >= config_.audio_excess_us && previous_excess_us_ &&
                    *previous_excess_us_ >= config_.audio_excess_us &&
                    excess_us >= *previous_excess_us_;
  previous_excess_us_ = excess_us;
  if (doubt_ && picture_doubt_settled(now_us, excess_us)) {
    return;
  }
  const auto behind_kbps = behind_rate_kbps(excess_us, config_.behind_chunks, true);
  if (behind_kbps && no_picture_fits(*behind_kbps) && has(wire::rendition::audio) &&
      wanted_ != wire::rendition::audio) {
    go(wire::rendition::audio, now_us, true,
       "the link carried " + kbit(*behind_kbps) + " while the stream fell behind");
  } else if (deep && has(wire::rendition::audio)) {
    // (A keyframe of the full video and the chunk after it on 1 Mbit/s
    // are deep already: their rate, first wait included, says low fits.)
    const auto deep_kbps = behind_rate_kbps(excess_us, 2, false);
    // Deep, but the link carried the low video while behind: that, from full.
    const bool low_fits =
        deep_kbps && wanted_ == wire::rendition::full && has(wire::rendition::low) &&
        kbps_[static_cast<std::size_t>(wire::rendition::low)] * config_.down_headroom <= *deep_kbps;
    step_down(low_fits ? wire::rendition::low : wire::rendition::audio, now_us, excess_us,
              "excess lag " + ms(excess_us) + " and not falling" +
                  (low_fits ? ", the link carrying " + kbit(*deep_kbps) : std::string()));
  } else if (std::string why = settled ? overloaded() : std::string(); !why.empty()) {
    if (const auto lower = below(wanted_)) {
      step_down(*lower, now_us, excess_us, std::move(why));
    }
  } else if (!doubt_) {
    maybe_go_up(now_us);
  }
}

void rendition_choice::step_down(wire::rendition to, std::int64_t now_us, std::int64_t excess_us,
                                 std::string why) {
  if (to != wire::rendition::audio) {
    go(to, now_us, true, std::move(why));
    return;
  }
  // The picture goes only if the lag does not drain (picture_patience);
  // from full, the low video meanwhile.
  if (wanted_ == wire::rendition::full && has(wire::rendition::low)) {
    go(wire::rendition::low, now_us, true, why);
  }
  if (!doubt_ && wanted_ != wire::rendition::audio) {
    doubt_ = picture_doubt{now_us, excess_us, std::move(why)};
  }
}

bool rendition_choice::picture_doubt_settled(std::int64_t now_us, std::int64_t excess_us) {
  const std::int64_t elapsed_us = now_us - doubt_->since_us;
  const bool draining = static_cast<double>(doubt_->excess_us - excess_us) >=
                        config_.drain_share * static_cast<double>(elapsed_us);
  if (draining) {
    doubt_.reset();  // a hole the link catches up on
    return false;
  }
  if (elapsed_us < config_.picture_patience_us) {
    return false;
  }
  const bool grew = excess_us >= doubt_->excess_us;
  const std::string why = std::move(doubt_->why);
  doubt_.reset();
  if (grew && wanted_ != wire::rendition::audio) {
    go(wire::rendition::audio, now_us, true,
       why + ", and " + ms(excess_us) + " after " + ms(elapsed_us));
    return true;
  }
  return false;  // draining slowly: the link carries what we ask
}

void rendition_choice::maybe_go_up(std::int64_t now_us) {
  const auto next = above(wanted_);
  if (!next || !last_down_us_) {
    return;  // at the top, or never came down
  }
  if (now_us - *last_down_us_ < hold_us_ || now_us - last_busy_us_ < config_.calm_for_us) {
    return;
  }
  // Keyframes of the rendition just taken up time the link, not a burst at
  // the switch (measured: low -> full 150 ms after a trial on 1 Mbit/s).
  if (last_switch_us_ && now_us - *last_switch_us_ < config_.calm_for_us) {
    return;
  }
  const auto capacity = capacity_kbps();
  const double needed = config_.headroom * kbps_[static_cast<std::size_t>(*next)];
  // For max_hold after the join timed the link, no step up to a rendition
  // that needs more than the link was measured to carry (by the join, or
  // by its backlog when that read far wider), or from sound alone, where
  // only a trial can tell, more than twice it. A shaper's bucket and queue
  // take a keyframe in at once: it looks wide (lab: a 1 Mbit/s viewer timed
  // at 1158 kbit/s went to full 3 s in on keyframes that said 4432, fell to
  // sound alone and stood still 9 s); and a trial floods a narrow link for
  // seconds (lab: 150 kbit/s links whose backlog read four times their
  // timing of 70 had no room for the low video's 755).
  if (downlink_kbps_ && now_us - timed_at_us_ < config_.max_hold_us) {
    const double reach = wanted_ == wire::rendition::audio ? 2 * *downlink_kbps_ : *downlink_kbps_;
    if (reach < needed) {
      return;
    }
  }
  // From sound alone there are no keyframes to time: a trial.
  if (capacity && *capacity >= needed) {
    go(*next, now_us, false,
       "the link carried " + kbit(*capacity) + ", the next rendition needs " + kbit(needed));
  } else if (!capacity && wanted_ == wire::rendition::audio) {
    go(*next, now_us, false,
       "a trial: sound alone has no keyframes to time the link" +
           (downlink_kbps_ ? " (measured at " + kbit(*downlink_kbps_) + ")" : std::string()));
  }
}

}  // namespace treecast::viewer
