// What a viewer's player would show, modelled from the chunks' arrival: the
// time the picture stood still.
//
// The player plays each chunk `buffer` after the live edge, as the viewer's
// pipeline does: the first chunk sets the offset from capture time to play
// time (its arrival delay plus the buffer). A chunk that arrives after its
// play time stalls the picture until it arrives, and playback continues
// that much later (rebuffering). Counted as the viewer's stall meter counts
// (pipelines/stall_meter.hpp): lateness up to stall_tolerance is jitter the
// eye does not see (one frame shown a little longer), not a stall; beyond
// it, all of it is one. Playback moves later by any lateness. When chunks
// come well ahead of the target (the buffer plus the player's early
// tolerance), playback moves back to the target, as the real player
// re-anchors after a repair brought a nearer path. A buffer left short by a
// longer path while chunks still come on time is filled again in steps of
// restore_step, at most once a restore_interval, as the real player does
// (media::restore_step_us): against the live edge (the smallest arrival
// delay of the last live_edge_span) plus the buffer.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "core/time.hpp"

namespace treecast::sim {

class playout_model {
 public:
  // The real player's tolerance before moving playback earlier.
  static constexpr core::duration early_tolerance = std::chrono::milliseconds(100);
  // media::stall_meter::tolerance_us (a unit test holds them equal).
  static constexpr core::duration stall_tolerance = std::chrono::milliseconds(40);
  // media::restore_step_us, restore_interval_us, restore_margin_us and
  // live_edge::span_us (a unit test holds them equal).
  static constexpr core::duration restore_step = std::chrono::milliseconds(30);
  static constexpr core::duration restore_interval = std::chrono::seconds(1);
  static constexpr core::duration restore_margin = std::chrono::milliseconds(50);
  static constexpr core::duration live_edge_span = std::chrono::seconds(2);

  explicit playout_model(core::duration buffer) : buffer_(buffer) {}

  // A chunk captured at `captured` arrived at `arrived` (both on one clock).
  void on_chunk(core::time_point captured, core::time_point arrived);

  std::uint64_t stalls() const { return stalls_; }
  core::duration stalled() const { return stalled_; }
  // All lateness, the jitter within stall_tolerance included (what the
  // simulator counted as stall time before it counted as the player does).
  core::duration late() const { return late_; }
  // First chunk -> `now`.
  core::duration watched(core::time_point now) const;
  // Capture -> play as it stands (the viewer's glass-to-glass, less its
  // decoder): the delay through the tree, each hop's uplink serialization
  // included, plus the buffer and any stall since; nullopt before a chunk.
  std::optional<core::duration> play_latency() const { return offset_; }

 private:
  core::duration buffer_;
  std::optional<core::duration> offset_;  // play time - capture time
  std::optional<core::time_point> first_arrival_;
  core::time_point newest_capture_{};
  std::uint64_t stalls_ = 0;
  core::duration stalled_{};
  core::duration late_{};
  // The live edge: arrival delays of the last live_edge_span, each newer
  // one smaller than those before it dropped (the front is the smallest).
  struct arrival {
    core::time_point at;
    core::duration delay;
  };
  std::deque<arrival> edge_;
  std::optional<core::time_point> moved_later_;  // playback last moved later
};

}  // namespace treecast::sim
