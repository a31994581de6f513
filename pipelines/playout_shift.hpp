// The jitter buffer, shared by the player and the browser gateway: the live
// edge (how late the freshest chunks arrive), and when and how far to move
// playback in time so that frames go out (to the screen, or to browsers)
// `wanted` after their capture.
//
// At the first frame, always (the join's backlog is then played past at
// once rather than in real time). After that, only when the delay drifted:
// later in steps the eye does not see (restore_step_us, below), at once only
// when frames arrive with less than the late tolerance to spare within a
// step's interval of the last (holding back frames that are still on time
// would stand the picture still while there is something to show), and a
// frame already late no further than it is late (it shows at once);
// earlier once it is more than the early tolerance too long (a nearer
// parent, or a jitter target that shrank), and only as far as the frame can
// still be shown on time: a jump sooner skips that much of the picture,
// about a frame.
//
// Pure logic, no GStreamer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace treecast::media {

// The wall clock capture times are on: us since the Unix epoch.
std::int64_t wall_now_us();

// The smallest arrival delay (capture of a chunk's oldest content -> its
// arrival) among the chunks of the last `span_us` (the newest always
// counts): where the stream's live edge is. A span in time, not in chunks,
// so that the edge is as steady with a chunk per frame as with 200 ms ones.
// note_arrival() from the one thread that pushes chunks; delay_us() from any.
class live_edge {
 public:
  static constexpr std::int64_t span_us = 2'000'000;

  void note_arrival(std::uint64_t capture_time_us, std::int64_t now_us = wall_now_us());
  // -1 before the first chunk.
  std::int64_t delay_us() const { return edge_us_.load(); }

 private:
  struct arrival {
    std::int64_t at_us;
    std::int64_t delay_us;
  };
  std::deque<arrival> recent_;
  std::atomic<std::int64_t> edge_us_{-1};
};

struct playout_frame {
  bool first = false;          // no shift has been made yet
  std::int64_t delay_us = 0;   // capture -> when the frame is due now
  std::int64_t wanted_us = 0;  // capture -> when it should be due
  std::int64_t slack_us = 0;   // when it is due minus now (< 0: already late)
  // No shift later for restore_interval_us: a short buffer may take a step.
  bool may_restore = false;
};

inline constexpr std::int64_t late_tolerance_us = 30'000;
inline constexpr std::int64_t early_tolerance_us = 40'000;

// A buffer left short while frames still come on time (a longer path: a
// move below a stronger peer, a parent's handoff, a repair through a deeper
// place) is filled again in steps the eye does not see, before the next
// lengthening meets a buffer already used up: one frame shown restore_step
// longer (under the stall meter's 40 ms tolerance), at most once a
// restore_interval, once the buffer is short by more than restore_margin.
// Left short, the buffer ran dry at the second or third lengthening of a
// meeting's first minutes (simulator, 10 000 peers: 13 viewers stalled
// without a peer failing).
inline constexpr std::int64_t restore_step_us = 30'000;
inline constexpr std::int64_t restore_interval_us = 1'000'000;
inline constexpr std::int64_t restore_margin_us = 50'000;

// When playback last moved later: whether a step may be taken now
// (playout_frame::may_restore). One per player, under its playout lock.
class later_moves {
 public:
  bool may_restore(std::int64_t now_us) const {
    return !last_us_ || now_us - *last_us_ >= restore_interval_us;
  }
  // A shift was applied at `now_us`.
  void note(std::int64_t shift_us, std::int64_t now_us) {
    if (shift_us > 0) {
      last_us_ = now_us;
    }
  }

 private:
  std::optional<std::int64_t> last_us_;
};

// Whether a frame captured at `captured_us` (from its PTS, through the
// playback's anchor) is of the rendition left before the one whose first
// chunk was captured at `rendition_start_us`. With a margin: the anchor
// pairs the first chunk's oldest content (often sound) with the first buffer
// demuxed, so a frame's capture time may run a little early (lab: an
// up-switch's keyframe, decoded late, came out 11-16 ms "before" its own
// chunk and was dropped: a 66 ms stall in 16 of 24 viewers). The frames
// this is for, held by the demuxer through sound alone, are seconds old; the
// last one or two before a switch between pictures, shown late, are no
// later than the new keyframe after them.
inline constexpr std::int64_t rendition_left_margin_us = 100'000;
inline bool of_rendition_left(std::int64_t captured_us, std::int64_t rendition_start_us) {
  return captured_us + rendition_left_margin_us < rendition_start_us;
}

// The shift (us, > 0 later, < 0 sooner) to apply to this frame and all after
// it; 0 to keep playback where it is.
std::int64_t playout_shift(const playout_frame& f);

}  // namespace treecast::media
