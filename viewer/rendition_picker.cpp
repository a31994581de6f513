#include "rendition_picker.hpp"

#include <array>

namespace treecast::viewer {

bool rendition_picker::can_take_up(wire::rendition r, wire::rendition_set available,
                                   bool keyframe) const {
  return (available & wire::rendition_bit(r)) != 0 &&
         (r == wire::rendition::audio || keyframe || playing_ == r);
}

std::optional<rendition_picker::pick> rendition_picker::choose(wire::rendition_set available,
                                                               bool keyframe) {
  if (available == 0) {
    return std::nullopt;
  }
  std::optional<pick> chosen;
  // In order of preference: what we want, what plays, sound alone, then
  // video from the smaller up. The first chunk played has a picture when it
  // has one (a first picture on screen rather than none).
  const bool video_wanted = wanted_ != wire::rendition::audio;
  const auto order =
      playing_ ? std::array{wanted_, *playing_, wire::rendition::audio, wire::rendition::low,
                            wire::rendition::full}
               : std::array{video_wanted ? wanted_ : wire::rendition::low, wire::rendition::low,
                            wire::rendition::full, wire::rendition::audio, wire::rendition::audio};
  for (const auto r : order) {
    if (can_take_up(r, available, keyframe)) {
      chosen = pick{r, false};
      break;
    }
  }
  if (!chosen) {
    // Only a video rendition we are not playing, between keyframes: play it
    // from its next keyframe, sound meanwhile.
    const auto r = (available & wire::rendition_bit(wire::rendition::low)) ? wire::rendition::low
                                                                           : wire::rendition::full;
    chosen = pick{r, true};
  }
  if (playing_ && *playing_ != chosen->kind) {
    ++switches_;
  }
  playing_ = chosen->kind;
  return chosen;
}

}  // namespace treecast::viewer
