// The adaptive jitter buffer's policy, on a fake clock: late frames grow
// it at once, calm shrinks it slowly and only by what frames leave spare,
// and it stays between its floor and ceiling.
#include "jitter_target.hpp"

#include <gtest/gtest.h>

namespace treecast::media {
namespace {

constexpr std::int64_t ms = 1000;
constexpr std::int64_t frame_us = 33 * ms;

jitter_target::config policy() {
  return {.floor_us = 150 * ms,
          .ceiling_us = 1000 * ms,
          .margin_us = 20 * ms,
          .calm_us = 10'000 * ms,
          .shrink_every_us = 1000 * ms,
          .shrink_step_us = 10 * ms};
}

// Frames every 33 ms from `from_us` for `for_us`, each `slack_us` early.
std::int64_t frames(jitter_target& t, std::int64_t from_us, std::int64_t for_us,
                    std::int64_t slack_us) {
  std::int64_t now = from_us;
  for (; now < from_us + for_us; now += frame_us) {
    t.on_frame(now, slack_us);
  }
  return now;
}

TEST(jitter_target, starts_at_the_floor_and_stays_there_while_frames_come_on_time) {
  jitter_target t(policy());
  EXPECT_EQ(t.target_us(), 150 * ms);
  frames(t, 0, 60'000 * ms, 100 * ms);
  EXPECT_EQ(t.target_us(), 150 * ms);
  EXPECT_EQ(t.growths(), 0u);
}

TEST(jitter_target, the_joins_backlog_before_the_first_frame_on_time_is_no_underrun) {
  jitter_target t(policy());
  for (std::int64_t late = 900 * ms; late > 0; late -= frame_us) {
    t.on_frame(1000 * ms - late, -late);
  }
  EXPECT_EQ(t.target_us(), 150 * ms);
  EXPECT_EQ(t.growths(), 0u);
}

TEST(jitter_target, a_late_frame_grows_it_by_the_lateness_and_the_margin) {
  jitter_target t(policy());
  t.on_frame(990 * ms, 10 * ms);
  t.on_frame(1000 * ms, -80 * ms);
  EXPECT_EQ(t.target_us(), 250 * ms);  // 150 + 80 + 20
  EXPECT_EQ(t.growths(), 1u);
  t.on_frame(1033 * ms, -5 * ms);  // late again, a little
  EXPECT_EQ(t.target_us(), 275 * ms);
}

TEST(jitter_target, lateness_expected_before_playing_sets_where_it_starts) {
  jitter_target t(policy());
  t.expect_lateness(280 * ms);
  EXPECT_EQ(t.target_us(), 300 * ms);  // 280 + 20
  EXPECT_EQ(t.growths(), 0u) << "no underrun";
  t.expect_lateness(50 * ms);  // less: it stays
  EXPECT_EQ(t.target_us(), 300 * ms);
  t.expect_lateness(5000 * ms);  // never above the ceiling
  EXPECT_EQ(t.target_us(), 1000 * ms);
}

TEST(jitter_target, lateness_expected_once_frames_are_on_time_changes_nothing) {
  jitter_target t(policy());
  t.on_frame(0, 10 * ms);
  t.expect_lateness(280 * ms);
  EXPECT_EQ(t.target_us(), 150 * ms);
}

TEST(jitter_target, a_deep_start_shrinks_back_with_calm_as_any_growth) {
  jitter_target t(policy());
  t.expect_lateness(280 * ms);
  frames(t, 0, 60'000 * ms, 250 * ms);  // a minute with 250 ms to spare
  EXPECT_EQ(t.target_us(), 150 * ms);
}

// A frame on time first: later ones late are underruns.
jitter_target playing(jitter_target::config c = policy()) {
  jitter_target t(c);
  t.on_frame(-frame_us, 10 * ms);
  return t;
}

// Playing, then a frame 230 ms late: the target is 150 + 230 + 20 ms.
jitter_target grown_to_400ms() {
  jitter_target t = playing();
  t.on_frame(0, -230 * ms);
  EXPECT_EQ(t.target_us(), 400 * ms);
  return t;
}

TEST(jitter_target, never_grows_above_the_ceiling) {
  jitter_target t = playing();
  t.on_frame(0, -5000 * ms);
  EXPECT_EQ(t.target_us(), 1000 * ms);
}

TEST(jitter_target, a_floor_above_the_ceiling_is_kept_fixed) {
  jitter_target::config c = policy();
  c.floor_us = 3000 * ms;
  jitter_target t = playing(c);
  t.on_frame(0, -100 * ms);
  EXPECT_EQ(t.target_us(), 3000 * ms);
}

TEST(jitter_target, calm_shrinks_it_one_step_a_second_after_ten_seconds) {
  jitter_target t = grown_to_400ms();
  // Frames with 200 ms to spare: nothing moves for the calm period...
  std::int64_t now = frames(t, frame_us, 9'900 * ms, 200 * ms);
  EXPECT_EQ(t.target_us(), 400 * ms);
  // ...then 10 ms a second.
  now = frames(t, now, 5'000 * ms, 200 * ms);
  EXPECT_GE(t.target_us(), 350 * ms);
  EXPECT_LE(t.target_us(), 370 * ms);
}

TEST(jitter_target, never_shrinks_below_the_floor) {
  jitter_target t = playing();
  t.on_frame(0, -30 * ms);
  frames(t, frame_us, 120'000 * ms, 500 * ms);
  EXPECT_EQ(t.target_us(), 150 * ms);
}

TEST(jitter_target, shrinks_only_by_what_frames_leave_spare) {
  jitter_target t = grown_to_400ms();
  // Frames use all but 25 ms of the buffer: 5 ms beyond the margin is spare.
  std::int64_t now = frames(t, frame_us, 30'000 * ms, 25 * ms);
  const std::int64_t after_calm = t.target_us();
  EXPECT_LT(after_calm, 400 * ms);
  // Each step took at most 5 ms: 20 steps in 20 s of calm.
  EXPECT_GE(after_calm, 400 * ms - 21 * 5 * ms);
  // Frames with only the margin to spare: the target holds.
  now = frames(t, now, 30'000 * ms, 20 * ms);
  EXPECT_EQ(t.target_us(), after_calm);
}

TEST(jitter_target, a_late_frame_restarts_the_calm) {
  jitter_target t = grown_to_400ms();
  std::int64_t now = frames(t, frame_us, 8'000 * ms, 200 * ms);
  t.on_frame(now, -10 * ms);  // late again before the calm was over
  const std::int64_t grown = t.target_us();
  EXPECT_EQ(grown, 430 * ms);
  now = frames(t, now + frame_us, 9'900 * ms, 200 * ms);
  EXPECT_EQ(t.target_us(), grown);
}

}  // namespace
}  // namespace treecast::media
