// How long the player holds frames past the live edge (the jitter buffer),
// sized from what the stream did rather than fixed:
//
// - A frame that reaches the sink late (an underrun: the picture stood still
//   for it) grows the target at once by its lateness and a margin, so the
//   same hiccup does not stall the picture again.
// - While frames keep coming on time, the target shrinks slowly, by a step
//   each `shrink_every`, once `calm` has passed since the last growth, and
//   only by what the frames left to spare (the least slack seen since the
//   last step, less the margin): a buffer that the arrivals use fully stays.
// - Never below the floor (the viewer's --latency) nor above the ceiling.
// - Frames late before the first one on time are the join's backlog (played
//   past at once, due in the past by design), not underruns.
//
// Pure logic on microsecond times, no GStreamer. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace treecast::media {

// The viewer's default jitter buffer (--latency). Chosen from the
// simulator's churn runs at the peers' defaults (33 ms chunks; 1 000 peers,
// 20% crashing, freezing or leaving over 60 s, seeds 1-12): at 150 ms a
// repair through a standby that trails the lost parent, or a rise that
// left a relay without a usable standby, still stood 23 viewers' pictures
// still (1.49 s); at 200 ms 1 (0.07 s). It costs 50 ms of glass-to-glass
// (265-275 ms p50 at depth 6 on loopback, the goal being 300).
inline constexpr std::chrono::milliseconds default_latency{200};

class jitter_target {
 public:
  struct config {
    std::int64_t floor_us = std::chrono::microseconds(default_latency).count();
    std::int64_t ceiling_us = 2'000'000;
    // Added to a late frame's lateness when growing, and kept in reserve
    // when shrinking: a hiccup a little larger than the last is covered.
    std::int64_t margin_us = 20'000;
    std::int64_t calm_us = 10'000'000;
    std::int64_t shrink_every_us = 1'000'000;
    std::int64_t shrink_step_us = 10'000;
  };

  explicit jitter_target(config cfg);

  // A frame reached the sink `slack_us` before it is due (negative: late)
  // at `now_us`.
  void on_frame(std::int64_t now_us, std::int64_t slack_us);

  // Before the first frame on time: frames are expected up to
  // `lateness_us` after the live edge, so the target starts there (with
  // the margin) rather than growing at the first late frame, a stall.
  // Ignored once frames are on time: raising the target then would hold
  // the picture as a stall does.
  void expect_lateness(std::int64_t lateness_us);

  std::int64_t target_us() const { return target_us_; }
  std::uint64_t growths() const { return growths_; }

 private:
  config config_;
  std::int64_t target_us_;
  std::uint64_t growths_ = 0;
  bool on_time_yet_ = false;
  std::optional<std::int64_t> last_growth_us_;
  std::optional<std::int64_t> last_step_us_;    // the last shrink, or the start of the calm
  std::optional<std::int64_t> least_slack_us_;  // since last_step_us_
};

}  // namespace treecast::media
