// rendition_picker: a video rendition is taken up at a keyframe, sound alone
// at once; a chunk without the one playing falls back without a smear.
#include "rendition_picker.hpp"

#include <gtest/gtest.h>

namespace treecast::viewer {
namespace {

using wire::rendition;
constexpr auto full = wire::rendition_bit(rendition::full);
constexpr auto low = wire::rendition_bit(rendition::low);
constexpr auto audio = wire::rendition_bit(rendition::audio);

TEST(rendition_picker, a_video_rendition_is_taken_up_at_its_keyframe) {
  rendition_picker p;
  EXPECT_EQ(p.choose(full | low | audio, true)->kind, rendition::full);
  p.want(rendition::low);
  EXPECT_EQ(p.choose(full | low, false)->kind, rendition::full);  // between keyframes: stay
  EXPECT_EQ(p.choose(full | low, true)->kind, rendition::low);
  EXPECT_EQ(p.choose(low, false)->kind, rendition::low);
  EXPECT_EQ(p.switches(), 1u);
}

TEST(rendition_picker, sound_alone_is_taken_up_at_once) {
  rendition_picker p;
  p.choose(full | audio, true);
  p.want(rendition::audio);
  const auto pick = p.choose(full | audio, false);
  EXPECT_EQ(pick->kind, rendition::audio);
  EXPECT_FALSE(pick->skip_video);
}

TEST(rendition_picker, sound_alone_starts_on_a_picture) {
  rendition_picker p;
  p.want(rendition::audio);
  EXPECT_EQ(p.choose(low | audio, true)->kind, rendition::low);
  EXPECT_EQ(p.choose(low | audio, false)->kind, rendition::audio);
}

TEST(rendition_picker, going_down_plays_sound_until_the_lower_keyframe) {
  // We asked for low and audio; the parent already sends them, between keyframes.
  rendition_picker p;
  p.choose(full, true);
  p.want(rendition::low);
  EXPECT_EQ(p.choose(low | audio, false)->kind, rendition::audio);
  EXPECT_EQ(p.choose(low | audio, true)->kind, rendition::low);
}

TEST(rendition_picker, another_video_rendition_between_keyframes_skips_video) {
  // Playing low; the new parent sends full only (it has not heard our wish).
  rendition_picker p;
  p.want(rendition::low);
  p.choose(low, true);
  const auto pick = p.choose(full, false);
  EXPECT_EQ(pick->kind, rendition::full);
  EXPECT_TRUE(pick->skip_video);
  EXPECT_FALSE(p.choose(0, true));  // nothing to play
}

}  // namespace
}  // namespace treecast::viewer
