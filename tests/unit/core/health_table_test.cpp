// health_table: the rows a report carries are the changes to what the
// parent holds; the parent's copy takes them, within a limit.
#include "core/health_table.hpp"

#include <gtest/gtest.h>

namespace treecast::core {
namespace {

wire::peer_health row(std::uint8_t id, std::int32_t latency_ms = 200) {
  wire::peer_health h;
  h.node_id[0] = id;
  h.latency_ms = latency_ms;
  return h;
}

wire::node_id_t id(std::uint8_t n) {
  wire::node_id_t i{};
  i[0] = n;
  return i;
}

TEST(health_table, the_first_delta_is_every_row_then_only_what_changed) {
  health_table sent;
  const health_delta first = sent.advance_to({row(1), row(2), row(3)});
  EXPECT_EQ(first.changed.size(), 3u);
  EXPECT_TRUE(first.gone.empty());

  wire::peer_health stalled = row(2);
  stalled.stalls = 1;
  const health_delta second = sent.advance_to({row(1), stalled, row(4)});
  ASSERT_EQ(second.changed.size(), 2u);
  EXPECT_EQ(second.changed[0].node_id, id(2));
  EXPECT_EQ(second.changed[1].node_id, id(4));
  EXPECT_EQ(second.gone, std::vector{id(3)});

  EXPECT_TRUE(sent.advance_to({row(1), stalled, row(4)}).empty());
}

TEST(health_table, a_gauge_that_drifts_within_the_tolerance_keeps_the_value_sent) {
  health_table sent;
  sent.advance_to({row(1, 200)});
  EXPECT_TRUE(sent.advance_to({row(1, 215)}).empty());
  // Drift adds up against the value the parent holds, not the last seen.
  EXPECT_TRUE(sent.advance_to({row(1, 180)}).empty());
  const health_delta moved = sent.advance_to({row(1, 240)});
  ASSERT_EQ(moved.changed.size(), 1u);
  EXPECT_EQ(sent.rows().at(id(1)).latency_ms, 240);
}

TEST(health_table, the_parent_copy_follows_the_deltas_and_stops_at_the_limit) {
  health_table sent;
  health_table held;
  auto send = [&](std::vector<wire::peer_health> rows) {
    health_delta d = sent.advance_to(rows);
    return held.apply(std::move(d.changed), d.gone, 3);
  };
  EXPECT_TRUE(send({row(1), row(2)}));
  EXPECT_TRUE(send({row(2), row(3), row(4)}));
  EXPECT_EQ(held.rows().size(), 3u);
  EXPECT_EQ(held.rows().count(id(1)), 0u);
  // A sender that keeps adding rows gets no more than the limit.
  EXPECT_FALSE(held.apply({row(5)}, {}, 3));
  EXPECT_EQ(held.rows().size(), 3u);
  // A row listed twice counts once.
  health_table twice;
  EXPECT_EQ(twice.advance_to({row(7), row(7, 900)}).changed.size(), 1u);
  EXPECT_EQ(twice.rows().at(id(7)).latency_ms, 200);
}

}  // namespace
}  // namespace treecast::core
