// Time the picture stood still, from the frames the player shows.
//
// Each frame shown is reported with the wall time it is (or was) on screen
// and its media time. Between two frames the screen should change after one
// frame interval (the media time between them, capped at the usual frame
// interval: a skip forward in media time is not a reason to freeze). When it
// changes later than that by more than a tolerance, the picture stood still
// for the excess: one stall of that length. The watch time runs from the
// first frame shown; the rebuffering ratio is stall time over watch time.
//
// Pure logic, no GStreamer. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>

namespace treecast::media {

class stall_meter {
 public:
  // Screen changes later than one frame interval by up to this are jitter,
  // not a stall (the eye sees one repeated frame at most).
  static constexpr std::int64_t tolerance_us = 40'000;
  // Frame interval assumed until two frames have been seen, and the most a
  // frame interval can be (a media gap beyond it is a skip, not a slow frame).
  static constexpr std::int64_t max_frame_interval_us = 100'000;

  // A frame is on screen at `shown_us` (wall clock) with media time `pts_us`.
  void on_frame_shown(std::int64_t shown_us, std::int64_t pts_us);

  // No frame is expected until the next one (the viewer plays sound alone,
  // or takes up another rendition at its keyframe): the picture standing
  // still until then is no stall; timing starts afresh at that frame.
  void hold() { held_ = true; }

  // Stalls and their time up to `now_us`, the one under way included (a
  // picture frozen for good counts, not only stalls that ended).
  std::uint64_t stalls(std::int64_t now_us) const;
  std::int64_t stall_us(std::int64_t now_us) const;
  // First frame shown -> `now_us`; 0 before the first frame.
  std::int64_t watch_us(std::int64_t now_us) const;
  // Stall time / watch time at `now_us` (0 before the first frame).
  double rebuffer_ratio(std::int64_t now_us) const;

  // The latest stall that ended: when the picture moved again (wall clock)
  // and how long it had stood still. None yet: ended_us = 0.
  struct stall {
    std::int64_t ended_us = 0;
    std::int64_t length_us = 0;
  };
  stall last_stall() const { return last_stall_; }

 private:
  // How long the picture has stood still at `now_us` since the last frame,
  // beyond one frame interval and the tolerance (0 when it has not).
  std::int64_t frozen_us(std::int64_t now_us) const;

  std::optional<std::int64_t> first_shown_us_;
  std::int64_t last_shown_us_ = 0;
  std::int64_t last_pts_us_ = 0;
  std::int64_t frame_interval_us_ = max_frame_interval_us;
  std::uint64_t stalls_ = 0;
  std::int64_t stall_us_ = 0;
  stall last_stall_;
  bool held_ = false;
};

}  // namespace treecast::media
