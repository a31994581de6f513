#include "playout_model.hpp"

#include "jitter_target.hpp"
#include "playout_shift.hpp"
#include "simulator.hpp"
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

// The scenario tests' stalls are counted against the buffer a viewer
// starts with by default.
TEST(playout_model, the_peers_default_buffer_is_the_viewers) {
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(sim_config::peers_playout_buffer),
            media::default_latency);
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

TEST(playout_model, a_buffer_left_short_by_a_longer_path_is_filled_again_in_steps) {
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::microseconds>(playout_model::restore_step).count(),
      media::restore_step_us);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(playout_model::restore_interval)
                .count(),
            media::restore_interval_us);
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::microseconds>(playout_model::restore_margin).count(),
      media::restore_margin_us);
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::microseconds>(playout_model::live_edge_span).count(),
      media::live_edge::span_us);
  // A chunk per frame, 100 ms on the way, a 150 ms buffer; then the path
  // grows by 120 ms twice, 10 s apart: each time within what is left of
  // the buffer, if the first was made up for.
  constexpr auto frame = 33ms;
  const auto run = [&](playout_model& m, int from, int to, core::duration path) {
    for (int i = from; i < to; ++i) {
      m.on_chunk(at(i * frame), at(i * frame + path));
    }
  };
  playout_model m(150ms);
  run(m, 0, 300, 100ms);
  run(m, 300, 600, 220ms);
  // Filled again 30 ms a second, to within the margin: 250 -> 340 ms.
  EXPECT_EQ(m.play_latency(), 340ms);
  run(m, 600, 900, 340ms);
  EXPECT_EQ(m.stalls(), 0u);   // without the steps: 90 ms late, a stall
  EXPECT_EQ(m.late(), 210ms);  // the steps, each a frame shown 30 ms longer
}

TEST(playout_model, a_buffer_short_by_no_more_than_the_margin_stays) {
  constexpr auto frame = 33ms;
  playout_model m(150ms);
  for (int i = 0; i < 300; ++i) {
    // Every other second the path is 50 ms longer.
    m.on_chunk(at(i * frame), at(i * frame + ((i / 30) % 2 ? 150ms : 100ms)));
  }
  EXPECT_EQ(m.play_latency(), 250ms);
  EXPECT_EQ(m.late(), core::duration{});
}

TEST(playout_model, old_copies_are_ignored) {
  playout_model m(300ms);
  m.on_chunk(at(1s), at(1100ms));
  m.on_chunk(at(800ms), at(3s));  // a backlog copy of an older chunk
  EXPECT_EQ(m.stalls(), 0u);
}

}  // namespace
}  // namespace treecast::sim
