// Strong peers rise: a peer clearly stronger than its parent asks its
// grandparent to take it (parent_improver decides when), the grandparent
// gives it a weaker child's place (capacity_policy), and a riser that was
// full sheds one child below the one that came below it (to_shed).
#include <gtest/gtest.h>

#include "core/capacity_policy.hpp"
#include "core/errors.hpp"
#include "core/parent_improver.hpp"
#include "node_harness.hpp"

namespace treecast::core {
namespace {

using namespace std::chrono_literals;
using testing::harness;
using testing::hello_from;
using testing::id_of;
using testing::make_chunk;
using testing::relay_config;

using view = capacity_policy::child_view;

place labelled(std::string site) {
  return {std::move(site), std::nullopt};
}

TEST(capacity_policy, clearly_stronger_means_twice_the_slots_and_at_least_min_strong) {
  EXPECT_TRUE(capacity_policy::clearly_stronger(4, 2));
  EXPECT_TRUE(capacity_policy::clearly_stronger(16, 8));
  EXPECT_FALSE(capacity_policy::clearly_stronger(16, 9));
  EXPECT_FALSE(capacity_policy::clearly_stronger(3, 1));  // below min_strong
  EXPECT_TRUE(capacity_policy::clearly_stronger(4, 0));
}

TEST(capacity_policy, a_parent_over_its_slots_sheds_the_weakest_other_child_of_a_fitting_site) {
  const capacity_policy policy{site_inference(15ms)};
  // We are in paris; the berlin viewer 1 just came below us, one over our
  // slots. A paris viewer below it would cross the WAN twice: the berlin one
  // goes, though its subtree is larger. The relay is never the weakest.
  const std::vector<view> kids{{1, 2, 3, labelled("berlin")},
                               {2, 2, 1, labelled("paris")},
                               {3, 2, 5, labelled("berlin")},
                               {4, 16, 1, labelled("berlin")}};
  const capacity_policy::joiner_view berlin{2, labelled("berlin"), labelled("paris")};
  EXPECT_EQ(policy.to_shed(kids, 1, berlin), link_id_t{3});
  // Of one site with us: the weakest, smallest subtree first.
  const capacity_policy::joiner_view paris{2, labelled("paris"), labelled("paris")};
  EXPECT_EQ(policy.to_shed(kids, 1, paris), link_id_t{2});
  // No child of a fitting site: one must go all the same.
  EXPECT_EQ(policy.to_shed(std::vector<view>{kids[0], kids[1]}, 1, berlin), link_id_t{2});
  // The newcomer alone: nothing to shed.
  EXPECT_FALSE(policy.to_shed(std::vector<view>{kids[0]}, 1, berlin));
}

struct rise_fixture {
  // By default rise_interval 5 s, the improvement loop off.
  explicit rise_fixture(node_config c = loop_off()) : context(std::move(c), id_of(100), 7, {}) {}
  static node_config loop_off() {
    node_config c;
    c.improve_interval = duration::zero();
    return c;
  }
  node_context context;
  tree_position position{id_of(100), false};
  parent_improver improver{context, position};

