// Parent choice: same site, then a free slot, then RTT plus a depth penalty;
// and the delay from the broadcaster through a candidate.
#include <gtest/gtest.h>

#include "core/parent_scoring.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;

probe_result candidate(std::size_t index, int rtt_ms, std::uint32_t depth, std::uint32_t free,
                       bool same_site = false, int root_delay_ms = 0) {
  return {index,     std::chrono::milliseconds(rtt_ms),       depth, free,
          same_site, std::chrono::milliseconds(root_delay_ms)};
}

TEST(parent_scoring, nearest_with_a_free_slot_wins) {
  parent_scoring scoring(5ms);
  const auto best =
      scoring.best({candidate(0, 80, 1, 2), candidate(1, 20, 1, 2), candidate(2, 50, 1, 2)});
  ASSERT_TRUE(best);
  EXPECT_EQ(best->index, 1u);
}

TEST(parent_scoring, a_free_slot_beats_a_nearer_full_peer) {
  parent_scoring scoring(5ms);
  EXPECT_EQ(scoring.best({candidate(0, 10, 1, 0), candidate(1, 90, 1, 1)})->index, 1u);
}

TEST(parent_scoring, same_site_with_a_free_slot_beats_a_nearer_other_site) {
  parent_scoring scoring(5ms);
  const auto best = scoring.best({candidate(0, 5, 1, 3, false), candidate(1, 60, 2, 1, true)});
  EXPECT_EQ(best->index, 1u);
  // Of no site, the nearest.
  EXPECT_EQ(scoring.best({candidate(0, 5, 1, 3), candidate(1, 60, 2, 1)})->index, 0u);
}

TEST(parent_scoring, depth_penalty_breaks_near_ties_towards_the_shallower) {
  parent_scoring scoring(10ms);
  // 30 ms at depth 4 (70) loses to 45 ms at depth 1 (55).
  EXPECT_EQ(scoring.best({candidate(0, 30, 4, 1), candidate(1, 45, 1, 1)})->index, 1u);
}

TEST(parent_scoring, through_is_the_delay_from_the_broadcaster_via_the_candidate) {
  parent_scoring scoring(5ms);
  // Its root delay, half our round trip to it, 5 ms a hop.
  const auto near_but_deep = candidate(0, 10, 6, 1, false, 200);
  const auto far_but_short = candidate(1, 60, 1, 1, false, 50);
  EXPECT_EQ(scoring.through(near_but_deep), 235ms);
  EXPECT_EQ(scoring.through(far_but_short), 85ms);
  // A joiner still takes the nearest (see parent_scoring.hpp).
  EXPECT_EQ(scoring.best({near_but_deep, far_but_short})->index, 0u);
}

TEST(parent_scoring, no_candidate_as_slow_as_the_round_trip_to_beat_wins) {
  // Weak: 40 ms at depth 2 costs 50 ms; even at depth 0 a round trip of
  // 50 ms does not beat it.
  parent_scoring weak(5ms);
  const auto answered = candidate(0, 40, 2, 1, false, 30);
  EXPECT_EQ(weak.round_trip_to_beat(answered), 50ms);
  EXPECT_EQ(weak.best({answered, candidate(1, 50, 0, 1)})->index, 0u);
  EXPECT_EQ(weak.best({answered, candidate(1, 49, 0, 1)})->index, 1u);
  // Strong (by delay): 30 + 20 + 10 = 60 ms through it; a candidate counts
  // half its round trip at least, so 120 ms.
  parent_scoring strong(5ms, true);
  EXPECT_EQ(strong.round_trip_to_beat(answered), 120ms);
  EXPECT_EQ(strong.best({answered, candidate(1, 120, 0, 1)})->index, 0u);
  EXPECT_EQ(strong.best({answered, candidate(1, 118, 0, 1)})->index, 1u);
}

TEST(parent_scoring, nothing_to_choose_from) {
  parent_scoring scoring(5ms);
  EXPECT_FALSE(scoring.best({}));
}

}  // namespace
}  // namespace treecast::core
