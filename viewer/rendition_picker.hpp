// Which rendition of each chunk goes to the player.
//
// The viewer wants one rendition (rendition_choice); each chunk brings the
// parts its parent sends (what we asked for, or, for a moment after we
// asked for something else, what it sent before). A video rendition can be
// taken up only at a keyframe chunk, sound alone at any chunk (it is the
// full rendition without its video). So: the wanted one as soon as that is
// allowed; until then the one playing; when the chunk lacks the one playing,
// the best it has that can play from here (sound alone, or a video
// rendition at a keyframe); failing that, another video rendition, and the
// player then skips video to the next keyframe (`skip_video`). The first
// chunk played has a picture when it has one.
//
// Pure logic. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "wire/messages.hpp"

namespace treecast::viewer {

class rendition_picker {
 public:
  struct pick {
    wire::rendition kind = wire::rendition::full;
    bool skip_video = false;  // a video rendition taken up between keyframes
  };

  void want(wire::rendition r) { wanted_ = r; }
  wire::rendition wanted() const { return wanted_; }

  // The part of a chunk carrying `available` to play; nullopt when it
  // carries none.
  std::optional<pick> choose(wire::rendition_set available, bool keyframe);

  // What played last (nullopt before the first chunk).
  std::optional<wire::rendition> playing() const { return playing_; }
  // Times the rendition played changed.
  std::uint64_t switches() const { return switches_; }

 private:
  bool can_take_up(wire::rendition r, wire::rendition_set available, bool keyframe) const;

  wire::rendition wanted_ = wire::rendition::full;
  std::optional<wire::rendition> playing_;
  std::uint64_t switches_ = 0;
};

}  // namespace treecast::viewer