  // Broadcaster 1 -> 2 -> our parent 3.
  void attach_at_depth_3(bool outranks_parent) {
    position.set_lineage({{"10.0.0.1", 7000}, {"10.0.0.2", 7000}}, {"10.0.0.3", 7000}, {});
    position.attach(5, 20ms, 2, {id_of(1), id_of(2), id_of(3)}, 60ms);
    improver.on_attached(outranks_parent);
  }
};

TEST(parent_improver, a_peer_clearly_stronger_than_its_parent_asks_its_grandparent) {
  rise_fixture f;
  f.attach_at_depth_3(true);
  ASSERT_TRUE(f.improver.deadline());
  EXPECT_GE(*f.improver.deadline() - f.context.now, 2500ms);
  EXPECT_LE(*f.improver.deadline() - f.context.now, 7500ms);
  EXPECT_FALSE(f.improver.take_round({true, false, true}));  // not yet due
  f.context.now = *f.improver.deadline();
  const auto ask = f.improver.take_round({true, false, true});
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->kind, parent_improver::kind::rise);
  EXPECT_EQ(ask->ask.host, "10.0.0.2");
  // Refused (we are still here): twice the wait, then four times, ...
  ASSERT_TRUE(f.improver.deadline());
  EXPECT_GE(*f.improver.deadline() - f.context.now, 5s);
  EXPECT_LE(*f.improver.deadline() - f.context.now, 15s);
  f.context.now = *f.improver.deadline();
  ASSERT_TRUE(f.improver.take_round({true, false, true}));
  EXPECT_GE(*f.improver.deadline() - f.context.now, 10s);
  // Busy when due: no round, and it is due again later.
  f.context.now = *f.improver.deadline();
  EXPECT_FALSE(f.improver.take_round({false, false, true}));
  EXPECT_TRUE(f.improver.deadline());
}

TEST(parent_improver, no_rise_below_a_parent_as_strong_below_the_broadcaster_or_when_off) {
  rise_fixture f;
  f.attach_at_depth_3(false);
  EXPECT_FALSE(f.improver.deadline());

  rise_fixture below_root;
  below_root.position.set_lineage({}, {"10.0.0.1", 7000}, {});
  below_root.position.attach(5, 20ms, 0, {id_of(1)}, 0ms);
  below_root.improver.on_attached(true);
  ASSERT_TRUE(below_root.improver.deadline());
  below_root.context.now = *below_root.improver.deadline();
  EXPECT_FALSE(below_root.improver.take_round({true, false, true}));
  EXPECT_FALSE(below_root.improver.deadline());  // nothing to rise above until we move

  node_config never = rise_fixture::loop_off();
  never.rise_interval = duration::zero();
  rise_fixture off(never);
  off.attach_at_depth_3(true);
  EXPECT_FALSE(off.improver.deadline());
}

// A relay (id 100) with 4 slots under viewer 5 (2 slots, depth 1, at
// 10.0.0.5), below the broadcaster at 127.0.0.1:7000; no standby, so only
// the rise opens links.
struct relay_below_a_viewer {
  relay_below_a_viewer() : h(config()) {
    h.start();
    parent = h.answer_query({{id_of(5), {"10.0.0.5", 7005}, 1, 2, "", {}}}).at(0).link;
    wire::hello viewer = hello_from(5, 7005);
    viewer.max_children = 2;
    h.receive(parent, viewer);
    h.receive(
        parent,
        wire::pong{h.only_sent<wire::ping>(parent).at(0).nonce, true, 1, 2, {id_of(1), id_of(5)}});
    h.answer_uplink_timing(parent);
    h.receive(parent, wire::join_accept{1, {id_of(1), id_of(5)}, {{"127.0.0.1", 7000}}, {}});
    h.clear();
  }
  static node_config config() {
    node_config c = relay_config();
    c.max_children = 4;
    c.warm_standby = false;
    c.rise_interval = 5s;
    return c;
  }
  // Feeds the stream (and hears from `kids`) until the rise probes the
  // broadcaster; the broadcaster, full, answers that it would take a peer
  // of 4 slots. Returns the probe.
  link_id_t rise_probing_the_full_broadcaster(const std::vector<link_id_t>& kids = {}) {
    const link_id_t probe = h.stream_until_connect(parent, seq, kids);
    EXPECT_EQ(h.only_connect().to, (wire::endpoint{"127.0.0.1", 7000}));
    wire::pong full{0, true, 0, 0, {id_of(1)}};
    full.room_for_max_children = 4;
    h.answer_as_root(probe, full);
    return probe;
  }
  harness h;
  link_id_t parent = 0;
  wire::seq_t seq = 0;
};

TEST(rise, a_relay_below_a_viewer_takes_a_place_under_its_grandparent_make_before_break) {
  relay_below_a_viewer t;
  const link_id_t probe = t.rise_probing_the_full_broadcaster();
  const auto requests = t.h.only_sent<wire::join_request>(probe);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].can_adopt);  // the child giving way may be our parent
  EXPECT_EQ(requests[0].resume_from, t.seq);
  EXPECT_FALSE(t.h.closed_reason(t.parent));  // it feeds us meanwhile
  wire::join_accept accept{0, {id_of(1)}, {}, {}};
  accept.adoptee = id_of(5);
  t.h.receive(probe, accept);
  EXPECT_EQ(t.h.closed_reason(t.parent), std::error_code(node_errc::parent_replaced));
  EXPECT_EQ(t.h.engine().parent_endpoint(), (wire::endpoint{"127.0.0.1", 7000}));
  EXPECT_EQ(t.h.engine().depth(), 1u);
  EXPECT_EQ(t.h.engine().stats().get(counter::parent_losses), 0u);
  // Our old parent comes below us, into the slot kept for it.
  t.h.clear();
  EXPECT_EQ(t.h.only_sent<wire::join_accept>(t.h.join_peer(5)).size(), 1u);
}

