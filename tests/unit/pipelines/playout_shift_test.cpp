// The jitter buffer's rule: when playback moves in time, and how far.
#include "playout_shift.hpp"

#include "stall_meter.hpp"

#include <gtest/gtest.h>

namespace treecast::media {
namespace {

constexpr std::int64_t ms = 1000;

TEST(playout_shift, the_first_frame_is_placed_where_wanted_whatever_its_delay) {
  EXPECT_EQ(playout_shift({.first = true, .delay_us = 50 * ms, .wanted_us = 500 * ms}), 450 * ms);
  EXPECT_EQ(playout_shift({.first = true, .delay_us = 2000 * ms, .wanted_us = 500 * ms}),
            -1500 * ms);
  EXPECT_EQ(playout_shift({.first = true, .delay_us = 500 * ms, .wanted_us = 500 * ms}), 0);
}

TEST(playout_shift, small_drift_is_left_alone) {
  // 35 ms too long, or 20 ms too short with time to spare: kept.
  EXPECT_EQ(playout_shift({.delay_us = 535 * ms, .wanted_us = 500 * ms, .slack_us = 200 * ms}), 0);
  EXPECT_EQ(playout_shift({.delay_us = 480 * ms, .wanted_us = 500 * ms, .slack_us = 10 * ms}), 0);
}

TEST(playout_shift, a_buffer_too_long_moves_playback_sooner) {
  // A nearer parent: frames would be shown 150 ms later than wanted.
  EXPECT_EQ(playout_shift({.delay_us = 650 * ms, .wanted_us = 500 * ms, .slack_us = 400 * ms}),
            -150 * ms);
}

TEST(playout_shift, a_jump_sooner_goes_no_further_than_the_frame_can_still_be_on_time) {
  // 150 ms too long, but the frame is due in 100 ms: 70 ms sooner (the late
  // tolerance kept), then the rest with later frames.
  EXPECT_EQ(playout_shift({.delay_us = 650 * ms, .wanted_us = 500 * ms, .slack_us = 100 * ms}),
            -70 * ms);
  EXPECT_EQ(playout_shift({.delay_us = 650 * ms, .wanted_us = 500 * ms, .slack_us = 20 * ms}), 0);
}

TEST(playout_shift, a_short_buffer_moves_later_only_once_frames_run_dry) {
  // 100 ms short but the frame is still 200 ms ahead of its time: kept, so
  // that nothing on time is held back.
  EXPECT_EQ(playout_shift({.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = 200 * ms}), 0);
  // The same with the frame due in 10 ms (or late): moved later.
  EXPECT_EQ(playout_shift({.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = 10 * ms}),
            100 * ms);
  // By a step the eye does not see when one may be taken (a 40 ms jump
  // stood the picture still 40 ms in the lab, a stall).
  EXPECT_EQ(
      playout_shift(
          {.delay_us = 460 * ms, .wanted_us = 500 * ms, .slack_us = 10 * ms, .may_restore = true}),
      restore_step_us);
}

TEST(playout_shift, a_short_buffer_is_filled_again_in_steps_the_eye_does_not_see) {
  // 100 ms short with the frame 200 ms ahead of its time: one step later
  // when one may be taken, none otherwise.
  EXPECT_EQ(
      playout_shift(
          {.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = 200 * ms, .may_restore = true}),
      restore_step_us);
  EXPECT_EQ(playout_shift({.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = 200 * ms}), 0);
  // A step the meter takes for jitter, not a stall.
  EXPECT_LT(restore_step_us, stall_meter::tolerance_us);
  // Nor for a frame already late: that one shows at once (above).
  EXPECT_EQ(
      playout_shift(
          {.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = -10 * ms, .may_restore = true}),
      10 * ms);
}

TEST(playout_shift, a_buffer_short_by_no_more_than_the_margin_is_not_filled) {
  EXPECT_EQ(playout_shift({.delay_us = 500 * ms - restore_margin_us,
                           .wanted_us = 500 * ms,
                           .slack_us = 200 * ms,
                           .may_restore = true}),
            0);
}

TEST(playout_shift, a_late_frame_is_moved_later_only_as_far_as_it_is_late) {
  // 100 ms short and the frame 50 ms late: 50 ms later, so it shows at once.
  EXPECT_EQ(playout_shift({.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = -50 * ms}),
            50 * ms);
  // 100 ms short and the frame 300 ms late: only to where it is wanted.
  EXPECT_EQ(playout_shift({.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = -300 * ms}),
            100 * ms);
}

}  // namespace
}  // namespace treecast::media

namespace treecast::media {
namespace {

TEST(live_edge, is_the_smallest_delay_of_the_chunks_of_the_last_two_seconds) {
  live_edge edge;
  EXPECT_EQ(edge.delay_us(), -1);
  constexpr std::int64_t now = 1'000'000'000;
  const auto captured = [](std::int64_t at, std::int64_t delay) {
    return static_cast<std::uint64_t>(at - delay);
  };
  edge.note_arrival(captured(now, 900'000), now);  // an old chunk of the join's backlog
  edge.note_arrival(captured(now, 250'000), now);  // the freshest
  edge.note_arrival(captured(now + 10'000, 600'000), now + 10'000);
  EXPECT_EQ(edge.delay_us(), 250'000);
  // A chunk per frame for 1.9 s, each 700 ms late: the fresh one still counts.
  std::int64_t at = now;
  for (; at < now + 1'900'000; at += 33'000) {
    edge.note_arrival(captured(at, 700'000), at);
  }
  EXPECT_EQ(edge.delay_us(), 250'000);
  // Past two seconds it is out of the window, however few chunks came.
  edge.note_arrival(captured(now + 2'100'000, 700'000), now + 2'100'000);
  EXPECT_EQ(edge.delay_us(), 700'000);
  // The newest always counts, even after a long silence.
  edge.note_arrival(captured(now + 9'000'000, 800'000), now + 9'000'000);
  EXPECT_EQ(edge.delay_us(), 800'000);
}

TEST(of_rendition_left, a_frame_held_through_sound_alone_is_of_the_rendition_left) {
  const std::int64_t start = 10'000 * ms;
  EXPECT_TRUE(of_rendition_left(start - 3000 * ms, start));
  EXPECT_TRUE(of_rendition_left(start - 101 * ms, start));
}

TEST(of_rendition_left, the_new_keyframe_dated_a_little_early_by_the_anchor_is_not) {
  const std::int64_t start = 10'000 * ms;
  EXPECT_FALSE(of_rendition_left(start - 16 * ms, start));  // measured: 11-16 ms early
  EXPECT_FALSE(of_rendition_left(start, start));
  EXPECT_FALSE(of_rendition_left(start + 33 * ms, start));
}

}  // namespace
}  // namespace treecast::media
