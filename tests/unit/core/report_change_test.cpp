// report_change: what makes a report worth sending again (exact counts,
// gauges and coordinates within a tolerance).
#include "core/report_change.hpp"

#include <gtest/gtest.h>

namespace treecast::core {
namespace {

wire::report settled_report() {
  wire::report r;
  r.subtree_size = 7;
  r.subtree_depth = 4;
  r.free_slots = 1;
  r.viewers = 6;
  r.relays = 1;
  r.where = wire::coordinate{1000, -400, 20, 300};
  r.root_delay_us = 80'000;
  wire::peer_summary candidate;
  candidate.node_id[0] = 9;
  candidate.free_slots = 2;
  candidate.where = wire::coordinate{1100, -300, 10, 300};
  candidate.root_delay_us = 90'000;
  r.candidates.push_back(candidate);
  wire::peer_health row;
  row.node_id[0] = 7;
  row.rtt_ms = 30;
  row.buffer_ms = 300;
  row.latency_ms = 250;
  r.health.push_back(row);
  return r;
}

// Whether settled_report() edited by `edit` says something new.
template <typename Edit>
bool changed(Edit edit) {
  const wire::report last = settled_report();
  wire::report next = last;
  edit(next);
  return says_something_new(last, next);
}

TEST(report_change, the_same_report_says_nothing_new) {
  EXPECT_FALSE(says_something_new(settled_report(), settled_report()));
}

TEST(report_change, counts_room_and_rows_are_compared_exactly) {
  EXPECT_TRUE(changed([](wire::report& r) { r.subtree_size = 8; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.free_slots = 0; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.chunks_missed = 1; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.stall_ms = 1; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.browsers = 1; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.health[0].browsers = 1; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.health[0].playing = wire::rendition::low; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.candidates[0].free_slots = 1; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.candidates.clear(); }));
  EXPECT_TRUE(changed([](wire::report& r) { r.health[0].stalls = 1; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.health[0].node_id[0] = 8; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.health.push_back(r.health[0]); }));
}

TEST(report_change, gauges_coordinates_and_delays_drift_within_a_tolerance) {
  // Gauges: 20 ms or 10%, whichever is larger; known <-> unknown always.
  EXPECT_FALSE(changed([](wire::report& r) { r.health[0].latency_ms = 270; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.health[0].latency_ms = 280; }));
  EXPECT_FALSE(changed([](wire::report& r) { r.health[0].buffer_ms = 330; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.health[0].buffer_ms = -1; }));
  EXPECT_FALSE(changed([](wire::report& r) { r.health[0].rtt_ms = 45; }));
  // Coordinates (tenths of a ms): 5 ms.
  EXPECT_FALSE(changed([](wire::report& r) { r.where->x += 30; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.where->x += 60; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.where.reset(); }));
  EXPECT_FALSE(changed([](wire::report& r) { r.candidates[0].where->height += 40; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.where->error_permille = 600; }));
  // Delays from the broadcaster: 5 ms.
  EXPECT_FALSE(changed([](wire::report& r) { r.root_delay_us += 4'000; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.root_delay_us += 6'000; }));
  EXPECT_TRUE(changed([](wire::report& r) { r.candidates[0].root_delay_us -= 6'000; }));
}

}  // namespace
}  // namespace treecast::core
