// Decides what of each arriving chunk the player gets.
//
// Playback starts at a keyframe chunk. Chunks older than the last one played
// (a late copy after a repair) are dropped: the demuxer needs the bytes in
// order. A gap that the tree could not fill is a discontinuity: video is held
// back (ts_video_gate) until the next keyframe chunk so the picture skips
// forward cleanly, while audio goes on playing.
//
// Pure logic, no GStreamer. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ts_video_gate.hpp"

namespace treecast::media {

struct playout_result {
  std::string bytes;  // what to hand the player (may be empty)
  // Set when this chunk follows a gap: how many chunks are missing before it.
  std::optional<std::uint64_t> missing;
  // Set when the chunk came too late (at or before the last one played).
  bool late = false;
};

class playout_order {
 public:
  playout_result accept(std::uint64_t seq, bool keyframe, std::string_view ts);

  // Holds video back until the next keyframe chunk (audio goes on): what
  // comes next is another video rendition taken up between keyframes.
  void skip_video() { gate_.close(); }

  bool started() const { return last_seq_.has_value(); }
  // True while video waits for a keyframe after a gap.
  bool skipping_video() const { return !gate_.is_open(); }
  std::uint64_t discontinuities() const { return discontinuities_; }
  std::uint64_t late_chunks() const { return late_chunks_; }

 private:
  std::optional<std::uint64_t> last_seq_;
  ts_video_gate gate_;
  std::uint64_t discontinuities_ = 0;
  std::uint64_t late_chunks_ = 0;
};

}  // namespace treecast::media