TEST(rise, a_full_riser_sheds_a_child_below_the_parent_that_came_below_it) {
  relay_below_a_viewer t;
  std::vector<link_id_t> kids;
  for (std::uint8_t n = 41; n <= 44; ++n) {
    kids.push_back(t.h.join_peer(n));
  }
  t.h.clear();
  const link_id_t probe = t.rise_probing_the_full_broadcaster(kids);
  ASSERT_EQ(t.h.only_sent<wire::join_request>(probe).size(), 1u);
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probe).at(0).can_adopt);  // full all the same
  wire::join_accept accept{0, {id_of(1)}, {}, {}};
  accept.adoptee = id_of(5);
  t.h.receive(probe, accept);
  t.h.clear();
  // Others find us full; our old parent is taken, one over our slots.
  EXPECT_EQ(t.h.only_sent<wire::join_redirect>(t.h.join_peer(45)).size(), 1u);
  const link_id_t old_parent = t.h.join_peer(5);
  EXPECT_EQ(t.h.only_sent<wire::join_accept>(old_parent).size(), 1u);
  // One of the others is asked to move below it, and fed meanwhile.
  std::size_t moves = 0;
  for (const link_id_t kid : kids) {
    for (const auto& m : t.h.only_sent<wire::move>(kid)) {
      ++moves;
      ASSERT_FALSE(m.targets.empty());
      EXPECT_EQ(m.targets.front().port, 7005);
    }
    EXPECT_FALSE(t.h.closed_reason(kid));
  }
  EXPECT_EQ(moves, 1u);
}

TEST(rise, a_riser_over_its_slots_takes_no_place_it_could_not_keep_a_slot_in) {
  relay_below_a_viewer t;
  std::vector<link_id_t> kids;
  for (std::uint8_t n = 41; n <= 43; ++n) {
    kids.push_back(t.h.join_peer(n));
  }
  // A standby child, switching to us once the last slot has gone: one over
  // our slots (standby_headroom).
  const link_id_t promoted = t.h.accept("10.0.0.45");
  t.h.receive(promoted, hello_from(45, 7045));
  t.h.receive(promoted, wire::standby_request{{id_of(1), id_of(3), id_of(45)}});
  kids.push_back(t.h.join_peer(44));
  t.h.receive(promoted, wire::join_request{});
  ASSERT_EQ(t.h.engine().child_count(), 5u);
  kids.push_back(promoted);
  t.h.clear();
  const link_id_t probe = t.rise_probing_the_full_broadcaster(kids);
  // The child giving way would find no slot here, and the broadcaster would
  // drop it: no rise into its place.
  EXPECT_TRUE(t.h.only_sent<wire::join_request>(probe).empty());
  EXPECT_FALSE(t.h.closed_reason(t.parent));
}

}  // namespace
}  // namespace treecast::core
