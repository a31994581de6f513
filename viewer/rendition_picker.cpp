#include "rendition_picker.hpp"

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
  // video from the smaller up.
  for (const auto r : {wanted_, playing_.value_or(wanted_), wire::rendition::audio,
                       wire::rendition::low, wire::rendition::full}) {
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
