#include "playout_model.hpp"

#include "stall_meter.hpp"

#include <gtest/gtest.h>

namespace treecast::sim {
namespace {

using namespace std::chrono_literals;
using core::time_point;

constexpr auto chunk = 200ms;

time_point at(core::duration d) {
  return time_point{} + d;
}

TEST(playout_model, steady_arrival_never_stalls) {
  playout_model m(300ms);
  for (int i = 0; i < 50; ++i) {
    m.on_chunk(at(i * chunk), at(i * chunk + 80ms + (i % 3) * 20ms));  // jitter within the buffer
  }
  EXPECT_EQ(m.stalls(), 0u);
  EXPECT_EQ(m.stalled(), core::duration{});
  EXPECT_EQ(m.watched(at(49 * chunk + 80ms)), 49 * chunk);
}

TEST(playout_model, a_repair_longer_than_the_buffer_stalls_for_the_excess_once) {
  playout_model m(300ms);
  for (int i = 0; i < 10; ++i) {
    m.on_chunk(at(i * chunk), at(i * chunk + 100ms));
  }
  // Chunks 10.. come 500 ms later than usual (a repair), then steadily.
  for (int i = 10; i < 20; ++i) {
    m.on_chunk(at(i * chunk), at(i * chunk + 600ms));
  }
  EXPECT_EQ(m.stalls(), 1u);
  EXPECT_EQ(m.stalled(), 200ms);  // 500 ms late against a 300 ms buffer
}

TEST(playout_model, play_latency_is_the_first_arrival_delay_plus_the_buffer_and_grows_by_a_stall) {
  playout_model m(300ms);
  EXPECT_FALSE(m.play_latency());
  m.on_chunk(at(0ms), at(100ms));
  EXPECT_EQ(m.play_latency(), 400ms);
  m.on_chunk(at(chunk), at(chunk + 600ms));  // 200 ms late against the buffer
  EXPECT_EQ(m.play_latency(), 600ms);
}

TEST(playout_model, a_repair_within_the_buffer_does_not_stall) {
  playout_model m(300ms);
  for (int i = 0; i < 10; ++i) {
    m.on_chunk(at(i * chunk), at(i * chunk + 100ms));
  }
  m.on_chunk(at(10 * chunk), at(10 * chunk + 390ms));
  EXPECT_EQ(m.stalls(), 0u);
}

TEST(playout_model, playback_returns_to_the_target_after_a_nearer_path) {
  playout_model m(300ms);
  m.on_chunk(at(0ms), at(900ms));  // a far first path (or the join's backlog)
  for (int i = 1; i < 5; ++i) {
    m.on_chunk(at(i * chunk), at(i * chunk + 100ms));  // then a near one
  }
  // Back at 100 ms + the buffer: a 450 ms delay now stalls.
  m.on_chunk(at(5 * chunk), at(5 * chunk + 550ms));
  EXPECT_EQ(m.stalls(), 1u);
  EXPECT_EQ(m.stalled(), 150ms);
}

TEST(playout_model, lateness_the_viewers_meter_takes_for_jitter_is_no_stall_but_moves_playback) {
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::microseconds>(playout_model::stall_tolerance).count(),
      media::stall_meter::tolerance_us);
  playout_model m(300ms);
  m.on_chunk(at(0ms), at(100ms));
  m.on_chunk(at(chunk), at(chunk + 100ms + 300ms + 40ms));  // late by the tolerance
  EXPECT_EQ(m.stalls(), 0u);
  EXPECT_EQ(m.late(), 40ms);
  EXPECT_EQ(m.play_latency(), 440ms);
  m.on_chunk(at(2 * chunk), at(2 * chunk + 440ms + 41ms));  // beyond it: all of it
  EXPECT_EQ(m.stalls(), 1u);
  EXPECT_EQ(m.stalled(), 41ms);
  EXPECT_EQ(m.late(), 81ms);
}

TEST(playout_model, old_copies_are_ignored) {
  playout_model m(300ms);
  m.on_chunk(at(1s), at(1100ms));
  m.on_chunk(at(800ms), at(3s));  // a backlog copy of an older chunk
  EXPECT_EQ(m.stalls(), 0u);
}

}  // namespace
}  // namespace treecast::sim
