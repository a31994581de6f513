#include "stall_meter.hpp"

#include <gtest/gtest.h>

namespace treecast::media {
namespace {

constexpr std::int64_t frame_us = 40'000;  // 25 frames/s

// Shows `count` frames one interval apart from (shown, pts); returns the next pair.
std::pair<std::int64_t, std::int64_t> play(stall_meter& m, std::int64_t shown, std::int64_t pts,
                                           int count) {
  for (int i = 0; i < count; ++i) {
    m.on_frame_shown(shown, pts);
    shown += frame_us;
    pts += frame_us;
  }
  return {shown, pts};
}

TEST(StallMeterTest, SmoothPlaybackHasNoStall) {
  stall_meter m;
  auto [shown, pts] = play(m, 1'000'000, 0, 250);
  EXPECT_EQ(m.stalls(shown), 0u);
  EXPECT_EQ(m.stall_us(shown), 0);
  EXPECT_EQ(m.watch_us(shown), 250 * frame_us);
  EXPECT_EQ(m.rebuffer_ratio(shown), 0.0);
}

TEST(StallMeterTest, JitterWithinToleranceIsNoStall) {
  stall_meter m;
  auto [shown, pts] = play(m, 0, 0, 10);
  m.on_frame_shown(shown + stall_meter::tolerance_us, pts);  // one frame late by the tolerance
  EXPECT_EQ(m.stalls(shown + stall_meter::tolerance_us), 0u);
}

TEST(StallMeterTest, LateFrameCountsTheExcessOnce) {
  stall_meter m;
  auto [shown, pts] = play(m, 0, 0, 10);
  // The next frame comes 500 ms late: the picture stood still that long.
  auto [later, next_pts] = play(m, shown + 500'000, pts, 10);
  EXPECT_EQ(m.stalls(later), 1u);
  EXPECT_EQ(m.stall_us(later), 500'000);
  EXPECT_NEAR(m.rebuffer_ratio(later), 500'000.0 / static_cast<double>(later), 1e-9);
}

TEST(StallMeterTest, TheLatestStallSaysWhenThePictureMovedAgainAndHowLongItStoodStill) {
  stall_meter m;
  EXPECT_EQ(m.last_stall().ended_us, 0);
  auto [shown, pts] = play(m, 0, 0, 10);
  auto [later, next_pts] = play(m, shown + 200'000, pts, 10);
  EXPECT_EQ(m.last_stall().ended_us, shown + 200'000);
  EXPECT_EQ(m.last_stall().length_us, 200'000);
  play(m, later + 100'000, next_pts, 1);
  EXPECT_EQ(m.last_stall().ended_us, later + 100'000);
  EXPECT_EQ(m.last_stall().length_us, 100'000);
}

TEST(StallMeterTest, SkipForwardInMediaTimeIsStillAStallOnScreen) {
  stall_meter m;
  auto [shown, pts] = play(m, 0, 0, 10);
  // A gap skipped: 2 s of media are missing and the screen waited 300 ms.
  m.on_frame_shown(shown + 300'000, pts + 2'000'000);
  EXPECT_EQ(m.stalls(shown + 300'000), 1u);
  EXPECT_EQ(m.stall_us(shown + 300'000), 300'000);
}

TEST(StallMeterTest, AFreezeUnderWayCountsBeforeTheNextFrame) {
  stall_meter m;
  auto [shown, pts] = play(m, 0, 0, 10);
  const std::int64_t last = shown - frame_us;
  EXPECT_EQ(m.stall_us(last + frame_us + stall_meter::tolerance_us), 0);
  EXPECT_EQ(m.stalls(last + 2'000'000), 1u);
  EXPECT_EQ(m.stall_us(last + 2'000'000), 2'000'000 - frame_us);
  // When the picture moves again the same stall is counted, not a second.
  m.on_frame_shown(last + 2'000'000, pts);
  EXPECT_EQ(m.stalls(last + 2'000'000), 1u);
  EXPECT_EQ(m.stall_us(last + 2'000'000), 2'000'000 - frame_us);
}

TEST(StallMeterTest, NothingBeforeTheFirstFrame) {
  stall_meter m;
  EXPECT_EQ(m.stalls(5'000'000), 0u);
  EXPECT_EQ(m.watch_us(5'000'000), 0);
  EXPECT_EQ(m.rebuffer_ratio(5'000'000), 0.0);
}

}  // namespace
}  // namespace treecast::media

namespace treecast::media {
namespace {

TEST(StallMeterTest, HeldPictureIsNoStallUntilTheNextFrame) {
  // Sound alone for 3 s (chosen, not starved): no stall; the first frame
  // after it starts timing afresh, and a freeze after that counts again.
  stall_meter m;
  auto [shown, pts] = play(m, 0, 0, 10);
  m.hold();
  EXPECT_EQ(m.stall_us(shown + 3'000'000), 0);
  play(m, shown + 3'000'000, pts + 3'000'000, 5);
  const std::int64_t after = shown + 3'000'000 + 5 * frame_us;
  EXPECT_EQ(m.stalls(after), 0u);
  EXPECT_EQ(m.stall_us(after + 500'000), 500'000);
}

}  // namespace
}  // namespace treecast::media
