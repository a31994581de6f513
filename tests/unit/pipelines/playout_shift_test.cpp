// The jitter buffer's rule: when playback moves in time, and how far.
#include "playout_shift.hpp"

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
  // 90 ms too long, or 20 ms too short with time to spare: kept.
  EXPECT_EQ(playout_shift({.delay_us = 590 * ms, .wanted_us = 500 * ms, .slack_us = 200 * ms}), 0);
  EXPECT_EQ(playout_shift({.delay_us = 480 * ms, .wanted_us = 500 * ms, .slack_us = 10 * ms}), 0);
}

TEST(playout_shift, a_buffer_too_long_moves_playback_sooner) {
  // A nearer parent: frames would be shown 150 ms later than wanted.
  EXPECT_EQ(playout_shift({.delay_us = 650 * ms, .wanted_us = 500 * ms, .slack_us = 400 * ms}),
            -150 * ms);
}

TEST(playout_shift, a_short_buffer_moves_later_only_once_frames_run_dry) {
  // 100 ms short but the frame is still 200 ms ahead of its time: kept, so
  // that nothing on time is held back.
  EXPECT_EQ(playout_shift({.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = 200 * ms}), 0);
  // The same with the frame due in 10 ms (or late): moved later.
  EXPECT_EQ(playout_shift({.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = 10 * ms}),
            100 * ms);
  EXPECT_EQ(playout_shift({.delay_us = 400 * ms, .wanted_us = 500 * ms, .slack_us = -50 * ms}),
            100 * ms);
}

}  // namespace
}  // namespace treecast::media

namespace treecast::media {
namespace {

TEST(live_edge, is_the_smallest_delay_of_the_last_ten_chunks) {
  live_edge edge;
  EXPECT_EQ(edge.delay_us(), -1);
  const auto now = static_cast<std::uint64_t>(wall_now_us());
  edge.note_arrival(now - 900'000);  // an old chunk of the join's backlog
  edge.note_arrival(now - 250'000);  // the freshest
  edge.note_arrival(now - 600'000);
  EXPECT_GE(edge.delay_us(), 250'000);
  EXPECT_LT(edge.delay_us(), 350'000);  // the wall clock moved on a little
  // Ten later chunks push the fresh one out of the window.
  for (int i = 0; i < 10; ++i) {
    edge.note_arrival(static_cast<std::uint64_t>(wall_now_us()) - 700'000);
  }
  EXPECT_GE(edge.delay_us(), 700'000);
}

}  // namespace
}  // namespace treecast::media
