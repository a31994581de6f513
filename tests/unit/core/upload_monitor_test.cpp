// Children that do not keep up: one handed to a peer with room while the
// others keep up; fewer slots when all fall behind (our uplink), given back
// in calm. A fake clock, 33 ms chunks of ~4 KiB (~1 Mbit/s).
#include <gtest/gtest.h>

#include "node_harness.hpp"

namespace treecast::core::testing {
namespace {

constexpr duration chunk_interval = 33ms;

class upload_monitor_test : public ::testing::Test {
 protected:
  upload_monitor_test() : h(root_config(3)) { h.start(); }

  // The source's next chunk; every child is heard from (alive).
  void stream_for(duration how_long) {
    const time_point until = h.now() + how_long;
    while (h.now() < until) {
      wire::chunk c = make_chunk(seq_++);
      c.payload.assign(4096, 'x');
      wire::seal_chunk(c);
      h.source(std::move(c));
      for (const link_id_t kid : kids) {
        h.heard(kid);
      }
      h.advance(chunk_interval);
    }
  }

  std::vector<wire::move> moves_to(link_id_t link) const { return h.only_sent<wire::move>(link); }

  harness h;
  std::vector<link_id_t> kids;

 private:
  wire::seq_t seq_ = 0;
};

TEST_F(upload_monitor_test, a_child_that_falls_behind_alone_is_handed_to_a_peer_with_room) {
  const link_id_t fast = h.join_child(7, 9007);
  const link_id_t slow = h.join_child(8, 9008);
  kids = {fast, slow};
  wire::report room;
  room.free_slots = 2;
  h.receive(fast, room);  // the fast child has room: the slow one's backup
  stream_for(1s);         // the rate is known
  h.stop_reading(slow);
  h.clear();
  // Half a second of stream queued, then two seconds of patience.
  stream_for(2300ms);
  EXPECT_TRUE(moves_to(slow).empty());
  stream_for(700ms);
  const auto moves = moves_to(slow);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].targets.at(0), (wire::endpoint{"10.0.0.1", 9007}));
  EXPECT_TRUE(moves_to(fast).empty());
  EXPECT_EQ(h.engine().stats().get(counter::children_handed_off), 1u);
  EXPECT_EQ(h.engine().free_slots(), 1u);  // the others keep up: our uplink is fine
  EXPECT_FALSE(h.closed_reason(slow));     // fed until it has moved
}

TEST_F(upload_monitor_test, a_backlog_that_drains_within_the_patience_is_no_lag) {
  const link_id_t a = h.join_child(7, 9007);
  const link_id_t b = h.join_child(8, 9008);
  kids = {a, b};
  stream_for(1s);
  h.stop_reading(b);
  stream_for(1500ms);  // a second and a half behind, under the patience
  h.resume_reading(b);
  h.clear();
  stream_for(5s);
  EXPECT_TRUE(moves_to(b).empty());
  EXPECT_EQ(h.engine().stats().get(counter::children_handed_off), 0u);
  EXPECT_EQ(h.engine().free_slots(), 1u);
}

TEST_F(upload_monitor_test, an_only_child_behind_says_nothing_of_our_uplink) {
  const link_id_t only = h.join_child(7, 9007);
  kids = {only};
  stream_for(1s);
  h.stop_reading(only);
  stream_for(4s);
  EXPECT_EQ(h.engine().free_slots(), 2u) << "its own link may be the slow one";
}

TEST_F(upload_monitor_test, all_children_behind_means_fewer_slots_until_calm_gives_them_back) {
  const link_id_t a = h.join_child(7, 9007);
  const link_id_t b = h.join_child(8, 9008);
  kids = {a, b};
  stream_for(1s);
  EXPECT_EQ(h.engine().free_slots(), 1u);
  h.stop_reading(a);
  h.stop_reading(b);
  stream_for(3s);
  EXPECT_EQ(h.engine().free_slots(), 0u) << "our uplink does not carry two";
  h.resume_reading(a);
  h.resume_reading(b);
  stream_for(1s);
  EXPECT_EQ(h.engine().free_slots(), 0u) << "the two we hold fit, no more yet";
  stream_for(root_config().slot_regrow_interval);
  EXPECT_EQ(h.engine().free_slots(), 1u) << "a slot back after a calm interval";
}

}  // namespace
}  // namespace treecast::core::testing
